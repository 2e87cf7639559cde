/**
 * The free-tier alert path: Logstash counts catalog events as `mlobs_log_events_total` (names
 * and labels imported from the training contract), a statsd_exporter sidecar exposes them and a
 * PodMonitor restores the contract's label set; the stack's training rules then fire (promtool).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import {
  LOG_EVENTS_LABEL_SOURCES,
  NONE_VALUE,
  STATSD_EVENTS_NAME,
  renderStatsdMapping,
} from '../../constructs/elastic';
import { LOG_EVENTS_LABELS, LOG_EVENTS_METRIC, renderTrainingRuleGroups } from '../../constructs/training';
import { TRAIN_GAUGES, TRAIN_GAUGE_LABELS } from '../../constructs/contracts/log-metrics';
import { trainingSchema } from '../../config/schema/gpu';
import { ELASTIC_IMAGES } from '../../constructs/versions';
import type { KubeManifest } from '../../constructs/core/manifest';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { promtoolTestRules } from '../helpers/promtool';
import { synthEnvironment } from '../helpers/synth';
import { loadEnvironmentFile } from '../metrics/env-files';
import { parserFor, trainingLogs } from '../mllogs/helpers';
import { findAlert, renderedAnnotations } from '../gpu/helpers';

const dev = synthEnvironment(loadEnvironmentFile('dev'), 'dev');
const pipeline = dev.stack.observability.elastic?.logstashPipeline ?? '';
type Relabel = { action: string; sourceLabels: string[]; regex: string; targetLabel?: string; replacement?: string };
type PodMonitorSpec = { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string; honorLabels: boolean; metricRelabelings: Relabel[] }[] };
const podMonitor = dev.customResources.find((o) => o.kind === 'PodMonitor' && o.metadata.name === 'mlobs-ls-event-metrics') as (KubeManifest & { spec: PodMonitorSpec }) | undefined;

test('the counter filter builds the contract metric with the contract labels, in order, from Kubernetes metadata and catalog fields', () => {
  const line = (id: string) => pipeline.split('\n').find((l) => l.includes(id)) ?? '';
  const pairsOf = (text: string) => [...text.matchAll(/\["(\w+)", "(\[[^"]+\])"\]/g)].map((m) => m[1]);
  assert.deepEqual(pairsOf(line('mlobs_event_labels')), [...LOG_EVENTS_LABELS]);
  // The error-line counter and the training gauges carry their own contract labels.
  assert.deepEqual(pairsOf(line('mlobs_series_labels')), [...TRAIN_GAUGE_LABELS]);
  assert.match(pipeline, new RegExp(`event\\.set\\("\\[@metadata\\]\\[mlobs_metric\\]", "${LOG_EVENTS_METRIC}" \\+ "," \\+ tags\\.join\\(","\\)\\)`));
  assert.match(pipeline, /if \[ml\]\[event\] \{\n\s+ruby \{ id => "mlobs_event_labels"/, 'only lines with a catalog event are counted');
  assert.match(pipeline, new RegExp(`v\\.empty\\? \\? "${NONE_VALUE}" : v`), 'an unknown origin label is sent as the stand-in');
  const ruby = pipeline.split('\n').find((l) => l.includes('mlobs_event_labels')) ?? '';
  assert.ok(ruby.includes('tags = ') && !ruby.includes('${'), 'no ${...} in the code (Logstash would substitute it)');
});

test('the counts go over loopback UDP to the sidecar, whose mapping keeps only the contract metrics', () => {
  assert.match(pipeline, /statsd \{\n\s+id => "mlobs_event_counter"\n\s+host => "127\.0\.0\.1"\n\s+port => 9125\n\s+protocol => "udp"\n\s+namespace => "mlobs"\n\s+sender => "logstash"\n\s+increment => \["%\{\[@metadata\]\[mlobs_metric\]\}"\]/);
  const cm = dev.customResources.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'mlobs-ls-event-metrics') as { data: Record<string, string> } | undefined;
  assert.ok(cm);
  assert.deepEqual(parse(cm.data['mapping.yaml'] ?? ''), renderStatsdMapping());
  const mappings = renderStatsdMapping().mappings as { match: string; name: string }[];
  assert.deepEqual(mappings[0], { match: `mlobs.logstash.${LOG_EVENTS_METRIC}`, name: LOG_EVENTS_METRIC, help: 'ML log lines classified with a catalog event (from Logstash, mlobs Elastic pipeline)' });
  assert.deepEqual(
    mappings.map((m) => m.name),
    [LOG_EVENTS_METRIC, 'mlobs_log_error_lines_total', 'mlobs_train_loss', 'mlobs_train_learning_rate', 'mlobs_train_grad_norm', 'mlobs_train_step', 'mlobs_train_throughput', 'mlobs_log_lines_not_stored_total', 'mlobs_logstash_heartbeats_total', 'mlobs_logstash_filter_failures_total', 'mlobs_filebeat_reports_total', 'mlobs_filebeat_rate_limited_lines_total', 'mlobs_filebeat_output_events_total', 'dropped'],
  );
  for (const m of mappings.slice(0, -1)) assert.equal(m.match, `mlobs.logstash.${m.name}`);
  assert.deepEqual(mappings[mappings.length - 1], { match: '.', match_type: 'regex', action: 'drop', name: 'dropped' });
  // Each gauge is sent only when its field is on a progress line; throughput with its unit.
  for (const g of TRAIN_GAUGES) assert.match(pipeline, new RegExp(`\\[ml\\]\\[event\\] == "train_progress" and \\[ml\\]\\[${g.field}\\] and \\[ml\\]\\[${g.field}\\] >= 0`), `${g.metric}: only a value statsd reads as a value (no leading sign)`);
  assert.match(pipeline, /gauge => \{ "mlobs_train_throughput,%\{\[@metadata\]\[mlobs_series_tags\]\},unit=%\{\[ml\]\[throughput_unit\]\}" => "%\{\[ml\]\[throughput\]\}" \}/);
  assert.match(pipeline, /increment => \["mlobs_log_error_lines_total,%\{\[@metadata\]\[mlobs_series_tags\]\}"\]/);
  assert.equal(STATSD_EVENTS_NAME, 'mlobs.logstash.mlobs_log_events_total');
});

test('the sidecar: pinned image, loopback-only statsd, metrics port, restricted; the PodMonitor selects it and is valid', () => {
  const ls = dev.customResources.find((o) => o.kind === 'Logstash') as unknown as { spec: { podTemplate: { metadata: { labels: Record<string, string> }; spec: { containers: { name: string; image?: string; args?: string[]; ports?: { name: string; containerPort: number }[]; securityContext: Record<string, unknown> }[] } } } };
  const side = ls.spec.podTemplate.spec.containers.find((c) => c.name === 'statsd-exporter');
  assert.ok(side);
  assert.equal(side.image, `${ELASTIC_IMAGES.statsdExporter.repository}:${ELASTIC_IMAGES.statsdExporter.tag}`);
  assert.match(ELASTIC_IMAGES.statsdExporter.tag, /^v\d+\.\d+\.\d+$/);
  assert.ok(side.args?.includes('--statsd.listen-udp=127.0.0.1:9125') && side.args.includes('--statsd.listen-tcp='));
  assert.deepEqual(side.ports, [{ name: 'event-metrics', containerPort: 9198, protocol: 'TCP' }]);
  assert.equal(side.securityContext.readOnlyRootFilesystem, true);
  assert.ok(podMonitor);
  assertValidCustomResource(podMonitor);
  assert.equal(podMonitor.metadata.labels?.['mlobs.dev/monitor'], 'mlobs', 'picked up by the stack Prometheus');
  for (const [k, v] of Object.entries(podMonitor.spec.selector.matchLabels)) assert.equal(ls.spec.podTemplate.metadata.labels[k], v);
  const ep = podMonitor.spec.podMetricsEndpoints[0];
  assert.equal(ep?.port, 'event-metrics');
  assert.equal(ep?.honorLabels, true, 'namespace/pod/container name the training pod, not Logstash');
});

/** The series Prometheus stores for one counted line: labels as the filter builds them, then the PodMonitor's metric relabelings. */
function storedSeries(fields: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const sent: Record<string, string> = {};
  for (const l of LOG_EVENTS_LABELS) {
    const v = (fields[LOG_EVENTS_LABEL_SOURCES[l]] ?? '').replace(/[,=:|@\s]/g, '_');
    sent[l] = v === '' ? NONE_VALUE : v;
  }
  for (const r of podMonitor?.spec.podMetricsEndpoints[0]?.metricRelabelings ?? []) {
    if (r.action !== 'replace' || !r.targetLabel) continue;
    const src = r.sourceLabels.map((s) => sent[s] ?? '').join(';');
    if (new RegExp(`^(?:${r.regex})$`).test(src)) sent[r.targetLabel] = r.replacement ?? '';
  }
  return Object.fromEntries(Object.entries(sent).filter(([, v]) => v !== ''));
}

