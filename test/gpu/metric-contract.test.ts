/**
 * Metric-name contract: every DCGM field we export exists in the pinned chart's counters files,
 * and every DCGM metric the GPU rules and dashboards use is one we export.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHARTS } from '../../constructs/versions';
import { DCGM_FIELDS, DCGM_METRIC_NAMES, gpuFleetDashboard, renderGpuRuleGroups } from '../../constructs/gpu';
import { trainingJobDashboard, renderTrainingRuleGroups } from '../../constructs/training';
import { gpuSchema, trainingSchema } from '../../config/schema/gpu';
import { REPO_ROOT, sharedPath } from '../helpers/paths';
import { MINIMAL_INPUT, synthEnvironment } from '../helpers/synth';
import { clusterPolicyCountersPatch, DEFAULT_GPU_OPERATOR, GPU_OPERATOR_COUNTERS_KEY } from '../../constructs/gpu';
import { metricNamesWithPrefix, syntaxErrors } from '../helpers/promql';
import { queriesOf } from '../../constructs/metrics/dashboards/builder';

/** Field names in the pinned counters files, enabled or commented out (both are fields of this DCGM). */
function pinnedFields(): Set<string> {
  const dir = sharedPath('charts', 'dcgm-exporter', CHARTS.dcgmExporter.version, 'etc');
  const names = new Set<string>();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.csv'))) {
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      const m = /^#?\s*(DCGM_[A-Z0-9_]+)\s*,/.exec(line);
      if (m) names.add(m[1] as string);
    }
  }
  return names;
}

/** Fields a counters CSV enables: commented-out lines (`# DCGM_...`) are not exported. */
function enabledFields(csv: string): Set<string> {
  const names = new Set<string>();
  for (const line of csv.split('\n')) {
    const m = /^\s*(DCGM_[A-Z0-9_]+)\s*,/.exec(line);
    if (m) names.add(m[1] as string);
  }
  return names;
}

/** The counters file the GPU Operator's exporter reads when the ClusterPolicy names none (pinned chart's copy). */
const operatorDefaultCsv = (): string => fs.readFileSync(sharedPath('charts', 'dcgm-exporter', CHARTS.dcgmExporter.version, 'etc', 'dcp-metrics-included.csv'), 'utf8');

const gpu = gpuSchema.parse({});
const training = trainingSchema.parse({});
const ruleExprs = [...renderGpuRuleGroups(gpu.alerts), ...renderTrainingRuleGroups(training.alerts)].flatMap((g) => g.rules.map((r) => r.expr));
const dashExprs = [gpuFleetDashboard(gpu.alerts), trainingJobDashboard({ loki: true })].flatMap((d) => queriesOf(d.spec).map((q) => q.expr));

test('every DCGM field in our counters CSV exists in the pinned counters files', () => {
  const pinned = pinnedFields();
  assert.ok(pinned.size > 40, `read ${pinned.size} fields`);
  const missing = DCGM_FIELDS.map((f) => f.name).filter((n) => !pinned.has(n));
  assert.deepEqual(missing, []);
});

test('every DCGM metric used by the rules and dashboards is exported by our CSV (and so exists in the pinned files)', () => {
  const used = new Set([...ruleExprs, ...dashExprs].flatMap((e) => metricNamesWithPrefix(e, 'DCGM_')));
  assert.ok(used.size >= 15, `checked ${used.size} names`);
  assert.deepEqual([...used].filter((n) => !DCGM_METRIC_NAMES.has(n)), []);
});

test('the contract check can fail: a field the pinned files do not have is caught', () => {
  assert.ok(!pinnedFields().has('DCGM_FI_DEV_CLOCKS_EVENT_REASONS_MADE_UP'));
  assert.deepEqual(metricNamesWithPrefix('rate(DCGM_FI_DEV_MADE_UP[5m]) > 0', 'DCGM_').filter((n) => !DCGM_METRIC_NAMES.has(n)), ['DCGM_FI_DEV_MADE_UP']);
});

