/**
 * The responder's policy: which alerts act, the rate limit by count and by percent (across the
 * batch and the history), idempotency under repeated and grouped alerts, dry run, opt-out
 * (ours and NVSentinel's two labels), resolved alerts never uncordon, and the refusals for nodes
 * that are unknown, not GPU nodes or unnamed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decide,
  DEFAULT_FATAL_ALERTS,
  DEFAULT_FATAL_ALERT_NAMES,
  historyFromNodes,
  NVSENTINEL_OPT_OUT_LABELS,
  nodesToInspect,
  OPT_OUT_LABEL,
  OPT_OUT_VALUE,
  QUARANTINE_ANNOTATIONS,
  QUARANTINE_TAINT,
  withQuarantineTaint,
  type Decision,
  type NodeView,
  type PolicyInput,
  type QuarantineRecord,
} from '../../responder/policy';
import { CRITICAL_XIDS } from '../../constructs/contracts/xid';
import { alert, gpuNode, policyConfig, webhook } from './helpers';
import type { WebhookAlert } from '../../responder/webhook';

const NOW = Date.parse('2024-05-01T12:00:00Z');

function run(alerts: readonly WebhookAlert[], opts: { nodes?: readonly NodeView[]; gpuNodeCount?: number; history?: readonly QuarantineRecord[]; config?: Parameters<typeof policyConfig>[0] } = {}): Decision[] {
  const nodes = opts.nodes ?? [...new Set(alerts.map((a) => a.labels.node).filter((n): n is string => n !== undefined))].map((n) => gpuNode(n));
  const input: PolicyInput = {
    payload: webhook(alerts),
    nodes: new Map(nodes.map((n) => [n.name, n])),
    gpuNodeCount: opts.gpuNodeCount ?? 100,
    history: opts.history ?? [],
    now: NOW,
    config: policyConfig(opts.config),
  };
  return decide(input);
}

const reasons = (ds: readonly Decision[]): string[] => ds.map((d) => d.reason);

test('every fatal alert (each paging Xid, uncorrectable ECC, row-remap failure) acts on a GPU node', () => {
  for (const f of DEFAULT_FATAL_ALERTS) {
    const ds = run([alert(f.alert, 'gpu-1')]);
    assert.equal(ds.length, 1);
    const d = ds[0];
    assert.ok(d && d.action === 'act', `${f.alert} acts`);
    assert.equal(d.node, 'gpu-1');
    assert.deepEqual(d.taint, QUARANTINE_TAINT);
    assert.equal(d.taint.effect, 'NoSchedule');
    assert.equal(d.annotations[QUARANTINE_ANNOTATIONS.alert], f.alert);
    assert.equal(d.annotations[QUARANTINE_ANNOTATIONS.fingerprint], `fp-${f.alert}-gpu-1`);
    assert.equal(d.annotations[QUARANTINE_ANNOTATIONS.at], new Date(NOW).toISOString());
    assert.equal(d.annotations[QUARANTINE_ANNOTATIONS.alertStartsAt], '2024-05-01T10:00:00Z');
    assert.equal(d.annotations[QUARANTINE_ANNOTATIONS.gpu], 'gpu=0 UUID=GPU-0000');
  }
  // The classification is the contracts module's, plus the two memory alerts.
  assert.deepEqual(
    DEFAULT_FATAL_ALERT_NAMES,
    [...CRITICAL_XIDS.map((x) => x.alert), 'GpuEccUncorrectableErrors', 'GpuRowRemapFailure'],
  );
  assert.ok(DEFAULT_FATAL_ALERT_NAMES.includes('GpuFellOffBus'));
});

test('non-fatal alerts (application Xids, thermal, the Loki Xid line, no alertname) never act', () => {
  const ds = run([alert('GpuXidError', 'gpu-1'), alert('GpuTemperatureHigh', 'gpu-1'), alert('LogGpuXidError', 'gpu-1'), alert('GpuMemoryRemapPending', 'gpu-1'), { ...alert('x', 'gpu-1'), labels: { node: 'gpu-1' } }]);
  assert.deepEqual(reasons(ds), ['not-fatal', 'not-fatal', 'not-fatal', 'not-fatal', 'not-fatal']);
  assert.ok(ds.every((d) => d.action === 'refuse'));
});

test('the Xid comes from the description for a multi-code alert, and from the only code otherwise', () => {
  const remap = alert('GpuXidRowRemapEvent', 'gpu-1', { annotations: { description: 'GPU 0 (GPU-1) on node gpu-1 reported Xid 64. ...' } });
  const [d1] = run([remap]);
  assert.equal(d1?.xid, 64);
  assert.ok(d1?.action === 'act' && d1.annotations[QUARANTINE_ANNOTATIONS.xid] === '64');
  const [d2] = run([alert('GpuFellOffBus', 'gpu-1', { annotations: {} })]);
  assert.equal(d2?.xid, 79);
  // A code in the text that the alert does not cover is not believed.
  const [d3] = run([alert('GpuXidGspError', 'gpu-1', { annotations: { description: 'reported Xid 13' } })]);
  assert.equal(d3?.xid, undefined);
  const [d4] = run([alert('GpuEccUncorrectableErrors', 'gpu-1')]);
  assert.ok(d4?.action === 'act');
  assert.equal(d4.xid, undefined);
  assert.equal(d4.annotations[QUARANTINE_ANNOTATIONS.xid], '');
});

test('a resolved fatal alert never uncordons: it is refused, and no decision of any kind undoes a quarantine', () => {
  const quarantined = gpuNode('gpu-1', { unschedulable: true, taints: [QUARANTINE_TAINT], annotations: { [QUARANTINE_ANNOTATIONS.at]: '2024-05-01T11:00:00Z' } });
  const ds = run([alert('GpuFellOffBus', 'gpu-1', { status: 'resolved', endsAt: '2024-05-01T11:30:00Z' })], { nodes: [quarantined] });
  assert.deepEqual(reasons(ds), ['resolved-never-uncordons']);
  assert.equal(ds[0]?.action, 'refuse');
  // Also on a schedulable node: resolved never acts either way.
  assert.deepEqual(reasons(run([alert('GpuXidUncontainedEccError', 'gpu-2', { status: 'resolved' })])), ['resolved-never-uncordons']);
  // The only action there is sets unschedulable and adds a taint: there is no uncordon.
  const acts = run([alert('GpuFellOffBus', 'gpu-3')]).filter((d) => d.action === 'act');
  assert.equal(acts.length, 1);
  assert.deepEqual(Object.keys(acts[0] ?? {}).sort(), ['action', 'alert', 'alertStatus', 'annotations', 'fingerprint', 'message', 'node', 'reason', 'taint', 'xid']);
});

test('rate limit by count: the batch never quarantines more than maxNodes', () => {
  const alerts = ['a', 'b', 'c', 'd'].map((n) => alert('GpuFellOffBus', `gpu-${n}`));
  const ds = run(alerts, { config: { maxNodes: 2 } });
  assert.deepEqual(reasons(ds), ['fatal', 'fatal', 'rate-limited-count', 'rate-limited-count']);
  assert.match(ds[2]?.message ?? '', /3 nodes quarantined in 3600s \(limit 2\)/);
  // maxNodes 0: never act.
  assert.deepEqual(reasons(run([alert('GpuFellOffBus', 'gpu-a')], { config: { maxNodes: 0 } })), ['rate-limited-count']);
});

test('rate limit by count across history: recent quarantines count, old ones do not, an unreadable timestamp counts', () => {
  const a = [alert('GpuFellOffBus', 'gpu-new')];
  const recent = [{ node: 'gpu-x', at: NOW - 10 * 60_000 }, { node: 'gpu-y', at: NOW - 59 * 60_000 }];
  assert.deepEqual(reasons(run(a, { history: recent, config: { maxNodes: 2 } })), ['rate-limited-count']);
  assert.deepEqual(reasons(run(a, { history: recent, config: { maxNodes: 3 } })), ['fatal']);
  const old = [{ node: 'gpu-x', at: NOW - 61 * 60_000 }, { node: 'gpu-y', at: NOW - 2 * 3600_000 }];
  assert.deepEqual(reasons(run(a, { history: old, config: { maxNodes: 1 } })), ['fatal']);
  assert.deepEqual(reasons(run(a, { history: [{ node: 'gpu-x', at: Number.NaN }], config: { maxNodes: 1 } })), ['rate-limited-count']);
  // A future timestamp (clock skew) counts as recent.
  assert.deepEqual(reasons(run(a, { history: [{ node: 'gpu-x', at: NOW + 60_000 }], config: { maxNodes: 1 } })), ['rate-limited-count']);
  // The history read back from node annotations.
  const h = historyFromNodes([
    { name: 'gpu-x', annotations: { [QUARANTINE_ANNOTATIONS.at]: new Date(NOW - 60_000).toISOString() } },
    { name: 'gpu-z', annotations: {} },
    { name: 'gpu-w', annotations: { [QUARANTINE_ANNOTATIONS.at]: 'garbage' } },
  ]);
  assert.equal(h.length, 2);
  assert.equal(h[0]?.at, NOW - 60_000);
  assert.ok(Number.isNaN(h[1]?.at));
});

test('rate limit by percent of GPU nodes, across the batch and the history', () => {
  const alerts = ['a', 'b', 'c'].map((n) => alert('GpuFellOffBus', `gpu-${n}`));
  // 10 GPU nodes, 20%: two may go, not three.
  assert.deepEqual(reasons(run(alerts, { gpuNodeCount: 10, config: { maxPercent: 20 } })), ['fatal', 'fatal', 'rate-limited-percent']);
  // With one recent quarantine in the window, only one more.
  assert.deepEqual(reasons(run(alerts, { gpuNodeCount: 10, history: [{ node: 'gpu-old', at: NOW - 1000 }], config: { maxPercent: 20 } })), ['fatal', 'rate-limited-percent', 'rate-limited-percent']);
  // 3 GPU nodes at 25%: none (one of three is 33%).
  assert.deepEqual(reasons(run(alerts.slice(0, 1), { gpuNodeCount: 3, config: { maxPercent: 25 } })), ['rate-limited-percent']);
  // The count limit is checked first.
  assert.deepEqual(reasons(run(alerts, { gpuNodeCount: 10, config: { maxNodes: 1, maxPercent: 10 } })), ['fatal', 'rate-limited-count', 'rate-limited-count']);
});

test('idempotent under grouped alerts: several alerts for one node make one quarantine', () => {
  const ds = run([
    alert('GpuFellOffBus', 'gpu-1', { fingerprint: 'f1', extraLabels: { gpu: '0' } }),
    alert('GpuFellOffBus', 'gpu-1', { fingerprint: 'f2', extraLabels: { gpu: '1' } }),
    alert('GpuXidDoubleBitEcc', 'gpu-1', { fingerprint: 'f3' }),
  ], { config: { maxNodes: 1 } });
  assert.deepEqual(reasons(ds), ['fatal', 'already-quarantined', 'already-quarantined']);
});

test('idempotent under repeated alerts: a quarantined node is left as is, a released one is not re-quarantined for the same occurrence', () => {
  const a = alert('GpuFellOffBus', 'gpu-1');
  const [first] = run([a]);
  assert.ok(first?.action === 'act');
  // The node as the first decision left it.
  const after = gpuNode('gpu-1', { unschedulable: true, taints: withQuarantineTaint([]), annotations: { ...first.annotations } });
  assert.deepEqual(reasons(run([a, a], { nodes: [after] })), ['already-quarantined', 'already-quarantined']);
  // A repeat does not count against the rate limit either (nothing new to do).
  assert.deepEqual(reasons(run([a], { nodes: [after], history: historyFromNodes([{ name: 'gpu-1', annotations: after.annotations }]), config: { maxNodes: 1 } })), ['already-quarantined']);
  // Someone uncordoned and removed the taint but kept the annotations: not re-quarantined for the same alert...
  const released = gpuNode('gpu-1', { annotations: { ...first.annotations } });
  assert.deepEqual(reasons(run([a], { nodes: [released] })), ['released-by-operator']);
  // ...but a new occurrence (the alert fired again later) quarantines again.
  assert.deepEqual(reasons(run([{ ...a, startsAt: '2024-05-01T11:55:00Z' }], { nodes: [released] })), ['fatal']);
  // Cordoned by someone else without our taint: we add the taint and annotations.
  assert.deepEqual(reasons(run([a], { nodes: [gpuNode('gpu-1', { unschedulable: true })] })), ['fatal']);
});

test('withQuarantineTaint appends the taint once and keeps the others', () => {
  const other = { key: 'nvidia.com/gpu', effect: 'NoSchedule' as const };
  const once = withQuarantineTaint([other]);
  assert.deepEqual(once, [other, QUARANTINE_TAINT]);
  assert.deepEqual(withQuarantineTaint(once), once);
});

test('dry run: nothing acts, every would-be quarantine says dry-run, and the batch rate limit still applies', () => {
  const alerts = ['a', 'b', 'c'].map((n) => alert('GpuFellOffBus', `gpu-${n}`));
  const ds = run([...alerts, alert('GpuXidDoubleBitEcc', 'gpu-a')], { config: { dryRun: true, maxNodes: 2 } });
  assert.deepEqual(reasons(ds), ['dry-run', 'dry-run', 'rate-limited-count', 'already-quarantined']);
  assert.ok(ds.every((d) => d.action === 'refuse'));
  assert.match(ds[0]?.message ?? '', /dry run: would cordon and taint node gpu-a/);
});

test('opt-out: our label and both NVSentinel labels leave the node alone; other values do not opt out', () => {
  const a = [alert('GpuFellOffBus', 'gpu-1')];
  const optOuts: Record<string, string>[] = [
    { [OPT_OUT_LABEL]: OPT_OUT_VALUE },
    { 'k8saas.nvidia.com/ManagedByNVSentinel': 'false' },
    { 'nvsentinel.dgxc.nvidia.com/managed': 'false' },
  ];
  assert.deepEqual(NVSENTINEL_OPT_OUT_LABELS, ['k8saas.nvidia.com/ManagedByNVSentinel', 'nvsentinel.dgxc.nvidia.com/managed']);
  assert.equal(OPT_OUT_LABEL, 'mlobs.dev/remediation');
  for (const labels of optOuts) {
    const ds = run(a, { nodes: [gpuNode('gpu-1', { labels: { 'nvidia.com/gpu.present': 'true', ...labels } })] });
    assert.deepEqual(reasons(ds), ['opted-out'], JSON.stringify(labels));
    assert.match(ds[0]?.message ?? '', new RegExp(Object.keys(labels)[0]?.replace(/\./g, '\\.') ?? 'x'));
  }
  const notOptOuts: Record<string, string>[] = [{ [OPT_OUT_LABEL]: 'enabled' }, { 'k8saas.nvidia.com/ManagedByNVSentinel': 'true' }, { 'nvsentinel.dgxc.nvidia.com/managed': 'true' }];
  for (const labels of notOptOuts) {
    assert.deepEqual(reasons(run(a, { nodes: [gpuNode('gpu-1', { labels })] })), ['fatal'], JSON.stringify(labels));
  }
  // An opted-out node does not use up the rate limit.
  const ds = run([alert('GpuFellOffBus', 'gpu-1'), alert('GpuFellOffBus', 'gpu-2')], {
    nodes: [gpuNode('gpu-1', { labels: { [OPT_OUT_LABEL]: OPT_OUT_VALUE } }), gpuNode('gpu-2')],
    config: { maxNodes: 1 },
  });
  assert.deepEqual(reasons(ds), ['opted-out', 'fatal']);
});

test('unknown node, a node that is not a GPU node, an alert without the node label', () => {
  const ds = run([alert('GpuFellOffBus', 'ghost'), alert('GpuFellOffBus', 'cpu-1'), alert('GpuFellOffBus', undefined)], {
    nodes: [gpuNode('cpu-1', { isGpuNode: false, labels: {} })],
  });
  assert.deepEqual(reasons(ds), ['unknown-node', 'not-a-gpu-node', 'missing-node-label']);
  assert.equal(ds[2]?.node, undefined);
  // The Hostname label (the exporter pod's host name) is not the node: only the configured label is read.
  assert.deepEqual(reasons(run([alert('GpuFellOffBus', undefined, { extraLabels: { Hostname: 'gpu-1', kubernetes_node: 'gpu-1' } })], { nodes: [gpuNode('gpu-1')] })), ['missing-node-label']);
  // A configured label is read instead.
  assert.deepEqual(reasons(run([alert('GpuFellOffBus', undefined, { extraLabels: { kubernetes_node: 'gpu-1' } })], { nodes: [gpuNode('gpu-1')], config: { nodeLabel: 'kubernetes_node' } })), ['fatal']);
});

test('one decision per alert, in order; nodesToInspect names only the nodes of fatal firing alerts', () => {
  const alerts = [alert('GpuTemperatureHigh', 'gpu-t'), alert('GpuFellOffBus', 'gpu-1'), alert('GpuFellOffBus', 'gpu-r', { status: 'resolved' }), alert('GpuRowRemapFailure', 'gpu-2'), alert('GpuFellOffBus', 'gpu-1', { fingerprint: 'other' })];
  const ds = run(alerts);
  assert.equal(ds.length, alerts.length);
  assert.deepEqual(ds.map((d) => d.node), ['gpu-t', 'gpu-1', 'gpu-r', 'gpu-2', 'gpu-1']);
  assert.deepEqual(nodesToInspect(webhook(alerts), policyConfig()), ['gpu-1', 'gpu-2']);
  // A narrowed classification.
  const narrow = policyConfig({ fatalAlerts: DEFAULT_FATAL_ALERTS.filter((f) => f.alert === 'GpuFellOffBus') });
  assert.deepEqual(nodesToInspect(webhook(alerts), narrow), ['gpu-1']);
  assert.deepEqual(reasons(run([alert('GpuRowRemapFailure', 'gpu-2')], { config: { fatalAlerts: narrow.fatalAlerts } })), ['not-fatal']);
});
