/**
 * The responder's HTTP server against a fake Kubernetes API: refused requests (401, 400, 413,
 * 405, 404) change nothing; a fatal alert patches the node and posts an Event; repeats are
 * idempotent; concurrent webhooks cannot both pass the rate limit; the limit survives a restart
 * (read back from node annotations); a 409 is retried on a fresh read; malformed input never
 * crashes the server.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { KubeClient } from '../../responder/kube';
import { OPT_OUT_LABEL, OPT_OUT_VALUE, QUARANTINE_ANNOTATIONS, QUARANTINE_TAINT, type PolicyConfig } from '../../responder/policy';
import { EVENT_REASON_QUARANTINE, EVENT_REASON_REFUSED, startResponder, type ResponderOptions } from '../../responder/server';
import { alert, FakeKubeApi, FAKE_API_TOKEN, policyConfig, request, tempFile, webhook, type HttpAnswer } from './helpers';

const TOKEN = 's3cret-webhook-token';
const tokenFile = tempFile('token', `${TOKEN}\n`);
const auth = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
const MAX_BODY = 4096;

interface Harness {
  api: FakeKubeApi;
  port: number;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
  /** Stops the responder only (the fake API keeps running). */
  stopResponder(): Promise<void>;
  post(body: unknown, headers?: Record<string, string>): Promise<HttpAnswer>;
  healthy(): Promise<void>;
}

const open: Harness[] = [];

async function harness(policy: Partial<PolicyConfig> = {}, opts: { api?: FakeKubeApi; now?: () => number; options?: Partial<ResponderOptions> } = {}): Promise<Harness> {
  const api = opts.api ?? new FakeKubeApi();
  if (!api.url) await api.start();
  const logs: Record<string, unknown>[] = [];
  const running = await startResponder(
    {
      policy: policyConfig(policy),
      gpuNodeSelector: 'nvidia.com/gpu.present=true',
      tokenFile,
      kube: new KubeClient({ baseUrl: api.url, token: FAKE_API_TOKEN }),
      eventNamespace: 'default',
      maxBodyBytes: MAX_BODY,
      log: (l) => logs.push(l),
      ...(opts.now ? { now: opts.now } : {}),
      ...opts.options,
    },
    0,
    '127.0.0.1',
  );
  const h: Harness = {
    api,
    port: running.port,
    logs,
    close: async () => {
      await running.close();
      await api.stop();
    },
    stopResponder: () => running.close(),
    post: (body, headers = auth) => request(running.port, { body: typeof body === 'string' ? body : JSON.stringify(body), headers }),
    healthy: async () => {
      const r = await request(running.port, { method: 'GET', path: '/healthz' });
      assert.equal(r.status, 200);
    },
  };
  open.push(h);
  return h;
}

after(async () => {
  for (const h of open) await h.close().catch(() => undefined);
});

let shared: Harness;
before(async () => {
  shared = await harness();
  shared.api.addNode('gpu-1');
});

const fatal = webhook([alert('GpuFellOffBus', 'gpu-1')]);