test('every dashboard query of the GPU and training dashboards parses with the real PromQL/LogQL grammar', () => {
  let n = 0;
  for (const d of [gpuFleetDashboard(gpu.alerts), trainingJobDashboard({ loki: true })]) {
    for (const q of queriesOf(d.spec)) {
      assert.deepEqual(syntaxErrors(q.language, q.expr), [], `${d.spec.uid}: ${q.language} does not parse: ${q.expr}`);
      n++;
    }
  }
  assert.ok(n >= 20, `checked ${n}`);
  assert.notDeepEqual(syntaxErrors('promql', 'sum by (node (DCGM_FI_DEV_GPU_UTIL)'), []);
});

const alertFields = (): Set<string> => new Set(renderGpuRuleGroups(gpu.alerts).flatMap((g) => g.rules.flatMap((r) => metricNamesWithPrefix(r.expr, 'DCGM_'))));

test('a commented-out CSV line is not an exported field (the check can fail on one)', () => {
  const csv = '# DCGM_FI_DEV_THERMAL_VIOLATION, counter, x\nDCGM_FI_DEV_GPU_TEMP, gauge, y\n  # DCGM_FI_DEV_POWER_VIOLATION, counter, z\n';
  assert.deepEqual([...enabledFields(csv)], ['DCGM_FI_DEV_GPU_TEMP']);
  // The operator's default counters know the throttling, ECC and NVLink fields but comment them out.
  const dflt = operatorDefaultCsv();
  const missing = [...alertFields()].filter((f) => !enabledFields(dflt).has(f));
  assert.ok(missing.includes('DCGM_FI_DEV_THERMAL_VIOLATION') && missing.includes('DCGM_FI_DEV_ECC_DBE_VOL_TOTAL'), `the default leaves out: ${missing.join(', ')}`);
  assert.ok(missing.every((f) => pinnedFields().has(f)), 'they exist in this DCGM, only commented out');
});

test('gpu-operator mode: every field the GPU alerts use is enabled in the counters ConfigMap the stack writes into the operator namespace', () => {
  const r = synthEnvironment({ ...MINIMAL_INPUT, gpu: { exporter: 'gpu-operator', operator: { namespace: 'nvidia-gpu-operator' } } });
  const cms = Object.values((r.tf.resource as Record<string, Record<string, { metadata: { name: string; namespace: string }; data: Record<string, string> }>>)['kubernetes_config_map_v1'] ?? {});
  const cm = cms.find((c) => c.metadata.name === DEFAULT_GPU_OPERATOR.countersConfigMap);
  assert.ok(cm, cms.map((c) => c.metadata.name).join(', '));
  assert.equal(cm.metadata.namespace, 'nvidia-gpu-operator');
  assert.deepEqual(Object.keys(cm.data), [GPU_OPERATOR_COUNTERS_KEY]);
  const enabled = enabledFields(cm.data[GPU_OPERATOR_COUNTERS_KEY] as string);
  const used = [...alertFields()];
  assert.ok(used.length >= 10, `checked ${used.length}`);
  assert.deepEqual(used.filter((f) => !enabled.has(f)), []);
  // Bundled and none modes write nothing outside the stack namespace.
  for (const exporter of ['bundled', 'none'] as const) {
    const other = synthEnvironment({ ...MINIMAL_INPUT, gpu: { exporter } });
    assert.ok(!other.json.includes(DEFAULT_GPU_OPERATOR.countersConfigMap), exporter);
  }
});

test('README documents the one ClusterPolicy setting that makes the operator read our counters, exactly as rendered', () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const patch = JSON.stringify(clusterPolicyCountersPatch(DEFAULT_GPU_OPERATOR.countersConfigMap));
  assert.ok(readme.includes(`kubectl patch clusterpolicy cluster-policy --type merge -p '${patch}'`), `README lacks the patch ${patch}`);
  assert.ok(readme.includes(`spec.dcgmExporter.config.name`));
  assert.equal(GPU_OPERATOR_COUNTERS_KEY, 'dcgm-metrics.csv');
});
