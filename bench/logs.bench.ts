/**
 * `npm run bench:logs`: lines per second of the ML log catalog per engine on the corpus mix,
 * and the slowest single line. Reads ../shared/corpus and ../shared/grok-patterns/legacy
 * (override with MLOBS_SHARED_DIR).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createParser } from '../constructs/mllogs/engine';
import { createEngine, type EngineName } from '../constructs/mllogs/regex-engine';

const SHARED = path.resolve(process.env.MLOBS_SHARED_DIR ?? path.join(__dirname, '..', '..', '..', 'shared'));
const MIN_SECONDS = Number(process.env.BENCH_SECONDS ?? '2');

function corpusLines(): string[] {
  const file = path.join(SHARED, 'corpus', 'training-logs.jsonl');
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { line: string }).line);
  const multi = path.join(SHARED, 'corpus', 'multiline.jsonl');
  if (fs.existsSync(multi)) {
    for (const l of fs.readFileSync(multi, 'utf8').split('\n')) if (l.trim()) lines.push(...(JSON.parse(l) as { lines: string[] }).lines);
  }
  return lines;
}

async function bench(name: EngineName, lines: readonly string[]): Promise<void> {
  const parser = createParser(await createEngine(name, path.join(SHARED, 'grok-patterns', 'legacy')));
  for (const l of lines) parser.parse(l); // warm-up
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < MIN_SECONDS) {
    for (const l of lines) parser.parse(l);
    n += lines.length;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  let worst = { ms: 0, line: '' };
  for (const l of lines) {
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const s = process.hrtime.bigint();
      parser.parse(l);
      best = Math.min(best, Number(process.hrtime.bigint() - s) / 1e6);
    }
    if (best > worst.ms) worst = { ms: best, line: l };
  }
  const shown = worst.line.length > 120 ? `${worst.line.slice(0, 117)}...` : worst.line;
  process.stdout.write(
    `${name.padEnd(5)} ${Math.round(n / elapsed).toLocaleString('en-US').padStart(10)} lines/s  (${n} lines in ${elapsed.toFixed(2)} s)\n` +
      `      slowest line: ${worst.ms.toFixed(3)} ms (${worst.line.length} chars): ${JSON.stringify(shown)}\n`,
  );
}

/** Peak resident memory of a process so far (VmHWM), in bytes; undefined once it is gone. */
function peakRss(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `mlobs logs extract` as a user runs it, on EXTRACT_LINES (default 1,000,000) records piped in
 * with backpressure and read out as fast as the pipe allows: prints the wall time and the peak
 * RSS of the CLI process (bounded memory: it must not grow with the input).
 */
async function benchExtractStream(lines: readonly string[]): Promise<void> {
  const total = Number(process.env.EXTRACT_LINES ?? '1000000');
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'cli', 'main.js'), 'logs', 'extract', '--engine', 're2'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let outBytes = 0;
  child.stdout.on('data', (d: Buffer) => (outBytes += d.length));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, peakRss(child.pid ?? -1) ?? peak)), 50);
  const start = process.hrtime.bigint();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let i = 0; i < total; i++) {
    const rec = `${JSON.stringify({ id: i, line: lines[i % lines.length] })}\n`;
    if (!child.stdin.write(rec)) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  const code = await exited;
  clearInterval(sampler);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  process.stdout.write(
    `extract stream: ${total.toLocaleString('en-US')} records in ${seconds.toFixed(1)} s (${Math.round(total / seconds).toLocaleString('en-US')}/s), ` +
      `${(outBytes / 2 ** 20).toFixed(0)} MiB out, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB, exit ${code}\n`,
  );
}

async function main(): Promise<void> {
  const lines = corpusLines();
  process.stdout.write(`mlobs logs benchmark: ${lines.length} corpus lines (single-line records + multiline blocks), >= ${MIN_SECONDS}s per engine\n`);
  for (const name of ['re2', 'grok'] as const) await bench(name, lines);
  await benchExtractStream(lines.filter((l) => !l.includes('\n')));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:logs: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
