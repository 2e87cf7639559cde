/** `mlobs logs extract|eval` through the CLI entry, with in-memory streams. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../cli/main';
import { sharedPath } from '../helpers/paths';

async function run(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const input = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  input.end(stdin);
  const code = await main(args, { stdin: input, stdout, stderr });
  return { code, out, err };
}

test('extract writes one {id, fields} line per record and reports bad input with its line number', async () => {
  const stdin = ['{"id":"a","line":"[TensorRT] ERROR: Network validation failed."}', 'not json', '{"id":"c"}', '{"id":"d","line":"Epoch 3/7"}'].join('\n');
  const r = await run(['logs', 'extract', '--engine', 're2'], stdin);
  assert.equal(r.code, 1, 'not every record was processed');
  assert.match(r.err, /2 of 4 records skipped/);
  const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { id: string; fields: Record<string, unknown> });
  assert.deepEqual(lines, [
    { id: 'a', fields: { logger: 'TensorRT', level: 'error', message: 'Network validation failed.' } },
    { id: 'd', fields: { epoch: 3, epochs_total: 7, event: 'train_progress' } },
  ]);
  assert.match(r.err, /line 2: not JSON/);
  assert.match(r.err, /line 3: expected an object with a string "line" field/);
});

test('extract with the grok engine gives the same fields', async () => {
  const r = await run(['logs', 'extract', '--engine', 'grok'], '{"id":"a","line":"[TensorRT] ERROR: Network validation failed."}\n');
  assert.deepEqual(JSON.parse(r.out), { id: 'a', fields: { logger: 'TensorRT', level: 'error', message: 'Network validation failed.' } });
});

test('extract rejects an unknown engine with the allowed values', async () => {
  const r = await run(['logs', 'extract', '--engine', 'pcre']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown --engine "pcre": allowed values are js, re2, grok/);
});

test('eval prints the tables and the micro F1, and passes --min-f1', async () => {
  const r = await run(['logs', 'eval', '--corpus', sharedPath('corpus', 'training-logs.jsonl'), '--engine', 're2', '--min-f1', '0.97']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^framework\s+prec\s+recall\s+f1/m);
  assert.match(r.out, /^field\s+prec\s+recall\s+f1/m);
  assert.match(r.out, /^micro: precision \d\.\d{4} recall \d\.\d{4} f1 \d\.\d{4}/m);
});

test('eval exits 1 below --min-f1 and says so', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-eval-'));
  const corpus = path.join(dir, 'wrong.jsonl');
  fs.writeFileSync(corpus, JSON.stringify({ id: 'x-1', framework: 'keras', line: 'Epoch 3/7', expected: { epoch: 4, epochs_total: 7 } }) + '\n');
  const r = await run(['logs', 'eval', '--corpus', corpus, '--min-f1', '0.9']);
  assert.equal(r.code, 1);
  assert.match(r.err, /micro F1 0\.\d{4} is below --min-f1 0\.9/);
});

test('eval rejects a --min-f1 outside 0..1', async () => {
  const r = await run(['logs', 'eval', '--corpus', sharedPath('corpus', 'training-logs.jsonl'), '--min-f1', '1.01']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--min-f1 must be a number between 0 and 1, got "1.01"/);
});

test('eval requires --corpus', async () => {
  const r = await run(['logs', 'eval']);
  assert.equal(r.code, 2);
  assert.match(r.err, /missing --corpus FILE/);
});
