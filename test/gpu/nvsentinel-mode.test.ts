/**
 * `gpu.remediation.mode: nvsentinel` wired into the stack: its rules and PodMonitor in the
 * generated chart, the inhibition in the Alertmanager configuration the chart ships (checked by
 * amtool), kube-state-metrics exposing NVSentinel's node labels, the fleet dashboard's panels; and
 * none of it in the other modes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import type { EnvironmentInput } from '../../config';
import { NVSENTINEL_QUARANTINED_ALERT, NVSENTINEL_RULE_GROUP, NVSENTINEL_STATE_LABEL, renderNvsentinelRuleGroups } from '../../constructs/gpu/nvsentinel';
import type { AlertRule } from '../../constructs/core/prometheus-rule';
import { loadEnvironmentFile } from '../metrics/env-files';
import { MINIMAL_INPUT, releaseValues, synthEnvironment } from '../helpers/synth';
import { requireTool, runTool } from '../metrics/tools';

const synth = (mode: string) => synthEnvironment({ ...MINIMAL_INPUT, gpu: { exporter: 'bundled', remediation: { mode } } } as EnvironmentInput);

interface KpsValues {
  alertmanager: { config: { inhibit_rules?: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[] } };
  'kube-state-metrics'?: { metricLabelsAllowlist?: string[]; metricAnnotationsAllowList?: string[] };
}

test('nvsentinel mode: rules, PodMonitor, inhibition, kube-state-metrics allowlists and fleet panels; none of them otherwise', () => {
  const on = synth('nvsentinel');
  const names = on.customResources.map((m) => `${m.kind}/${m.metadata.name}`);
  assert.ok(names.includes(`PrometheusRule/${NVSENTINEL_RULE_GROUP}`), names.join(', '));
  assert.ok(names.includes('PodMonitor/nvsentinel'));
  const v = releaseValues(on.tf, 'kube-prometheus-stack') as unknown as KpsValues;
  const inhibit = v.alertmanager.config.inhibit_rules ?? [];
  const ours = inhibit.find((r) => r.source_matchers.some((m) => m.includes(NVSENTINEL_QUARANTINED_ALERT)));
  assert.ok(ours, 'the quarantine inhibits GPU pages');
  assert.deepEqual(ours.equal, ['cluster', 'node']);
  assert.ok(ours.target_matchers[0]?.includes('GpuFellOffBus'), ours.target_matchers[0]);
  assert.ok(v['kube-state-metrics']?.metricLabelsAllowlist?.some((e) => e.startsWith('nodes=[') && e.includes(NVSENTINEL_STATE_LABEL)));
  assert.ok(on.json.includes('GPU nodes quarantined by NVSentinel'), 'the fleet dashboard marks quarantined nodes');

  for (const mode of ['none', 'responder'] as const) {
    const off = mode === 'responder' ? synthEnvironment({ ...MINIMAL_INPUT, gpu: { exporter: 'bundled', remediation: { mode, responder: { tokenSecret: { name: 'resp', key: 'token' } } } } } as EnvironmentInput) : synth(mode);
    assert.ok(!off.customResources.some((m) => m.metadata.name === NVSENTINEL_RULE_GROUP || m.metadata.name === 'nvsentinel'), mode);
    const ov = releaseValues(off.tf, 'kube-prometheus-stack') as unknown as KpsValues;
    assert.ok(!(ov.alertmanager.config.inhibit_rules ?? []).some((r) => r.source_matchers.some((m) => m.includes(NVSENTINEL_QUARANTINED_ALERT))), mode);
    assert.equal(ov['kube-state-metrics']?.metricLabelsAllowlist, undefined, mode);
    assert.ok(!off.json.includes('GPU nodes quarantined by NVSentinel'), mode);
  }
});

test('nvsentinel mode: the shipped Alertmanager configuration passes amtool check-config', () => {
  const v = releaseValues(synth('nvsentinel').tf, 'kube-prometheus-stack') as unknown as KpsValues & { alertmanager: { templateFiles?: Record<string, string> } };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-nvs-'));
  try {
    // template files are referenced by the config's `templates` glob: write them where it points
    const config = v.alertmanager.config as Record<string, unknown> & { templates?: string[]; inhibit_rules: unknown[] };
    for (const [name, text] of Object.entries(v.alertmanager.templateFiles ?? {})) fs.writeFileSync(path.join(dir, name), text);
    const file = path.join(dir, 'alertmanager.yaml');
    fs.writeFileSync(file, YAML.stringify({ ...config, ...(config.templates ? { templates: [path.join(dir, '*.tmpl')] } : {}) }));
    const r = runTool(requireTool('amtool'), ['check-config', file]);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /SUCCESS/);
    assert.match(r.stdout, new RegExp(`${(config.inhibit_rules as unknown[]).length} inhibit rules`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('nvsentinel mode in prod: amtool routes each NVSentinel alert by its severity on the GPU route (info to nobody)', () => {
  const prodInput = loadEnvironmentFile('prod') as EnvironmentInput & { gpu?: Record<string, unknown> };
  const r = synthEnvironment({ ...prodInput, gpu: { ...(prodInput.gpu ?? {}), remediation: { mode: 'nvsentinel' } } } as EnvironmentInput, 'prod');
  const v = releaseValues(r.tf, 'kube-prometheus-stack') as unknown as KpsValues;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-nvs-routes-'));
  try {
    const file = path.join(dir, 'alertmanager.yaml');
    const config = v.alertmanager.config as Record<string, unknown>;
    fs.writeFileSync(file, YAML.stringify({ ...config, templates: [] }));
    const expected: Readonly<Record<string, readonly string[]>> = { info: ['null'], warning: ['chat-ml-alerts', 'email-platform'], critical: ['email-platform', 'pager-gpu'] };
    const alerts = renderNvsentinelRuleGroups().flatMap((g) => g.rules).filter((x): x is AlertRule => 'alert' in x);
    assert.ok(alerts.length >= 6, `${alerts.length} alerts`);
    for (const a of alerts) {
      const labels = { alertname: a.alert, cluster: 'gpu-prod', node: 'gpu-node-1', ...a.labels };
      const out = runTool(requireTool('amtool'), ['config', 'routes', 'test', `--config.file=${file}`, ...Object.entries(labels).map(([k, val]) => `${k}=${val}`)]);
      assert.equal(out.status, 0, out.stderr);
      const got = out.stdout.trim().split(',').map((x) => x.trim()).sort();
      assert.deepEqual(got, expected[a.labels.severity ?? ''], `${a.alert} (${a.labels.severity})`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