test('requests without the token, with a wrong one or another scheme get 401 and reach no API', async () => {
  const h = shared;
  const before = h.api.requests.length;
  const variants: Record<string, string>[] = [
    { 'Content-Type': 'application/json' },
    { Authorization: 'Bearer wrong', 'Content-Type': 'application/json' },
    { Authorization: `Bearer ${TOKEN}x` },
    { Authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
    { Authorization: TOKEN },
    { Authorization: 'Bearer ' },
  ];
  for (const headers of variants) {
    const r = await h.post(fatal, headers);
    assert.equal(r.status, 401, JSON.stringify(headers));
    assert.equal(r.headers['www-authenticate'], 'Bearer');
  }
  assert.equal(h.api.requests.length, before, 'no API request');
  assert.equal(h.api.nodes.get('gpu-1')?.spec.unschedulable, undefined);
  assert.ok(h.logs.some((l) => l.msg === 'unauthenticated webhook refused'));
});

test('malformed JSON and payloads not shaped like Alertmanager\'s get 400 and change nothing', async () => {
  const h = shared;
  const before = h.api.requests.length;
  const bodies = ['', '{', 'null', '[]', '"x"', '{"version":"4"}', JSON.stringify({ ...fatal, version: '3' }), JSON.stringify({ ...fatal, alerts: [{ labels: { node: 1 } }] }), '\u0000\u0001garbage', '{"a":' + '['.repeat(1000) + ']'.repeat(1000) + '}'];
  for (const b of bodies) {
    const r = await h.post(b);
    assert.equal(r.status, 400, b.slice(0, 40));
    assert.ok(typeof (r.json() as { error: string }).error === 'string');
  }
  assert.equal(h.api.requests.length, before);
  await h.healthy();
});

test('bodies over the limit get 413 (declared or streamed) and change nothing', async () => {
  const h = shared;
  const before = h.api.requests.length;
  const big = JSON.stringify({ ...fatal, commonAnnotations: { pad: 'x'.repeat(MAX_BODY) } });
  const r1 = await h.post(big);
  assert.equal(r1.status, 413);
  // Streamed without a Content-Length (chunked): refused once the count passes the limit.
  const r2 = await request(h.port, { headers: { ...auth, 'Transfer-Encoding': 'chunked' }, chunks: Array.from({ length: 64 }, () => Buffer.alloc(1024, 'x')) });
  assert.equal(r2.status, 413);
  // A lying Content-Length header is not a number.
  assert.equal(h.api.requests.length, before);
  await h.healthy();
});

test('wrong method 405, other paths 404, healthz 200; none reach the API', async () => {
  const h = shared;
  const before = h.api.requests.length;
  const get = await request(h.port, { method: 'GET', path: '/webhook', headers: auth });
  assert.equal(get.status, 405);
  assert.equal(get.headers.allow, 'POST');
  assert.equal((await request(h.port, { method: 'PUT', path: '/webhook', headers: auth, body: JSON.stringify(fatal) })).status, 405);
  assert.equal((await request(h.port, { method: 'POST', path: '/other', headers: auth, body: JSON.stringify(fatal) })).status, 404);
  assert.equal((await request(h.port, { method: 'POST', path: '/', headers: auth })).status, 404);
  assert.equal((await request(h.port, { method: 'POST', path: '/healthz', headers: auth })).status, 405);
  assert.equal((await request(h.port, { method: 'GET', path: '/healthz?x=1' })).status, 200);
  assert.equal(h.api.requests.length, before);
});

test('a fatal alert cordons and taints the node (keeping its taints), annotates it and records an Event; a repeat changes nothing', async () => {
  const h = await harness();
  h.api.addNode('gpu-a', { taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }], annotations: { keep: 'me' } });
  h.api.addNode('gpu-b');
  const r = await h.post(webhook([alert('GpuFellOffBus', 'gpu-a'), alert('GpuTemperatureHigh', 'gpu-b')]));
  assert.equal(r.status, 200, r.text);
  const body = r.json() as { dryRun: boolean; decisions: { node: string; action: string; reason: string; applied?: string }[] };
  assert.equal(body.dryRun, false);
  assert.deepEqual(body.decisions, [
    { node: 'gpu-a', alert: 'GpuFellOffBus', action: 'act', reason: 'fatal', applied: 'patched' },
    { node: 'gpu-b', alert: 'GpuTemperatureHigh', action: 'refuse', reason: 'not-fatal' },
  ]);
  assert.equal(h.api.patches.length, 1);
  const p = h.api.patches[0];
  assert.equal(p?.path, '/api/v1/nodes/gpu-a');
  assert.equal(p?.contentType, 'application/merge-patch+json');
  assert.equal(p?.authorization, `Bearer ${FAKE_API_TOKEN}`);
  const node = h.api.nodes.get('gpu-a');
  assert.equal(node?.spec.unschedulable, true);
  assert.deepEqual(node?.spec.taints, [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }, QUARANTINE_TAINT]);
  assert.equal(node?.metadata.annotations.keep, 'me');
  assert.equal(node?.metadata.annotations[QUARANTINE_ANNOTATIONS.alert], 'GpuFellOffBus');
  assert.equal(node?.metadata.annotations[QUARANTINE_ANNOTATIONS.xid], '79');
  assert.equal(node?.metadata.annotations[QUARANTINE_ANNOTATIONS.fingerprint], 'fp-GpuFellOffBus-gpu-a');
  assert.ok(node?.metadata.annotations[QUARANTINE_ANNOTATIONS.at]);
  assert.equal(h.api.nodes.get('gpu-b')?.spec.unschedulable, undefined);
  // One Event per decision, on the node.
  const events = h.api.events.map((e) => e.body as { reason: string; type: string; message: string; involvedObject: { kind: string; name: string }; metadata: { namespace: string } });
  assert.equal(events.length, 2);
  assert.equal(h.api.events[0]?.path, '/api/v1/namespaces/default/events');
  assert.deepEqual(events.map((e) => [e.involvedObject.kind, e.involvedObject.name, e.reason, e.type]), [
    ['Node', 'gpu-a', EVENT_REASON_QUARANTINE, 'Warning'],
    ['Node', 'gpu-b', EVENT_REASON_REFUSED, 'Normal'],
  ]);
  assert.match(events[0]?.message ?? '', /^fatal: cordoned and tainted node gpu-a/);
  assert.match(events[1]?.message ?? '', /^not-fatal: /);
  // One JSON log line per decision.
  const decisions = h.logs.filter((l) => l.msg === 'decision');
  assert.deepEqual(decisions.map((l) => [l.node, l.action, l.reason]), [['gpu-a', 'act', 'fatal'], ['gpu-b', 'refuse', 'not-fatal']]);

  // The same notification again (Alertmanager's repeat): no PATCH, an Event that says why.
  const again = await h.post(webhook([alert('GpuFellOffBus', 'gpu-a')]));
  assert.equal(again.status, 200);
  assert.equal(h.api.patches.length, 1);
  assert.match((h.api.events.at(-1)?.body as { message: string }).message, /^already-quarantined: /);
  // Resolved: never uncordons.
  const resolved = await h.post(webhook([alert('GpuFellOffBus', 'gpu-a', { status: 'resolved' })]));
  assert.equal(resolved.status, 200);
  assert.equal(h.api.patches.length, 1);
  assert.equal(h.api.nodes.get('gpu-a')?.spec.unschedulable, true);
  assert.match((h.api.events.at(-1)?.body as { message: string }).message, /^resolved-never-uncordons: /);
});

