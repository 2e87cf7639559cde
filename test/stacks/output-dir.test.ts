/**
 * The output folder is replaced only when it is ours: absent, empty, earlier mlobs output (the
 * marker) or plain cdktf output from before the marker. Anything else (a checkout, a file, a
 * symlink) is refused with its name and left exactly as it was; an empty CDKTF_OUTDIR means the
 * default folder; temporary folders never outlive a run, even one ended by SIGINT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OUTPUT_MARKER, OutputDirError, synthesizeAll } from '../../stacks/app';
import { REPO_ROOT } from '../helpers/paths';

const CONFIG = path.join(REPO_ROOT, 'config');
const MAIN = path.join(REPO_ROOT, 'dist', 'stacks', 'main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-outdir-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every file under `dir` with its content, for "left exactly as it was". */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const leftovers = (dir: string): string[] => fs.readdirSync(dir).filter((e) => /\.tmp-|\.old-/.test(e));

test('absent, empty, earlier mlobs output and marker-less cdktf output are replaced; the marker is written', () => {
  const absent = path.join(tmp, 'a', 'cdktf.out');
  synthesizeAll({ configDir: CONFIG, outdir: absent });
  assert.ok(fs.existsSync(path.join(absent, OUTPUT_MARKER)));
  synthesizeAll({ configDir: CONFIG, outdir: absent }); // again: ours
  const empty = path.join(tmp, 'empty');
  fs.mkdirSync(empty);
  synthesizeAll({ configDir: CONFIG, outdir: empty });
  assert.ok(fs.existsSync(path.join(empty, 'stacks', 'dev', 'cdk.tf.json')));
  const older = path.join(tmp, 'older');
  fs.cpSync(absent, older, { recursive: true });
  fs.rmSync(path.join(older, OUTPUT_MARKER));
  synthesizeAll({ configDir: CONFIG, outdir: older });
  assert.ok(fs.existsSync(path.join(older, OUTPUT_MARKER)));
  assert.deepEqual(leftovers(tmp), []);
});

test('a folder that is not synthesis output, a file or a symlink is refused by name and left untouched', () => {
  const checkout = path.join(tmp, 'checkout');
  fs.mkdirSync(path.join(checkout, '.git'), { recursive: true });
  fs.writeFileSync(path.join(checkout, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  fs.writeFileSync(path.join(checkout, 'README.md'), '# mine\n');
  const file = path.join(tmp, 'file');
  fs.writeFileSync(file, 'data\n');
  const link = path.join(tmp, 'link');
  fs.symlinkSync(checkout, link);
  const cases: [string, RegExp][] = [
    [checkout, /not empty and not mlobs synthesis output \(no \.mlobs-synthesis; holds \.git, README\.md\)/],
    [file, /it is not a folder/],
    [link, /it is a symbolic link/],
  ];
  const before = snapshot(checkout);
  for (const [dir, why] of cases) {
    assert.throws(
      () => synthesizeAll({ configDir: CONFIG, outdir: dir }),
      (e: unknown) => e instanceof OutputDirError && e.message.startsWith(`${dir}: not replaced: `) && why.test(e.message),
      dir,
    );
  }
  assert.deepEqual(snapshot(checkout), before);
  assert.equal(fs.readFileSync(file, 'utf8'), 'data\n');
  assert.deepEqual(leftovers(tmp), []);
});

test('CDKTF_OUTDIR: a checkout is refused with exit 1 and kept; empty means the default, never the current folder', () => {
  const checkout = path.join(tmp, 'repo');
  fs.mkdirSync(path.join(checkout, '.git'), { recursive: true });
  fs.writeFileSync(path.join(checkout, 'keep.txt'), 'keep\n');
  const refused = spawnSync(process.execPath, [MAIN], { encoding: 'utf8', env: { ...process.env, CDKTF_OUTDIR: checkout, MLOBS_CONFIG_DIR: CONFIG } });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, new RegExp(`^${checkout.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not replaced: `));
  assert.doesNotMatch(refused.stderr, /at .*\.js:\d+/, 'no stack trace');
  assert.deepEqual(fs.readdirSync(checkout).sort(), ['.git', 'keep.txt']);
  const cwd = fs.mkdtempSync(path.join(tmp, 'cwd-'));
  fs.writeFileSync(path.join(cwd, 'mine.txt'), 'mine\n');
  const empty = spawnSync(process.execPath, [MAIN], { cwd, encoding: 'utf8', env: { ...process.env, CDKTF_OUTDIR: '', MLOBS_CONFIG_DIR: CONFIG } });
  assert.equal(empty.status, 0, empty.stderr);
  assert.deepEqual(fs.readdirSync(cwd), ['mine.txt']);
  assert.ok(fs.existsSync(path.join(REPO_ROOT, 'cdktf.out', OUTPUT_MARKER)), 'the default folder was written');
});

test('SIGINT during a run leaves either the complete output or none, and no temporary folder', async () => {
  for (const delayMs of [20, 120, 300, 600]) {
    const dir = fs.mkdtempSync(path.join(tmp, 'sig-'));
    const outdir = path.join(dir, 'cdktf.out');
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, CDKTF_OUTDIR: outdir, MLOBS_CONFIG_DIR: CONFIG }, stdio: 'ignore' });
    // Listen from the start: on a slow machine the run may finish before the signal is sent.
    const exited = new Promise<number | null>((r) => child.on('exit', (c, s) => r(c ?? (s ? 128 : null))));
    await new Promise((r) => setTimeout(r, delayMs));
    child.kill('SIGINT');
    const code = await exited;
    assert.ok(code === 0 || code === 130 || code === 128, `exit ${code}`);
    assert.deepEqual(leftovers(dir), [], `after ${delayMs} ms`);
    if (fs.existsSync(outdir)) {
      assert.ok(fs.existsSync(path.join(outdir, OUTPUT_MARKER)), `after ${delayMs} ms: output without its marker`);
      assert.equal(fs.readdirSync(path.join(outdir, 'stacks')).length, 3);
    }
  }
});
