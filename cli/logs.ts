/**
 * `mlobs logs`: run the ML log-format catalog on lines.
 *
 *   mlobs logs extract --engine grok|re2 [--grok-patterns DIR]     JSONL {id,line} on stdin -> {id,fields} on stdout
 *   mlobs logs eval --corpus FILE [--engine grok|re2] [--min-f1 X]  precision/recall/F1 tables, exit 1 below X
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand, CliIo } from './main';
import { boundedLines, inputFileProblem, MAX_CORPUS_BYTES, MAX_LINE_BYTES, writeWithBackpressure } from './lines';
import { createParser, type MlLogParser } from '../constructs/mllogs/engine';
import { evaluate, formatReport, type CorpusRecord } from '../constructs/mllogs/evaluate';
import { createEngine, type EngineName } from '../constructs/mllogs/regex-engine';

const USAGE = `usage:
  mlobs logs extract [--engine js|re2|grok] [--input auto|jsonl|text] [--grok-patterns DIR]
      reads log lines on stdin (kubectl logs pod | mlobs logs extract) or JSON Lines records
      {"id": "...", "line": "..."}, writes {"id": ..., "fields": {...}} per line or record (id: the line
      number for plain text); --input auto (default) takes JSON Lines when the first non-empty line is
      such a record, plain text otherwise. A bad record (not JSON, no "line", over 1 MiB, one the parser
      cannot take) is reported on stderr with its line number and skipped; exits 0 only when every
      record was processed, 1 otherwise
  mlobs logs eval --corpus FILE [--engine js|re2|grok] [--min-f1 X] [--grok-patterns DIR] [--mismatches]
      prints per-framework and per-field precision/recall/F1 and the micro F1; exits 1 when it is below X,
      and when the corpus (a regular file, at most 256 MiB) has no record with expected fields

  --engine             js (default): JavaScript's RegExp, no native addon or extra file needed;
                       re2: the RE2 family Alloy/Promtail/Filebeat run (npm package re2);
                       grok: Oniguruma as Logstash runs it (vscode-oniguruma and grok pattern files)
  --grok-patterns DIR  Logstash pattern definitions for the grok engine
                       (default: $MLOBS_GROK_PATTERNS, else $MLOBS_SHARED_DIR/grok-patterns/legacy,
                        else ../shared/grok-patterns/legacy beside the checkout)
`;

class UsageError extends Error {}

function defaultGrokDir(): string {
  if (process.env.MLOBS_GROK_PATTERNS) return process.env.MLOBS_GROK_PATTERNS;
  const shared = process.env.MLOBS_SHARED_DIR ?? path.resolve(__dirname, '..', '..', '..', 'shared');
  return path.join(shared, 'grok-patterns', 'legacy');
}

function engineName(value: string | undefined): EngineName {
  const v = value ?? 'js';
  if (v === 'grok' || v === 're2' || v === 'js') return v;
  throw new UsageError(`unknown --engine "${v}": allowed values are js, re2, grok`);
}

/** Why a record could not be processed (an exception of the parser or of the output), in one line. */
function unprocessable(err: unknown): string {
  return `could not be processed (${err instanceof Error ? err.name : 'error'}: ${String((err as Error).message ?? err).slice(0, 200)})`;
}

/** A JSONL record of the corpus shape: an object with a string `line`. */
function asRecord(text: string): { id?: unknown; line: string } | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && typeof (v as { line?: unknown }).line === 'string' ? (v as { id?: unknown; line: string }) : undefined;
  } catch {
    return undefined;
  }
}

async function parser(engine: EngineName, grokDir: string | undefined): Promise<MlLogParser> {
  return createParser(await createEngine(engine, grokDir ?? defaultGrokDir()));
}