test('catalog events counted by the Elastic pipeline fire the training alerts (corpus lines -> series -> promtool)', async () => {
  const parser = await parserFor('grok');
  const lineWith = (event: string, family?: string) => {
    for (const r of trainingLogs()) {
      const p = parser.parse(r.line);
      if (p.fields.event === event && (!family || p.family === family)) return p;
    }
    throw new Error(`no corpus line with event ${event}`);
  };
  const xid = lineWith('xid');
  const oom = lineWith('oom', 'pytorch');
  // a kernel line: no Kubernetes origin, only the node
  const xidSeries = storedSeries({ '[ml][event]': xid.fields.event, '[ml][framework]': xid.family, '[mlobs][node]': 'gpu-node-7' });
  assert.deepEqual(Object.keys(xidSeries).sort(), ['event', 'framework', 'node'], 'the stand-in never reaches Prometheus');
  const pod = { '[kubernetes][namespace]': 'ml-research', '[kubernetes][pod][name]': 'llama-ft-0', '[kubernetes][container][name]': 'trainer', '[mlobs][node]': 'gpu-node-1', '[mlobs][job]': 'llama-ft' };
  const oomSeries = storedSeries({ '[ml][event]': oom.fields.event, '[ml][framework]': oom.family, ...pod });
  assert.deepEqual(Object.keys(oomSeries).sort(), [...LOG_EVENTS_LABELS].sort());
  const text = (l: Record<string, string>) => `${LOG_EVENTS_METRIC}{${Object.entries(l).map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
  const groups = renderTrainingRuleGroups(trainingSchema.parse({}).alerts);
  const fires = (alertname: string, evalTime: string, labels: Record<string, string>) => {
    const a = findAlert(groups, alertname);
    return { evalTime, alertname, expAlerts: [{ expLabels: { ...labels, ...a.labels }, expAnnotations: renderedAnnotations(a, labels, '') }] };
  };
  const out = promtoolTestRules(groups, [
    {
      name: 'elastic pipeline counters',
      inputSeries: [
        { series: text(xidSeries), values: '0 0 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1' },
        { series: text(oomSeries), values: '0 0 0 0 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1' },
      ],
      alertRuleTests: [
        { evalTime: '2m', alertname: 'GpuXidInKernelLog', expAlerts: [] },
        fires('GpuXidInKernelLog', '5m', { node: 'gpu-node-7' }),
        { evalTime: '4m', alertname: 'TrainingOutOfMemory', expAlerts: [] },
        fires('TrainingOutOfMemory', '7m', { namespace: 'ml-research', pod: 'llama-ft-0', container: 'trainer', framework: oom.family ?? '', job: 'llama-ft' }),
      ],
    },
  ]);
  assert.match(out, /SUCCESS/);
});
