/**
 * Training alerts from the log-derived metrics contract: promtool firing and quiet for each;
 * the PodMonitor against its CRD; the contract's names used by the rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_TRAINING_POD_MONITOR_NAME,
  LOG_EVENTS_LABELS,
  LOG_EVENTS_METRIC,
  TRAIN_STEP_SECONDS_BUCKETS,
  TRAINING_EVENTS,
  renderTrainingPodMonitor,
  renderTrainingRuleGroups,
} from '../../constructs/training';
import { EVENTS } from '../../constructs/mllogs/schema';
import { trainingSchema } from '../../config/schema/gpu';
import { commonConfigFor } from '../../stacks/environment-props';
import { parseEnvironment } from '../../config/load';
import { promtoolCheckRules, promtoolTestRules, type AlertExpectation } from '../helpers/promtool';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { synthEnvironment, MINIMAL_INPUT } from '../helpers/synth';
import { alertNames, findAlert, renderedAnnotations } from '../gpu/helpers';

const groups = renderTrainingRuleGroups(trainingSchema.parse({}).alerts);
const POD = { namespace: 'ml-research', pod: 'llama-ft-worker-0', container: 'trainer', framework: 'pytorch', node: 'gpu-node-1' };
const ev = (event: string, values: string, l: Readonly<Record<string, string>> = POD) => ({
  series: `${LOG_EVENTS_METRIC}{${Object.entries({ event, ...l }).map(([k, v]) => `${k}="${v}"`).join(', ')}}`,
  values,
});

function fires(alertname: string, evalTime: string, labels: Readonly<Record<string, string>>, value = ''): AlertExpectation {
  const a = findAlert(groups, alertname);
  return { evalTime, alertname, expAlerts: [{ expLabels: { ...labels, ...a.labels }, expAnnotations: renderedAnnotations(a, labels, value) }] };
}
const quiet = (alertname: string, evalTime: string): AlertExpectation => ({ evalTime, alertname, expAlerts: [] });
const podKey = { namespace: POD.namespace, pod: POD.pod, container: POD.container, framework: POD.framework };

test('the contract: event names are catalog events, labels bounded, buckets increasing', () => {
  for (const e of Object.values(TRAINING_EVENTS)) assert.ok((EVENTS as readonly string[]).includes(e), e);
  assert.deepEqual([...LOG_EVENTS_LABELS], ['event', 'framework', 'namespace', 'pod', 'container', 'node', 'job']);
  assert.ok(TRAIN_STEP_SECONDS_BUCKETS.every((b, i, a) => i === 0 || b > (a[i - 1] as number)));
});

test('training rules pass promtool check rules; every alert has component training and says what to do', () => {
  promtoolCheckRules(groups);
  for (const n of alertNames(groups)) {
    const a = findAlert(groups, n);
    assert.equal(a.labels.component, 'training', n);
    assert.match(a.annotations.description, /What to do:/, n);
  }
});

test('promtool: OOM, NaN loss, NCCL timeout and NCCL error events fire their alerts; quiet without events', () => {
  promtoolTestRules(groups, [
    {
      name: 'events',
      inputSeries: [ev('oom', '0 0 1x15'), ev('nan_loss', '0 0 1x15'), ev('nccl_timeout', '0 0 1x15'), ev('nccl_error', '0 0 2x15')],
      alertRuleTests: [
        fires('TrainingOutOfMemory', '5m', podKey),
        fires('TrainingLossNotFinite', '5m', podKey),
        fires('TrainingNcclTimeout', '5m', podKey),
        fires('TrainingNcclError', '5m', podKey),
        quiet('TrainingOutOfMemory', '30m'),
      ],
    },
    {
      name: 'no new events',
      inputSeries: [ev('oom', '1x30'), ev('nan_loss', '0x30'), ev('nccl_timeout', '3x30'), ev('nccl_error', '0x30')],
      alertRuleTests: [quiet('TrainingOutOfMemory', '20m'), quiet('TrainingLossNotFinite', '20m'), quiet('TrainingNcclTimeout', '20m'), quiet('TrainingNcclError', '20m')],
    },
  ]);
  assert.equal(findAlert(groups, 'TrainingNcclTimeout').labels.severity, 'critical');
});

test('promtool: an Xid line in a node kernel log fires GpuXidInKernelLog with the node; quiet otherwise', () => {
  const kernel = { namespace: '', pod: '', container: '', framework: 'kernel', node: 'gpu-node-2' };
  const series = (values: string) => ({ series: `${LOG_EVENTS_METRIC}{event="xid", framework="kernel", node="gpu-node-2"}`, values });
  void kernel;
  promtoolTestRules(groups, [
    { name: 'xid', inputSeries: [series('0 0 1x15')], alertRuleTests: [fires('GpuXidInKernelLog', '5m', { node: 'gpu-node-2' })] },
    { name: 'no xid', inputSeries: [series('4x20')], alertRuleTests: [quiet('GpuXidInKernelLog', '15m')] },
  ]);
});

test('promtool: a Running pod without progress lines for 30m is stalled; a progressing or finished pod is not', () => {
  const running = (pod: string, values: string) => ({ series: `kube_pod_status_phase{namespace="ml-research", pod="${pod}", phase="Running"}`, values });
  promtoolTestRules(groups, [
    {
      name: 'stalled',
      inputSeries: [ev('train_progress', '0+10x20 200x60'), running(POD.pod, '1x80')],
      alertRuleTests: [quiet('TrainingJobStalled', '30m'), fires('TrainingJobStalled', '60m', { namespace: POD.namespace, pod: POD.pod })],
    },
    {
      name: 'progressing',
      inputSeries: [ev('train_progress', '0+10x80'), running(POD.pod, '1x80')],
      alertRuleTests: [quiet('TrainingJobStalled', '60m')],
    },
    {
      name: 'finished',
      inputSeries: [ev('train_progress', '0+10x20 200x60'), running(POD.pod, '1x20 0x60')],
      alertRuleTests: [quiet('TrainingJobStalled', '60m')],
    },
  ]);
});

test('promtool: step time tripling against its own baseline fires TrainingStepTimeRegression; a steady job is quiet', () => {
  const h = (suffix: string, values: string) => ({ series: `mlobs_train_step_seconds_${suffix}{namespace="ml-research", pod="${POD.pod}", container="trainer", framework="pytorch", node="gpu-node-1"}`, values });
  promtoolTestRules(groups, [
    {
      // 60 steps/min of 1 s for 3h, then 20 steps/min of 3 s (the step takes 3x longer).
      name: 'slower',
      inputSeries: [h('sum', '0+60x180 10800+60x60'), h('count', '0+60x180 10800+20x60')],
      alertRuleTests: [quiet('TrainingStepTimeRegression', '180m'), fires('TrainingStepTimeRegression', '215m', { namespace: POD.namespace, pod: POD.pod }, '3')],
    },
    {
      name: 'steady',
      inputSeries: [h('sum', '0+60x240'), h('count', '0+60x240')],
      alertRuleTests: [quiet('TrainingStepTimeRegression', '215m')],
    },
  ]);
});

test('PodMonitor: selects pods by the documented label in any namespace, carries the monitor label, valid against its CRD', () => {
  const env = parseEnvironment('x', MINIMAL_INPUT);
  const pm = renderTrainingPodMonitor({ common: commonConfigFor('x', env.settings), scrapeLabel: env.settings.training.scrapeLabel, metricsPort: env.settings.training.metricsPort });
  assertValidCustomResource(pm);
  const spec = pm.spec as { selector: { matchLabels: Record<string, string> }; namespaceSelector: { any: boolean } };
  assert.deepEqual(spec.selector.matchLabels, { 'mlobs.dev/scrape': 'training' });
  assert.equal(spec.namespaceSelector.any, true);
  assert.equal(pm.metadata.labels?.['mlobs.dev/monitor'], 'mlobs');
});

test('the stack ships the training PodMonitor, PrometheusRule and dashboard in every GPU mode', () => {
  for (const exporter of ['bundled', 'gpu-operator', 'none'] as const) {
    const r = synthEnvironment({ ...MINIMAL_INPUT, gpu: { exporter }, training: { scrapeLabel: { key: 'team.example.com/train' } } });
    const pm = r.customResources.find((m) => m.kind === 'PodMonitor' && m.metadata.name === DEFAULT_TRAINING_POD_MONITOR_NAME);
    assert.deepEqual((pm?.spec as { selector: { matchLabels: unknown } }).selector.matchLabels, { 'team.example.com/train': 'training' }, exporter);
    assert.ok(r.customResources.some((m) => m.kind === 'PrometheusRule' && m.metadata.name === 'mlobs-training'), exporter);
    assert.ok(r.json.includes('dashboard-mlobs-training-job'), exporter);
  }
});

// ---------------------------------------------------------------- per-job alerts (issue 16 item 4)

const JOB = { namespace: 'ml-research', job: 'llama-ft' };
const gaugeOf = (metric: string, values: string, l: Readonly<Record<string, string>> = { ...JOB, pod: 'llama-ft-node-0-0', container: 'trainer', framework: 'pytorch', node: 'gpu-node-1' }) => ({
  series: `${metric}{${Object.entries(l).map(([k, v]) => `${k}="${v}"`).join(', ')}}`,
  values,
});

test('promtool: a loss jump against the job\'s own baseline fires TrainingLossSpike; a decreasing or noisy loss is quiet; series without a job are ignored', () => {
  promtoolTestRules(groups, [
    {
      // loss 2.0 for 2h, then 5.0: fires once the jump has held for lossSpikeFor; the new level becomes the baseline within the hour
      name: 'spike',
      inputSeries: [gaugeOf('mlobs_train_loss', '2x120 5x40')],
      alertRuleTests: [quiet('TrainingLossSpike', '120m'), quiet('TrainingLossSpike', '130m'), fires('TrainingLossSpike', '136m', JOB, '5'), quiet('TrainingLossSpike', '150m')],
    },
    { name: 'decreasing', inputSeries: [gaugeOf('mlobs_train_loss', '3-0.01x160')], alertRuleTests: [quiet('TrainingLossSpike', '150m')] },
    { name: 'noisy', inputSeries: [gaugeOf('mlobs_train_loss', '2 2.6 1.8 2.4 2 2.6 1.8 2.4 2 2.6 1.8 2.4 2 2.6 1.8 2.4 2 2.6 1.8 2.4 2 2.6 1.8 2.4 2x100')], alertRuleTests: [quiet('TrainingLossSpike', '120m')] },
    { name: 'no job label', inputSeries: [gaugeOf('mlobs_train_loss', '2x120 5x40', { namespace: 'ml-research', pod: 'notebook-0' })], alertRuleTests: [quiet('TrainingLossSpike', '145m')] },
  ]);
});

test('promtool: a grad norm 50x its baseline fires TrainingGradientExplosion; clipping-level norms are quiet', () => {
  promtoolTestRules(groups, [
    { name: 'explosion', inputSeries: [gaugeOf('mlobs_train_grad_norm', '1x70 50x10')], alertRuleTests: [quiet('TrainingGradientExplosion', '70m'), fires('TrainingGradientExplosion', '75m', JOB, '50')] },
    { name: 'steady', inputSeries: [gaugeOf('mlobs_train_grad_norm', '1 1.5 0.8 1.2x80')], alertRuleTests: [quiet('TrainingGradientExplosion', '75m')] },
  ]);
});

test('promtool: throughput halving against the job\'s baseline fires TrainingThroughputDrop per unit; a steady job is quiet', () => {
  const tput = (values: string) => gaugeOf('mlobs_train_throughput', values, { ...JOB, pod: 'llama-ft-node-0-0', unit: 'tokens/s' });
  promtoolTestRules(groups, [
    { name: 'drop', inputSeries: [tput('12000x150 4000x40')], alertRuleTests: [quiet('TrainingThroughputDrop', '150m'), fires('TrainingThroughputDrop', '185m', { ...JOB, unit: 'tokens/s' }, '4000')] },
    { name: 'steady', inputSeries: [tput('12000x190')], alertRuleTests: [quiet('TrainingThroughputDrop', '185m')] },
  ]);
});

test('promtool: more than 50 error lines from one job in 5m fire TrainingErrorLines (summed over its pods); a few are quiet', () => {
  const pod = (p: string) => ({ ...JOB, pod: p, container: 'trainer', framework: 'pytorch', node: 'gpu-node-1' });
  promtoolTestRules(groups, [
    {
      name: 'two ranks, 40 lines a minute together',
      inputSeries: [gaugeOf('mlobs_log_error_lines_total', '0+20x15', pod('llama-ft-node-0-0')), gaugeOf('mlobs_log_error_lines_total', '0+20x15', pod('llama-ft-node-0-1'))],
      alertRuleTests: [fires('TrainingErrorLines', '10m', JOB, '200')],
    },
    { name: 'a few', inputSeries: [gaugeOf('mlobs_log_error_lines_total', '0+2x15', pod('llama-ft-node-0-0'))], alertRuleTests: [quiet('TrainingErrorLines', '10m')] },
  ]);
});

test('per-job thresholds come from config and are validated', () => {
  const custom = renderTrainingRuleGroups(trainingSchema.parse({ alerts: { errorLines: 500, lossSpikeRatio: 3 } }).alerts);
  assert.match(findAlert(custom, 'TrainingErrorLines').expr, /> 500$/);
  assert.match(findAlert(custom, 'TrainingLossSpike').expr, / > 3 \* /);
  assert.throws(() => trainingSchema.parse({ alerts: { lossSpikeRatio: 1 } }), /more than 1/);
  assert.throws(() => trainingSchema.parse({ alerts: { throughputDropRatio: 1.2 } }), /less than 1/);
  assert.throws(() => trainingSchema.parse({ alerts: { errorLines: 0 } }), /at least 1/);
});