async function runExtract(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { engine: { type: 'string' }, input: { type: 'string', default: 'auto' }, 'grok-patterns': { type: 'string' } },
    strict: true,
  });
  if (!['auto', 'jsonl', 'text'].includes(values.input ?? '')) throw new UsageError(`unknown --input "${values.input}": allowed values are auto, jsonl, text`);
  let mode: 'jsonl' | 'text' | undefined = values.input === 'auto' ? undefined : (values.input as 'jsonl' | 'text');
  const p = await parser(engineName(values.engine), values['grok-patterns']);
  let n = 0;
  let records = 0;
  let bad = 0;
  const skip = (line: number, why: string): void => {
    bad++;
    io.stderr.write(`mlobs logs extract: line ${line}: ${why}; skipped\n`);
  };
  for await (const ev of boundedLines(io.stdin as AsyncIterable<Buffer | string>)) {
    n = ev.n;
    if ('tooLong' in ev) {
      records++;
      skip(ev.n, `longer than ${MAX_LINE_BYTES} bytes (${ev.tooLong})`);
      continue;
    }
    if (ev.text.trim() === '') continue;
    records++;
    mode ??= asRecord(ev.text) ? 'jsonl' : 'text';
    // Each record on its own: whatever goes wrong with one is reported, and the rest flow.
    let out: string;
    if (mode === 'text') {
      try {
        out = JSON.stringify({ id: ev.n, fields: p.parse(ev.text).fields }) + '\n';
      } catch (err) {
        skip(ev.n, unprocessable(err));
        continue;
      }
      await writeWithBackpressure(io.stdout, out);
      continue;
    }
    try {
      const rec = JSON.parse(ev.text) as unknown;
      if (rec === null || typeof rec !== 'object' || typeof (rec as { line?: unknown }).line !== 'string') {
        skip(ev.n, 'expected an object with a string "line" field');
        continue;
      }
      const { id, line } = rec as { id?: unknown; line: string };
      out = JSON.stringify({ id: id ?? null, fields: p.parse(line).fields }) + '\n';
    } catch (err) {
      skip(ev.n, err instanceof SyntaxError ? `not JSON (${err.message})` : unprocessable(err));
      continue;
    }
    await writeWithBackpressure(io.stdout, out);
  }
  if (bad > 0) {
    io.stderr.write(`mlobs logs extract: ${bad} of ${records} records skipped (${n} lines read)\n`);
    return 1;
  }
  return 0;
}

function readCorpus(file: string): CorpusRecord[] {
  const problem = inputFileProblem(file, MAX_CORPUS_BYTES);
  if (problem) throw new UsageError(`--corpus ${problem}`);
  const out: CorpusRecord[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (text.trim() === '') return;
      let rec: Partial<CorpusRecord>;
      try {
        rec = JSON.parse(text) as Partial<CorpusRecord>;
      } catch (err) {
        throw new UsageError(`${file}:${i + 1}: not JSON (${(err as Error).message})`);
      }
      if (typeof rec.line !== 'string' || typeof rec.expected !== 'object' || rec.expected === null) {
        throw new UsageError(`${file}:${i + 1}: a corpus record needs "line" (string) and "expected" (object)`);
      }
      out.push({ id: String(rec.id ?? `line-${i + 1}`), framework: String(rec.framework ?? 'unknown'), line: rec.line, expected: rec.expected });
    });
  // An empty corpus, or one with nothing to score, would report a perfect F1: refuse it.
  if (out.length === 0) throw new UsageError(`--corpus ${file}: has no records; nothing to score`);
  if (out.every((r) => Object.keys(r.expected).length === 0)) throw new UsageError(`--corpus ${file}: no record has expected fields; nothing to score`);
  return out;
}

async function runEval(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      corpus: { type: 'string' },
      engine: { type: 'string' },
      'min-f1': { type: 'string' },
      'grok-patterns': { type: 'string' },
      mismatches: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.corpus) throw new UsageError('missing --corpus FILE (a JSONL corpus with "line" and "expected")');
  let minF1: number | undefined;
  if (values['min-f1'] !== undefined) {
    minF1 = Number(values['min-f1']);
    if (!Number.isFinite(minF1) || minF1 < 0 || minF1 > 1) throw new UsageError(`--min-f1 must be a number between 0 and 1, got "${values['min-f1']}"`);
  }
  const engine = engineName(values.engine);
  const records = readCorpus(values.corpus);
  const p = await parser(engine, values['grok-patterns']);
  const report = evaluate(records, (line) => p.parse(line).fields as Record<string, unknown>);
  io.stdout.write(formatReport(report, engine));
  if (values.mismatches) {
    for (const m of report.mismatches) io.stdout.write(`${m.id}\t${m.field}\texpected ${JSON.stringify(m.expected)}\tgot ${JSON.stringify(m.actual)}\n`);
  }
  if (minF1 !== undefined && report.micro.f1 < minF1) {
    io.stderr.write(`mlobs logs eval: micro F1 ${report.micro.f1.toFixed(4)} is below --min-f1 ${minF1}\n`);
    return 1;
  }
  return 0;
}

export const LOGS_COMMAND: CliCommand = {
  summary: 'extract ML log fields from lines, or score the catalog on a corpus (extract | eval)',
  async run(args, io) {
    const [sub, ...rest] = args;
    try {
      if (sub === 'extract') return await runExtract(rest, io);
      if (sub === 'eval') return await runEval(rest, io);
      if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
        io.stdout.write(USAGE);
        return sub === undefined ? 2 : 0;
      }
      io.stderr.write(`mlobs logs: unknown subcommand "${sub}" (allowed: extract, eval)\n${USAGE}`);
      return 2;
    } catch (err) {
      if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        io.stderr.write(`mlobs logs: ${(err as Error).message}\n${USAGE}`);
        return 2;
      }
      throw err;
    }
  },
};
