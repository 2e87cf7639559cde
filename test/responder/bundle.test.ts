/**
 * The responder runs from a ConfigMap without node_modules: its compiled files require only
 * node: builtins and each other, the closure from the entry is exactly RESPONDER_RUNTIME_FILES,
 * and a copy of just those files, outside the repository, starts with `node` and quarantines a
 * node through a fake API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { RESPONDER_ENTRY, RESPONDER_RUNTIME_FILES } from '../../responder/files';
import { alert, FakeKubeApi, FAKE_API_TOKEN, request, tempFile, webhook } from './helpers';
import { QUARANTINE_TAINT } from '../../responder/policy';

/** dist/ (this file compiles to dist/test/responder/bundle.test.js). */
const DIST = path.resolve(__dirname, '..', '..');

/** The require() specifiers of a compiled file (string literals only; anything else fails). */
function requires(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  const any = /\brequire\s*\(/g;
  const literal = /\brequire\s*\(\s*"([^"]+)"\s*\)/y;
  for (let m = any.exec(src); m; m = any.exec(src)) {
    // Skip mentions inside comments.
    const lineStart = src.lastIndexOf('\n', m.index) + 1;
    const line = src.slice(lineStart, m.index);
    if (/^\s*(\*|\/\/|\/\*)/.test(line)) continue;
    literal.lastIndex = m.index;
    const l = literal.exec(src);
    assert.ok(l, `${path.relative(DIST, file)}: a require() that is not a string literal at ${m.index}`);
    out.push(l[1] ?? '');
  }
  return out;
}

test('the compiled responder requires only node: builtins and its own files; the closure is RESPONDER_RUNTIME_FILES', () => {
  const seen = new Set<string>();
  const queue = [RESPONDER_ENTRY];
  while (queue.length > 0) {
    const rel = queue.shift() ?? '';
    if (seen.has(rel)) continue;
    seen.add(rel);
    const file = path.join(DIST, rel);
    assert.ok(fs.existsSync(file), `${rel} compiled`);
    for (const spec of requires(file)) {
      if (spec.startsWith('node:')) continue;
      assert.ok(spec.startsWith('./') || spec.startsWith('../'), `${rel} requires "${spec}": only node: builtins and relative files are available in the ConfigMap`);
      const target = path.relative(DIST, path.resolve(path.dirname(file), `${spec}.js`)).split(path.sep).join('/');
      queue.push(target);
    }
  }
  assert.deepEqual([...seen].sort(), RESPONDER_RUNTIME_FILES.map((f) => f.path).sort());
  // Every file under dist/responder that ships is in the list (files.js is the list itself, for the stack).
  const compiled = fs.readdirSync(path.join(DIST, 'responder')).filter((f) => f.endsWith('.js') && f !== 'files.js').map((f) => `responder/${f}`);
  assert.deepEqual(compiled.sort(), RESPONDER_RUNTIME_FILES.map((f) => f.path).filter((p) => p.startsWith('responder/')).sort());
  // ConfigMap keys are valid and distinct.
  const keys = RESPONDER_RUNTIME_FILES.map((f) => f.key);
  assert.ok(keys.every((k) => /^[-._a-zA-Z0-9]+$/.test(k)));
  assert.equal(new Set(keys).size, keys.length);
});

test('a copy of only the runtime files, outside the repository, starts with node and quarantines a node', async () => {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'responder-app-'));
  for (const f of RESPONDER_RUNTIME_FILES) {
    fs.mkdirSync(path.dirname(path.join(app, f.path)), { recursive: true });
    fs.copyFileSync(path.join(DIST, f.path), path.join(app, f.path));
  }
  const api = new FakeKubeApi();
  await api.start();
  api.addNode('gpu-a');
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_PATH: '',
    PORT: '0',
    RESPONDER_DRY_RUN: 'false',
    RESPONDER_MAX_PERCENT: '100', // one GPU node: the default 25% would refuse it
    RESPONDER_TOKEN_FILE: tempFile('token', 'hook-token'),
    RESPONDER_KUBE_API_URL: api.url,
    RESPONDER_KUBE_TOKEN_FILE: tempFile('api-token', FAKE_API_TOKEN),
  };
  const child = spawn(process.execPath, [path.join(app, RESPONDER_ENTRY)], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening" line; stderr: ${stderr}`)), 10_000);
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        const m = /"msg":"responder listening","port":(\d+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    assert.equal((await request(port, { body: JSON.stringify(webhook([alert('GpuFellOffBus', 'gpu-a')])), headers: { Authorization: 'Bearer nope' } })).status, 401);
    const r = await request(port, { body: JSON.stringify(webhook([alert('GpuFellOffBus', 'gpu-a')])), headers: { Authorization: 'Bearer hook-token' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(api.nodes.get('gpu-a')?.spec.unschedulable, true, r.text);
    assert.deepEqual(api.nodes.get('gpu-a')?.spec.taints, [QUARANTINE_TAINT]);
    assert.match(stdout, /"msg":"decision","action":"act","reason":"fatal","node":"gpu-a"/);
  } finally {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, `clean exit on SIGTERM; stderr: ${stderr}`);
    await api.stop();
  }
});

test('a bad configuration exits 1 with every problem on stderr', async () => {
  const child = spawn(process.execPath, [path.join(DIST, RESPONDER_ENTRY)], { env: { PATH: process.env.PATH ?? '', RESPONDER_MAX_NODES: 'many', RESPONDER_TOKEN_FILE: '/nonexistent' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 1);
  assert.match(stderr, /RESPONDER_MAX_NODES/);
  assert.match(stderr, /RESPONDER_TOKEN_FILE/);
  assert.match(stderr, /"level":"fatal"/);
});