test('dry run (the default mode) patches nothing and records what it would have done', async () => {
  const h = await harness({ dryRun: true, maxNodes: 1 });
  h.api.addNode('gpu-a');
  h.api.addNode('gpu-b');
  const r = await h.post(webhook([alert('GpuFellOffBus', 'gpu-a')]));
  assert.equal(r.status, 200);
  assert.equal(h.api.patches.length, 0);
  assert.match((h.api.events.at(-1)?.body as { message: string }).message, /^dry-run: dry run: would cordon/);
  // The dry run remembers its would-be quarantine for the rate limit of later webhooks.
  await h.post(webhook([alert('GpuFellOffBus', 'gpu-b')]));
  assert.equal(h.api.patches.length, 0);
  assert.match((h.api.events.at(-1)?.body as { message: string }).message, /^rate-limited-count: /);
});

test('opted-out nodes are left alone (Event says so)', async () => {
  const h = await harness();
  h.api.addNode('gpu-a', { labels: { [OPT_OUT_LABEL]: OPT_OUT_VALUE } });
  h.api.addNode('gpu-b', { labels: { 'k8saas.nvidia.com/ManagedByNVSentinel': 'false' } });
  const r = await h.post(webhook([alert('GpuFellOffBus', 'gpu-a'), alert('GpuFellOffBus', 'gpu-b')]));
  assert.equal(r.status, 200);
  assert.equal(h.api.patches.length, 0);
  assert.deepEqual(h.api.events.map((e) => (e.body as { message: string }).message.split(':')[0]), ['opted-out', 'opted-out']);
});

test('concurrent webhooks are serialized: with maxNodes 1, two at once quarantine one node', async () => {
  const h = await harness({ maxNodes: 1 });
  for (const n of ['gpu-a', 'gpu-b', 'gpu-c', 'gpu-d']) h.api.addNode(n);
  const answers = await Promise.all(['gpu-a', 'gpu-b', 'gpu-c', 'gpu-d'].map((n) => h.post(webhook([alert('GpuFellOffBus', n)]))));
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200]);
  assert.equal(h.api.patches.length, 1);
  const reasons = h.logs.filter((l) => l.msg === 'decision').map((l) => l.reason).sort();
  assert.deepEqual(reasons, ['fatal', 'rate-limited-count', 'rate-limited-count', 'rate-limited-count']);
});

test('the rate limit survives a restart: it is read back from the nodes\' annotations', async () => {
  const api = new FakeKubeApi();
  api.addNode('gpu-a');
  api.addNode('gpu-b');
  for (let i = 0; i < 8; i++) api.addNode(`gpu-idle-${i}`);
  const first = await harness({ maxNodes: 1 }, { api });
  assert.equal((await first.post(webhook([alert('GpuFellOffBus', 'gpu-a')]))).status, 200);
  assert.equal(api.patches.length, 1);
  // "Restart": the responder stops, a new one starts on the same cluster.
  await first.stopResponder();
  const second = await harness({ maxNodes: 1 }, { api });
  assert.equal((await second.post(webhook([alert('GpuFellOffBus', 'gpu-b')]))).status, 200);
  assert.equal(api.patches.length, 1, 'no second quarantine inside the window');
  assert.match((api.events.at(-1)?.body as { message: string }).message, /^rate-limited-count: /);
  // Past the window (the clock two hours on), the limit lets one more through.
  const later = await harness({ maxNodes: 1 }, { api, now: () => Date.now() + 2 * 3600_000 });
  assert.equal((await later.post(webhook([alert('GpuFellOffBus', 'gpu-b')]))).status, 200);
  assert.equal(api.patches.length, 2);
  // Percent: in the window of the later clock gpu-b is quarantined; a second of 11 GPU nodes is over 10%.
  const pct = await harness({ maxPercent: 10 }, { api, now: () => Date.now() + 2 * 3600_000 });
  api.addNode('gpu-c');
  await pct.post(webhook([alert('GpuFellOffBus', 'gpu-c')]));
  assert.match((api.events.at(-1)?.body as { message: string }).message, /^rate-limited-percent: /);
});

