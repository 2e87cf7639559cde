/**
 * Job identity (issue 16 item 3): one `job` label, derived from the workload controllers' pod
 * labels in one order, on Loki streams (Alloy and Promtail), Elasticsearch documents and the
 * log-derived series (Logstash), and scraped training metrics (the training PodMonitor).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_JOB_LABEL_KEYS, JOB_LABEL, inheritedJobRelabeling, jobRelabeling, podLabelMeta } from '../../constructs/contracts/jobs';
import { renderAlloyConfig } from '../../constructs/loki/alloy.render';
import { renderPromtailConfig } from '../../constructs/loki/promtail.render';
import { renderTrainingPodMonitor } from '../../constructs/training/pod-monitor.render';
import { dedotLabelKey, renderJobFilter } from '../../constructs/elastic/log-event-metrics.render';
import { commonConfig } from '../../constructs/core/common';
import { lokiEndpointFor } from '../../constructs/loki/endpoint';
import { parseEnvironment } from '../../config/load';
import { ConfigError } from '../../config';
import { MINIMAL_INPUT } from '../helpers/synth';

const common = commonConfig({ environment: 't' });
const loki = lokiEndpointFor({ namespace: 'mlobs', environment: 't', authEnabled: true, tls: false });

/** What Prometheus/Alloy relabeling does with the rule: join the pod's label values, take the first non-empty. */
function relabel(podLabels: Readonly<Record<string, string>>, keys = DEFAULT_JOB_LABEL_KEYS): string | undefined {
  const r = jobRelabeling(keys);
  const meta = Object.fromEntries(Object.entries(podLabels).map(([k, v]) => [podLabelMeta(k), v]));
  const joined = r.sourceLabels.map((l) => meta[l] ?? '').join(r.separator);
  return new RegExp(r.regex).exec(joined)?.[1];
}

test('the job is the most specific controller\'s name: TrainJob over its JobSet over its batch Job; none for a plain pod', () => {
  const trainJobPod = { 'trainer.kubeflow.org/trainjob-name': 'llama-ft', 'jobset.sigs.k8s.io/jobset-name': 'llama-ft', 'batch.kubernetes.io/job-name': 'llama-ft-node-0' };
  assert.equal(relabel(trainJobPod), 'llama-ft');
  assert.equal(relabel({ 'training.kubeflow.org/job-name': 'bert-pt', 'training.kubeflow.org/replica-type': 'worker' }), 'bert-pt');
  assert.equal(relabel({ 'volcano.sh/job-name': 'resnet' }), 'resnet');
  assert.equal(relabel({ 'ray.io/cluster': 'rl-cluster' }), 'rl-cluster');
  assert.equal(relabel({ 'leaderworkerset.sigs.k8s.io/name': 'vllm' }), 'vllm');
  assert.equal(relabel({ 'batch.kubernetes.io/job-name': 'eval-7', 'job-name': 'eval-7' }), 'eval-7');
  assert.equal(relabel({ 'job-name': 'old-cluster-job' }), 'old-cluster-job');
  assert.equal(relabel({ app: 'notebook' }), undefined);
  assert.equal(relabel({ team: 'x' }, ['team']), 'x', 'the list is configurable');
});

test('the same rule on every path: Alloy, Promtail, the training PodMonitor and Logstash', () => {
  const keys = ['example.com/run', 'job-name'];
  const alloy = renderAlloyConfig({ common, loki, jobLabels: keys });
  assert.match(alloy, /source_labels = \["__meta_kubernetes_pod_label_example_com_run", "__meta_kubernetes_pod_label_job_name"\]\n {4}separator {5}= ";"\n {4}regex {9}= "\^;\*\(\[\^;\]\+\)\.\*\$"\n {4}target_label {2}= "job"/);
  assert.match(renderAlloyConfig({ common, loki }), new RegExp(podLabelMeta(DEFAULT_JOB_LABEL_KEYS[0] as string)));
  const promtail = renderPromtailConfig({ common, loki, jobLabels: keys });
  assert.match(promtail, /- __meta_kubernetes_pod_label_example_com_run\n\s+- __meta_kubernetes_pod_label_job_name\n\s+separator: ;\n\s+regex: \^;\*\(\[\^;\]\+\)\.\*\$\n\s+target_label: job/);
  const pm = renderTrainingPodMonitor({ common, scrapeLabel: { key: 'mlobs.dev/scrape', value: 'training' }, metricsPort: 'metrics', jobLabels: keys });
  const rl = (pm.spec as { podMetricsEndpoints: { relabelings: { sourceLabels: string[]; targetLabel: string; regex?: string }[] }[] }).podMetricsEndpoints[0]?.relabelings ?? [];
  const job = rl.find((r) => r.targetLabel === JOB_LABEL);
  assert.deepEqual(job?.sourceLabels, keys.map(podLabelMeta));
  // Logstash reads Filebeat's de-dotted pod labels, in the same order.
  const filter = renderJobFilter(keys);
  assert.ok(filter.indexOf(`[kubernetes][labels][${dedotLabelKey('example.com/run')}]`) < filter.indexOf('[kubernetes][labels][job-name]'), filter);
  assert.match(filter, /\[kubernetes\]\[labels\]\[example_com\/run\]/);
  assert.match(filter, /event\.set\("\[mlobs\]\[job\]", v\)/);
});

test('training.jobLabels: bad keys, duplicates and more than 16 are config errors naming the field', () => {
  const bad = (jobLabels: unknown) => () => parseEnvironment('x', { ...MINIMAL_INPUT, training: { jobLabels } } as never);
  assert.throws(bad(['Not A Key!']), (e: unknown) => e instanceof ConfigError && /training\.jobLabels\[0\]/.test(e.message) && /label key/.test(e.message));
  assert.throws(bad(['job-name', 'job-name']), (e: unknown) => e instanceof ConfigError && /lists a key twice/.test(e.message));
  assert.throws(bad(Array.from({ length: 17 }, (_, i) => `k${i}`)), (e: unknown) => e instanceof ConfigError && /at most 16/.test(e.message));
  assert.throws(bad([]), (e: unknown) => e instanceof ConfigError && /at least one/.test(e.message));
  assert.deepEqual(parseEnvironment('x', MINIMAL_INPUT).settings.training.jobLabels, [...DEFAULT_JOB_LABEL_KEYS]);
});

test('a contract series scraped without a job does not inherit the scrape job; a real job and other series are kept', () => {
  const r = inheritedJobRelabeling('mlobs', 'mlobs-alloy');
  const apply = (name: string, job: string) => (new RegExp(`^(?:${r.regex})$`).test(`${name}${r.separator}${job}`) ? r.replacement : job);
  assert.equal(apply('mlobs_train_loss', 'mlobs/mlobs-alloy'), '', 'inherited from the collector PodMonitor');
  assert.equal(apply('mlobs_train_loss', 'llama-ft'), 'llama-ft');
  assert.equal(apply('alloy_build_info', 'mlobs/mlobs-alloy'), 'mlobs/mlobs-alloy', 'the collector\'s own series keep their job');
  assert.equal(apply('mlobs_train_loss', 'mlobsXmlobs-alloy'), 'mlobsXmlobs-alloy', 'the name is matched literally');
  const pm = renderTrainingPodMonitor({ common, scrapeLabel: { key: 'k', value: 'v' }, metricsPort: 'metrics' });
  assert.deepEqual((pm.spec as { podMetricsEndpoints: { metricRelabelings: unknown[] }[] }).podMetricsEndpoints[0]?.metricRelabelings, [inheritedJobRelabeling('mlobs', 'mlobs-training-pods')]);
});
