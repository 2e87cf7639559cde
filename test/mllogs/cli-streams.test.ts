/**
 * `mlobs logs` on hostile streams: records are independent (a record that breaks the parser is
 * reported with its line number and the rest flow), lines are capped, output waits for a slow
 * reader, exit codes say whether every record was processed, and `eval` refuses inputs that
 * cannot be scored (empty, no expected fields, folders, FIFOs, devices) by name without hanging.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { main } from '../../cli/main';
import { boundedLines, MAX_LINE_BYTES } from '../../cli/lines';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-cli-streams-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[], stdin: string | Buffer = '', stdout: NodeJS.WritableStream = new PassThrough()): Promise<{ code: number; out: string; err: string }> {
  const input = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  if (stdout instanceof PassThrough) stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  input.end(stdin);
  const code = await main(args, { stdin: input, stdout, stderr });
  return { code, out, err };
}

const GOOD = (id: string): string => JSON.stringify({ id, line: '[TensorRT] ERROR: Network validation failed.' });

test('a deeply nested record is reported with its line number and the records after it still flow', async () => {
  const depth = 100_000; // 200 KB: under the line cap; deep enough to overflow a recursive walk
  const deepId = `{"id":${'['.repeat(depth)}${']'.repeat(depth)},"line":"x"}`;
  const deepLine = JSON.stringify({ id: 'deep-line', line: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` });
  const r = await run(['logs', 'extract', '--engine', 're2'], [GOOD('a'), deepId, deepLine, GOOD('b')].join('\n'));
  const ids = r.out.trim().split('\n').map((l) => (JSON.parse(l) as { id: unknown }).id);
  assert.deepEqual(ids, ['a', 'deep-line', 'b']);
  assert.match(r.err, /line 2: could not be processed \(RangeError: /);
  assert.match(r.err, /1 of 4 records skipped/);
  assert.equal(r.code, 1);
});

test('an endless line is skipped by number, never held whole, and the next record is processed', async () => {
  const endless = Buffer.alloc(3 * MAX_LINE_BYTES, 0x61);
  const input = Buffer.concat([Buffer.from(`${GOOD('a')}\n`), endless, Buffer.from(`\n${GOOD('b')}\n`)]);
  const r = await run(['logs', 'extract', '--engine', 're2'], input);
  assert.deepEqual(r.out.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id), ['a', 'b']);
  assert.match(r.err, new RegExp(`line 2: longer than ${MAX_LINE_BYTES} bytes \\(${3 * MAX_LINE_BYTES}\\); skipped`));
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.err, /RangeError|at .*\.js/);
});

test('the line reader keeps at most the cap of one line, whatever the chunking (CRLF too)', async () => {
  async function* chunks(): AsyncGenerator<Buffer> {
    yield Buffer.from('ab');
    yield Buffer.from('c\r\nd');
    yield Buffer.alloc(10, 0x7a);
    yield Buffer.from('\nlast');
  }
  const events = [];
  for await (const e of boundedLines(chunks(), 8)) events.push(e);
  assert.deepEqual(events, [{ n: 1, text: 'abc' }, { n: 2, tooLong: 11 }, { n: 3, text: 'last' }]);
});

test('output waits for a slow reader (backpressure): never more than a record in flight', async () => {
  let maxBuffered = 0;
  let records = 0;
  const slow = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _enc, cb) {
      records += chunk.toString().split('\n').length - 1;
      setImmediate(cb);
    },
  });
  const origWrite = slow.write.bind(slow);
  (slow as unknown as { write: (c: string) => boolean }).write = (c: string) => {
    const ok = origWrite(c);
    maxBuffered = Math.max(maxBuffered, slow.writableLength);
    return ok;
  };
  const n = 2000;
  const r = await run(['logs', 'extract', '--engine', 're2'], Array.from({ length: n }, (_, i) => GOOD(`r${i}`)).join('\n'), slow);
  await new Promise<void>((resolve) => slow.end(resolve));
  assert.equal(r.code, 0);
  assert.equal(records, n);
  assert.ok(maxBuffered <= 64 + 200, `at most one record beyond the high-water mark was buffered (${maxBuffered} bytes)`);
});

test('every record invalid (JSON Lines input): exit 1 with the count', async () => {
  const r = await run(['logs', 'extract', '--engine', 're2', '--input', 'jsonl'], 'a\nb\n{"x":1}\n');
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.match(r.err, /3 of 3 records skipped/);
});

const EVAL = (corpus: string): string[] => ['logs', 'eval', '--corpus', corpus, '--engine', 're2', '--min-f1', '0.5'];

test('eval refuses an empty corpus, one without expected fields, a folder, a FIFO and a device, by name', async () => {
  const empty = path.join(tmp, 'empty.jsonl');
  fs.writeFileSync(empty, '\n\n');
  const noExpected = path.join(tmp, 'no-expected.jsonl');
  fs.writeFileSync(noExpected, `${JSON.stringify({ line: 'x', expected: {} })}\n`);
  const fifo = path.join(tmp, 'corpus.fifo');
  execFileSync('mkfifo', [fifo]);
  const cases: [string, RegExp][] = [
    [empty, /empty\.jsonl: has no records; nothing to score/],
    [noExpected, /no-expected\.jsonl: no record has expected fields; nothing to score/],
    [tmp, /: is a folder, not a file/],
    [fifo, /corpus\.fifo: is a FIFO; give a regular file/],
    ['/dev/zero', /\/dev\/zero: is a device; give a regular file/],
    [path.join(tmp, 'missing.jsonl'), /missing\.jsonl: not found/],
  ];
  for (const [corpus, why] of cases) {
    const r = await run(EVAL(corpus));
    assert.equal(r.code, 2, corpus);
    assert.match(r.err, why);
    assert.equal(r.out, '', `${corpus}: no report (an F1 of 1.0 on nothing would pass --min-f1)`);
  }
});

test('plain text on stdin (kubectl logs | mlobs logs extract): one result per line, id = line number, default engine js', async () => {
  const r = await run(['logs', 'extract'], '[TensorRT] ERROR: Network validation failed.\n\nnot a record, just text\n');
  assert.equal(r.code, 0, r.err);
  const out = r.out.trim().split('\n').map((l) => JSON.parse(l) as { id: number; fields: Record<string, unknown> });
  assert.deepEqual(out.map((o) => o.id), [1, 3]);
  assert.deepEqual(out[0]?.fields, { logger: 'TensorRT', level: 'error', message: 'Network validation failed.' });
  const forced = await run(['logs', 'extract', '--input', 'jsonl'], 'just text\n');
  assert.equal(forced.code, 1);
  assert.match(forced.err, /line 1: not JSON/);
  const bad = await run(['logs', 'extract', '--input', 'xml'], '');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown --input "xml": allowed values are auto, jsonl, text/);
});
