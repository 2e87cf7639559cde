/**
 * The local cluster leaves nothing behind, however its user ends: Ctrl-C (SIGINT), a CI timeout
 * (SIGTERM) or a test that throws. Each case starts a real cluster in a child process and then
 * checks that no component process survives and its directory is gone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const FIXTURE = path.join(__dirname, 'fixtures', 'hold-cluster.js');

function alive(dir: string): number[] {
  const r = spawnSync('pgrep', ['-f', path.join(dir, 'kwok', 'clusters')], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

async function run(mode: 'wait' | 'throw', signal?: NodeJS.Signals): Promise<{ dir: string; code: number | null; runningBefore: number }> {
  const child = spawn(process.execPath, [FIXTURE, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const dir = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no cluster after 120 s: ${err}`)), 120_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.trim());
      }
    });
    child.on('exit', (code) => reject(new Error(`fixture exited (${code}) before the cluster was up: ${err}`)));
  });
  const runningBefore = alive(dir).length;
  if (signal) child.kill(signal);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { dir, code, runningBefore };
}

for (const [name, mode, signal, exitCode] of [
  ['Ctrl-C (SIGINT)', 'wait', 'SIGINT', 130],
  ['a timeout (SIGTERM)', 'wait', 'SIGTERM', 143],
  ['a test that throws', 'throw', undefined, 1],
] as const) {
  test(`the cluster is stopped and removed on ${name}`, { timeout: 240_000 }, async () => {
    const r = await run(mode, signal);
    assert.ok(r.runningBefore >= 5, `${r.runningBefore} component processes were running`);
    assert.equal(r.code, exitCode);
    assert.deepEqual(alive(r.dir), []);
    assert.equal(fs.existsSync(r.dir), false);
  });
}