test('a conflicting update (409) is retried on a fresh read, keeping the taint added meanwhile', async () => {
  const h = await harness();
  h.api.addNode('gpu-a');
  h.api.conflictOnce.add('gpu-a');
  const r = await h.post(webhook([alert('GpuFellOffBus', 'gpu-a')]));
  assert.equal(r.status, 200, r.text);
  assert.equal(h.api.patches.length, 2);
  assert.deepEqual(h.api.nodes.get('gpu-a')?.spec.taints, [{ key: 'other.example/added-concurrently', effect: 'NoSchedule' }, QUARANTINE_TAINT]);
  // Each PATCH carried the resourceVersion it was based on.
  assert.ok(h.api.patches.every((p) => typeof (p.body as { metadata: { resourceVersion?: string } }).metadata.resourceVersion === 'string'));
});

test('unknown and non-GPU nodes are refused; an API outage answers 502 and the server lives on', async () => {
  const h = await harness();
  h.api.addNode('cpu-1', { gpu: false });
  h.api.addNode('gpu-a');
  const r = await h.post(webhook([alert('GpuFellOffBus', 'ghost'), alert('GpuFellOffBus', 'cpu-1')]));
  assert.equal(r.status, 200);
  assert.deepEqual((r.json() as { decisions: { reason: string }[] }).decisions.map((d) => d.reason), ['unknown-node', 'not-a-gpu-node']);
  assert.equal(h.api.patches.length, 0);
  h.api.down = true;
  const down = await h.post(webhook([alert('GpuFellOffBus', 'gpu-a')]));
  assert.equal(down.status, 502);
  h.api.down = false;
  await h.healthy();
  const ok = await h.post(webhook([alert('GpuFellOffBus', 'gpu-a')]));
  assert.equal(ok.status, 200);
  assert.equal(h.api.patches.length, 1);
});

test('the token file is read per request: a rotated token takes effect, an unreadable one refuses everything (503)', async () => {
  const file = tempFile('token', 'first');
  const h = await harness({}, { options: { tokenFile: file } });
  h.api.addNode('gpu-a');
  const body = webhook([alert('GpuTemperatureHigh', 'gpu-a')]);
  assert.equal((await h.post(body, { Authorization: 'Bearer first' })).status, 200);
  fs.writeFileSync(file, 'second\n');
  assert.equal((await h.post(body, { Authorization: 'Bearer first' })).status, 401);
  assert.equal((await h.post(body, { Authorization: 'Bearer second' })).status, 200);
  fs.writeFileSync(file, '  \n');
  assert.equal((await h.post(body, { Authorization: 'Bearer ' })).status, 503);
  fs.rmSync(file);
  assert.equal((await h.post(body, { Authorization: 'Bearer second' })).status, 503);
  await h.healthy();
});

test('garbage on the wire and odd input never crash the server', async () => {
  const h = shared;
  const before = h.api.writes.length;
  // Raw garbage, a truncated request, a bad header.
  for (const raw of ['GARBAGE\r\n\r\n', 'POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"vers', 'POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', '\u0000\u00ff\r\n']) {
    await new Promise<void>((resolve) => {
      const s = net.connect(h.port, '127.0.0.1', () => {
        s.write(raw);
        setTimeout(() => s.destroy(), 50);
      });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.on('data', () => undefined);
    });
  }
  // Odd but well-formed payloads.
  const odd = [
    webhook([]),
    webhook([alert('GpuFellOffBus', '../../etc')]),
    webhook([alert('GpuFellOffBus', 'a'.repeat(300))]),
    { ...fatal, extra: { deep: [1, 2, { x: null }] } },
  ];
  for (const b of odd) {
    const r = await h.post(b);
    assert.ok([200, 400].includes(r.status), `${r.status} ${r.text}`);
  }
  // Many requests at once, half of them invalid.
  const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => h.post(i % 2 ? '{bad' : webhook([alert('GpuXidError', 'gpu-1')]))));
  assert.ok(burst.every((r) => r.status === 200 || r.status === 400));
  await h.healthy();
  // Only the odd valid fatal alerts could write, and only for the real node (already handled: unknown nodes get Events only).
  assert.ok(h.api.writes.slice(before).every((w) => w.method === 'POST' || w.path === '/api/v1/nodes/gpu-1'));
});
