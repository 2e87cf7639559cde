/**
 * The responder's Kubernetes client: the in-cluster options from the ServiceAccount mount, node
 * list paging with the label selector, 404 as "no such node", API errors, and the equality-based
 * label selector it uses to recognise GPU nodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { inClusterOptions, KubeApiError, KubeClient, matchesSelector, NODE_LIST_PAGE_SIZE, parseLabelSelector } from '../../responder/kube';

test('inClusterOptions: https to KUBERNETES_SERVICE_HOST/PORT with the ServiceAccount CA, the token re-read per call', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sa-'));
  fs.writeFileSync(path.join(dir, 'token'), 'tok-1\n');
  fs.writeFileSync(path.join(dir, 'ca.crt'), 'PEM');
  const o = inClusterOptions({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '6443' }, dir);
  assert.equal(o.baseUrl, 'https://10.96.0.1:6443');
  assert.equal(String(o.ca), 'PEM');
  assert.equal(typeof o.token, 'function');
  const token = o.token as () => string;
  assert.equal(token(), 'tok-1');
  fs.writeFileSync(path.join(dir, 'token'), 'tok-2');
  assert.equal(token(), 'tok-2');
  assert.equal(inClusterOptions({ KUBERNETES_SERVICE_HOST: 'fd00::1' }, dir).baseUrl, 'https://[fd00::1]:443');
  assert.throws(() => inClusterOptions({}, dir), /KUBERNETES_SERVICE_HOST/);
  fs.writeFileSync(path.join(dir, 'token'), '');
  assert.throws(() => inClusterOptions({ KUBERNETES_SERVICE_HOST: 'h' }, dir), /empty/);
});

test('listNodes pages with limit/continue and passes the selector; getNode maps 404 to undefined; errors carry the status', async () => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('Content-Type', 'application/json');
    if (url.pathname === '/api/v1/nodes') {
      const cont = url.searchParams.get('continue');
      const page = cont === null ? 0 : Number(cont);
      const items = [{ metadata: { name: `n${page}`, labels: { a: 'b', n: 5 } }, spec: { taints: [{ key: 'k', effect: 'NoSchedule', value: 'v' }, { bogus: true }] } }];
      return res.end(JSON.stringify({ items, metadata: page < 2 ? { continue: String(page + 1) } : {} }));
    }
    if (url.pathname === '/api/v1/nodes/missing') {
      res.statusCode = 404;
      return res.end('{"code":404}');
    }
    if (url.pathname === '/api/v1/nodes/forbidden') {
      res.statusCode = 403;
      return res.end('{"code":403,"message":"nodes is forbidden"}');
    }
    if (url.pathname === '/api/v1/nodes/notjson') return res.end('<html>');
    res.statusCode = 500;
    return res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const c = new KubeClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't' });
    const nodes = await c.listNodes('nvidia.com/gpu.present=true');
    assert.deepEqual(nodes.map((n) => n.metadata.name), ['n0', 'n1', 'n2']);
    assert.deepEqual(nodes[0]?.metadata.labels, { a: 'b' }, 'non-string label values dropped');
    assert.deepEqual(nodes[0]?.spec?.taints, [{ key: 'k', effect: 'NoSchedule', value: 'v' }], 'malformed taints dropped');
    assert.equal(nodes[0]?.spec?.unschedulable, false);
    assert.equal(seen[0], `GET /api/v1/nodes?labelSelector=nvidia.com%2Fgpu.present%3Dtrue&limit=${NODE_LIST_PAGE_SIZE} Bearer t`);
    assert.match(seen[1] ?? '', /&continue=1 /);
    assert.equal(await c.getNode('missing'), undefined);
    await assert.rejects(c.getNode('forbidden'), (e: unknown) => e instanceof KubeApiError && e.status === 403 && /forbidden/.test(e.message));
    await assert.rejects(c.getNode('notjson'), /not JSON/);
    await assert.rejects(new KubeClient({ baseUrl: 'http://127.0.0.1:1', token: 't', timeoutMs: 2000 }).getNode('x'));
  } finally {
    server.close();
  }
  assert.throws(() => new KubeClient({ baseUrl: 'ftp://x', token: 't' }), /unsupported/);
});

test('label selectors: equality, inequality, existence; anything else is refused', () => {
  const s = parseLabelSelector('nvidia.com/gpu.present=true, pool!=cpu,gpu,!excluded');
  assert.deepEqual(s, [
    { key: 'nvidia.com/gpu.present', op: '=', value: 'true' },
    { key: 'pool', op: '!=', value: 'cpu' },
    { key: 'gpu', op: 'exists' },
    { key: 'excluded', op: '!exists' },
  ]);
  assert.ok(matchesSelector({ 'nvidia.com/gpu.present': 'true', gpu: '' }, s));
  assert.ok(!matchesSelector({ 'nvidia.com/gpu.present': 'true', gpu: '', pool: 'cpu' }, s));
  assert.ok(!matchesSelector({ 'nvidia.com/gpu.present': 'false', gpu: '' }, s));
  assert.ok(!matchesSelector({ 'nvidia.com/gpu.present': 'true', gpu: '', excluded: 'x' }, s));
  assert.deepEqual(parseLabelSelector('a==b'), [{ key: 'a', op: '=', value: 'b' }]);
  for (const bad of ['', 'a in (b)', 'a=b=c', '!a=b', 'a=,', 'bad key=x', 'a=' + 'x'.repeat(64)]) assert.throws(() => parseLabelSelector(bad), /label selector/, bad);
});
