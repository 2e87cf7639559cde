/** "mlobs / Training job": a job's curves beside its GPUs and its logs (issue 16 item 5). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainingJobDashboard } from '../../constructs/training/dashboards';
import { queriesOf } from '../../constructs/metrics/dashboards/builder';
import { TRAIN_GAUGES } from '../../constructs/contracts/log-metrics';
import { syntaxErrors } from '../helpers/promql';

test('the training-job dashboard: every contract gauge per job, the job\'s GPUs (utilization, memory, temperature, power) joined on its pods, its log lines', () => {
  const d = trainingJobDashboard({ loki: true });
  assert.deepEqual(d.variables.map((v) => v.name), ['namespace', 'job', 'pod']);
  assert.equal(d.variables.find((v) => v.name === 'job')?.labelName, 'job');
  const qs = queriesOf(d.spec);
  for (const q of qs) assert.deepEqual(syntaxErrors(q.language, q.expr), [], `${q.language}: ${q.expr}`);
  const prom = qs.filter((q) => q.language === 'promql').map((q) => q.expr);
  for (const g of TRAIN_GAUGES) assert.ok(prom.some((e) => e.includes(`${g.metric}{`) && e.includes('job="$job"')), `${g.metric} per job`);
  for (const m of ['DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_DEV_FB_USED', 'DCGM_FI_DEV_GPU_TEMP', 'DCGM_FI_DEV_POWER_USAGE']) {
    assert.ok(prom.some((e) => e.startsWith(`${m}{`) && /and on \(namespace, pod\) group by \(namespace, pod\) \(\{__name__=~"[^"]+", namespace="\$namespace", job="\$job"\}\)/.test(e)), `${m}: only the job's GPUs`);
  }
  const logql = qs.filter((q) => q.language === 'logql').map((q) => q.expr);
  assert.ok(logql.length >= 2 && logql.every((e) => e.includes('job="$job"')), logql.join('\n'));
  assert.equal(queriesOf(trainingJobDashboard({ loki: false }).spec).filter((q) => q.language === 'logql').length, 0, 'no Loki, no log panels');
});
