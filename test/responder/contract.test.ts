/**
 * The responder's names hold to the stack: its fatal alerts are critical alerts the GPU rules
 * render and carry the `node` label it reads; its default GPU node selector is the stack's;
 * the webhook shape check accepts what Alertmanager sends and refuses what it does not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderGpuRuleGroups, DEFAULT_GPU_NODE_SELECTOR as STACK_GPU_NODE_SELECTOR } from '../../constructs/gpu';
import { gpuSchema } from '../../config/schema/gpu';
import { isAlertRule } from '../../constructs/core/prometheus-rule';
import { alertXid, DEFAULT_FATAL_ALERTS, DEFAULT_FATAL_ALERT_NAMES, DEFAULT_NODE_LABEL } from '../../responder/policy';
import { renderedAnnotations } from '../gpu/helpers';
import { DEFAULT_GPU_NODE_SELECTOR } from '../../responder/main';
import { parseWebhook, MAX_ALERTS_PER_WEBHOOK } from '../../responder/webhook';
import { alert, webhook } from './helpers';

test('every fatal alert is a critical alert of the rendered GPU rules, naming the node by the label the responder reads', () => {
  const rules = renderGpuRuleGroups(gpuSchema.parse({}).alerts).flatMap((g) => g.rules.filter(isAlertRule));
  for (const name of DEFAULT_FATAL_ALERT_NAMES) {
    const r = rules.find((x) => x.alert === name);
    assert.ok(r, `${name} is rendered`);
    assert.equal(r.labels.severity, 'critical', name);
    assert.ok(r.annotations.description?.includes(`$labels.${DEFAULT_NODE_LABEL}`), `${name} describes the node by $labels.${DEFAULT_NODE_LABEL}`);
  }
});

test('the Xid is read back from each Xid alert\'s rendered description (the value the rule fired with)', () => {
  const groups = renderGpuRuleGroups(gpuSchema.parse({}).alerts);
  const rules = groups.flatMap((g) => g.rules.filter(isAlertRule));
  for (const f of DEFAULT_FATAL_ALERTS) {
    const r = rules.find((x) => x.alert === f.alert);
    assert.ok(r);
    for (const code of f.xids) {
      const annotations = renderedAnnotations(r, { node: 'gpu-1', gpu: '0', UUID: 'GPU-1' }, String(code));
      const a = alert(f.alert, 'gpu-1', { annotations });
      assert.equal(alertXid(a, f), code, `${f.alert} Xid ${code}`);
    }
  }
});

test('the default GPU node selector is the stack\'s', () => {
  const stack = Object.entries(STACK_GPU_NODE_SELECTOR).map(([k, v]) => `${k}=${v}`).join(',');
  assert.equal(DEFAULT_GPU_NODE_SELECTOR, stack);
});

test('parseWebhook accepts an Alertmanager payload and refuses other shapes with a reason', () => {
  const good = webhook([alert('GpuFellOffBus', 'gpu-1')]);
  const r = parseWebhook(JSON.parse(JSON.stringify(good)));
  assert.ok(r.ok);
  assert.deepEqual(r.payload, good);
  // Optional top-level fields default to empty.
  const minimal = parseWebhook({ version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'X' }, startsAt: 't', fingerprint: 'f' }] });
  assert.ok(minimal.ok);
  assert.deepEqual(minimal.payload.alerts[0]?.annotations, {});
  const bad: [unknown, RegExp][] = [
    [null, /JSON object/],
    [[], /JSON object/],
    ['x', /JSON object/],
    [{ ...good, version: '3' }, /version/],
    [{ ...good, status: 'weird' }, /status/],
    [{ ...good, alerts: {} }, /alerts must be an array/],
    [{ ...good, alerts: [1] }, /alerts\[0\] must be an object/],
    [{ ...good, alerts: [{ ...good.alerts[0], labels: { node: 5 } }] }, /alerts\[0\]\.labels\.node must be a string/],
    [{ ...good, alerts: [{ ...good.alerts[0], labels: undefined }] }, /labels is required/],
    [{ ...good, alerts: [{ ...good.alerts[0], fingerprint: '' }] }, /fingerprint/],
    [{ ...good, alerts: [{ ...good.alerts[0], status: 'pending' }] }, /alerts\[0\]\.status/],
    [{ ...good, commonLabels: [] }, /commonLabels/],
    [{ ...good, groupKey: 7 }, /groupKey/],
    [{ ...good, truncatedAlerts: -1 }, /truncatedAlerts/],
    [{ ...good, alerts: Array.from({ length: MAX_ALERTS_PER_WEBHOOK + 1 }, () => good.alerts[0]) }, /more than/],
  ];
  for (const [body, re] of bad) {
    const p = parseWebhook(body);
    assert.ok(!p.ok, JSON.stringify(body)?.slice(0, 80));
    assert.match(p.error, re);
  }
  // A __proto__ key in labels is data, not a prototype.
  const proto = parseWebhook(JSON.parse('{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"__proto__":"x","alertname":"A"},"startsAt":"t","fingerprint":"f"}]}'));
  assert.ok(proto.ok);
  assert.equal(Object.getPrototypeOf(proto.payload.alerts[0]?.labels), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(proto.payload.alerts[0]?.labels, '__proto__')?.value, 'x');
});
