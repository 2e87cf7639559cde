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
import { sharedPath } from '../helpers/paths';
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
