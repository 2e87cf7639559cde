/**
 * The free-tier alert path of the Elastic pipeline. Pure: no cdktf import.
 *
 * Kibana's alerting connectors (Webhook, PagerDuty, ...) need a paid license, so the Elastic
 * pipeline does not alert by itself. Instead it produces the same Prometheus series as the Loki
 * pipeline, `mlobs_log_events_total{event, framework, namespace, pod, container, node}` (names
 * from constructs/training/log-metrics-contract.ts), and the stack's training alerts, routes and
 * receivers do the rest, whichever pipeline is on:
 *
 *   Logstash (catalog event on a line) --statsd/UDP 127.0.0.1--> statsd_exporter sidecar
 *     --/metrics--> PodMonitor (honorLabels) --> Prometheus --> training rules --> Alertmanager
 *
 * - Logstash's bundled `statsd` output increments one counter per line that carries an event,
 *   with the labels as InfluxDB-style tags in the metric name (`name,k=v,...`), which
 *   statsd_exporter reads. A label Logstash does not know (no pod for a kernel line) is sent as
 *   {@link NONE_VALUE}: statsd_exporter drops empty tags, and one metric must keep one label set.
 * - statsd_exporter (sidecar, loopback UDP only) maps that one name and drops everything else.
 * - The PodMonitor keeps the metric's own `namespace`/`pod`/`container` (honorLabels: they
 *   name the training pod, not Logstash) and turns {@link NONE_VALUE} back into an absent label,
 *   so the series are exactly the contract's.
 */
import { stringify } from 'yaml';
import type { CommonConfig } from '../core/common';
import type { KubeManifest } from '../core/manifest';
import {
  ERROR_LEVELS,
  ERROR_LINES_LABELS,
  ERROR_LINES_METRIC,
  LOG_EVENTS_LABELS,
  LOG_EVENTS_METRIC,
  THROUGHPUT_UNIT_LABEL,
  TRAIN_GAUGE_LABELS,
  TRAIN_GAUGES,
  TRAIN_METRICS,
  TRAINING_EVENTS,
} from '../contracts/log-metrics';
import { LS_METRICS_PORT } from './names';
import { NOT_STORED_LABELS, NOT_STORED_METRIC } from '../contracts/log-volume';
import {
  FILEBEAT_OUTPUT_EVENTS_METRIC,
  FILEBEAT_OUTPUT_RESULTS,
  FILEBEAT_RATE_LIMIT_PATH,
  FILEBEAT_RATE_LIMITED_METRIC,
  FILEBEAT_REPORT_PATH,
  FILEBEAT_REPORTS_METRIC,
  LOGSTASH_FAILURE_TAGS,
  LOGSTASH_FILTER_FAILURES_METRIC,
  LOGSTASH_HEARTBEAT_INTERVAL_SECONDS,
  LOGSTASH_HEARTBEAT_METRIC,
} from '../contracts/logstash-monitoring';
import { LOGSTASH_JSON_METADATA } from '../mllogs/compile-logstash';
import { DEFAULT_JOB_LABEL_KEYS, inheritedJobRelabeling, jobRelabeling } from '../contracts/jobs';

/** Stand-in for a label with no value (statsd_exporter ignores empty tags). */
export const NONE_VALUE = '_none_';
/** statsd_exporter's UDP port, on the pod's loopback only. */
export const STATSD_PORT = 9125;
/** statsd metric prefix (`<namespace>.<sender>.`) written by Logstash's statsd output. */
export const STATSD_NAMESPACE = 'mlobs';
export const STATSD_SENDER = 'logstash';
/** Name of the sidecar's metrics port (what the PodMonitor scrapes). */
export const EVENT_METRICS_PORT_NAME = 'event-metrics';
/** Where the mapping file is mounted in the sidecar. */
export const STATSD_MAPPING_DIR = '/etc/statsd-exporter';
/** Sidecar requests and limits. */
export const DEFAULT_STATSD_EXPORTER_RESOURCES = { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } } as const;
/** How often Prometheus scrapes the counters. */
export const DEFAULT_EVENT_METRICS_INTERVAL = '30s';

export type LogEventsLabel = (typeof LOG_EVENTS_LABELS)[number];

/** Where each contract label comes from in a Logstash event (Filebeat's Kubernetes metadata, the catalog's fields). */
export const LOG_EVENTS_LABEL_SOURCES: Readonly<Record<LogEventsLabel, string>> = {
  event: '[ml][event]',
  framework: '[ml][framework]',
  namespace: '[kubernetes][namespace]',
  pod: '[kubernetes][pod][name]',
  container: '[kubernetes][container][name]',
  node: '[mlobs][node]',
  job: '[mlobs][job]',
};

/** The labels that may be {@link NONE_VALUE} (the Kubernetes origin; `event` is always set, `framework` is set with it). */
export const OPTIONAL_LOG_EVENTS_LABELS: readonly LogEventsLabel[] = ['framework', 'namespace', 'pod', 'container', 'node', 'job'];

/** The statsd metric name statsd_exporter maps (before the tags). */
export const STATSD_EVENTS_NAME = `${STATSD_NAMESPACE}.${STATSD_SENDER}.${LOG_EVENTS_METRIC}`;

/**
 * Logstash filter text: for a line with a catalog event, `[@metadata][mlobs_metric]` becomes
 * `mlobs_log_events_total,event=...,framework=...,...` (labels in contract order; characters
 * that would break the statsd line or a tag, `,=:|@` and whitespace, become `_`).
 */
export function renderEventCounterFilter(): string {
  const pairs = LOG_EVENTS_LABELS.map((l) => `[${JSON.stringify(l)}, ${JSON.stringify(LOG_EVENTS_LABEL_SOURCES[l])}]`).join(', ');
  const code =
    `tags = [${pairs}].map { |k, f| v = event.get(f).to_s.gsub(/[,=:|@\\s]/, "_"); "#{k}=#{v.empty? ? ${JSON.stringify(NONE_VALUE)} : v}" }; ` +
    `event.set("[@metadata][mlobs_metric]", ${JSON.stringify(LOG_EVENTS_METRIC)} + "," + tags.join(","))`;
  return [
    `# ${LOG_EVENTS_METRIC}: one count per line with a catalog event (free-tier alert path, see log-event-metrics.render.ts)`,
    'if [ml][event] {',
    `  ruby { id => "mlobs_event_labels" code => '${code}' }`,
    '}',
    `# ${ERROR_LINES_METRIC} and the training gauges: the same labels, in contract order`,
    `if [ml][level] in [${ERROR_LEVELS.map((l) => JSON.stringify(l)).join(', ')}] or [ml][event] == ${JSON.stringify(TRAINING_EVENTS.progress)} {`,
    `  ruby { id => "mlobs_series_labels" code => '${tagsCode(TRAIN_GAUGE_LABELS, '[@metadata][mlobs_series_tags]')}' }`,
    '}',
  ].join('\n');
}

/** Ruby that writes `k=v,...` (labels in the given order, {@link NONE_VALUE} for an empty one) into a metadata field. */
function tagsCode(labels: readonly LogEventsLabel[], into: string): string {
  const pairs = labels.map((l) => `[${JSON.stringify(l)}, ${JSON.stringify(LOG_EVENTS_LABEL_SOURCES[l])}]`).join(', ');
  return `tags = [${pairs}].map { |k, f| v = event.get(f).to_s.gsub(/[,=:|@\\s]/, "_"); "#{k}=#{v.empty? ? ${JSON.stringify(NONE_VALUE)} : v}" }; event.set("${into}", tags.join(","))`;
}

if (JSON.stringify(ERROR_LINES_LABELS) !== JSON.stringify(TRAIN_GAUGE_LABELS)) throw new Error('log-event-metrics: the error-line and gauge labels must be the same list (one tags field)');

/** Logstash output text: the statsd increment to the sidecar on loopback. */
export function renderEventCounterOutput(): string {
  return [
    'if [@metadata][mlobs_metric] {',
    '  statsd {',
    '    id => "mlobs_event_counter"',
    '    host => "127.0.0.1"',
    `    port => ${STATSD_PORT}`,
    '    protocol => "udp"',
    `    namespace => "${STATSD_NAMESPACE}"`,
    `    sender => "${STATSD_SENDER}"`,
    '    increment => ["%{[@metadata][mlobs_metric]}"]',
    '  }',
    '}',
    ...seriesOutputs(),
  ].join('\n');
}

/** One statsd output: namespace and sender as the counter's, loopback to the sidecar. */
function statsd(id: string, option: string): string[] {
  return ['  statsd {', `    id => "${id}"`, '    host => "127.0.0.1"', `    port => ${STATSD_PORT}`, '    protocol => "udp"', `    namespace => "${STATSD_NAMESPACE}"`, `    sender => "${STATSD_SENDER}"`, `    ${option}`, '  }'];
}

/** The error-line counter and the training gauges (a gauge only when its field is on the line). */
function seriesOutputs(): string[] {
  const tags = '%{[@metadata][mlobs_series_tags]}';
  const out: string[] = [
    `if [@metadata][mlobs_series_tags] and [ml][level] in [${ERROR_LEVELS.map((l) => JSON.stringify(l)).join(', ')}] {`,
    ...statsd('mlobs_error_lines', `increment => ["${ERROR_LINES_METRIC},${tags}"]`),
    '}',
  ];
  for (const g of TRAIN_GAUGES) {
    const unit = g.metric === TRAIN_METRICS.throughput ? `,${THROUGHPUT_UNIT_LABEL}=%{[ml][throughput_unit]}` : '';
    const also = g.metric === TRAIN_METRICS.throughput ? ' and [ml][throughput_unit]' : '';
    out.push(
      // ">= 0": statsd reads a leading sign as a change to the gauge, not a value (a negative loss is not exported on this path).
      `if [@metadata][mlobs_series_tags] and [ml][event] == ${JSON.stringify(TRAINING_EVENTS.progress)} and [ml][${g.field}] and [ml][${g.field}] >= 0${also} {`,
      ...statsd(`${g.metric}`, `gauge => { "${g.metric},${tags}${unit}" => "%{[ml][${g.field}]}" }`),
      '}',
    );
  }
  return out;
}

/** Where the not-stored counter's `namespace` and `job` tags are written. */
const NOT_STORED_TAGS = '[@metadata][mlobs_not_stored_tags]';
const NOT_STORED_TAG_LABELS = NOT_STORED_LABELS.filter((l): l is 'namespace' | 'job' => l !== 'reason');

/**
 * Logstash filter text, after the volume filter: the tags of {@link NOT_STORED_METRIC} for an
 * event the volume filter marked (`markField`), namespace and job in contract order.
 */
export function renderNotStoredFilter(markField: string): string {
  return [
    `# ${NOT_STORED_METRIC}: what the volume filter keeps out of Elasticsearch, by reason, namespace and job`,
    `if ${markField} {`,
    `  ruby { id => "mlobs_not_stored_labels" code => '${tagsCode(NOT_STORED_TAG_LABELS, NOT_STORED_TAGS)}' }`,
    '}',
  ].join('\n');
}

/** Logstash output text: one count of {@link NOT_STORED_METRIC} per marked event. */
export function renderNotStoredOutput(markField: string): string {
  return [`if ${markField} {`, ...statsd('mlobs_not_stored', `increment => ["${NOT_STORED_METRIC},reason=%{${markField}},%{${NOT_STORED_TAGS}}"]`), '}'].join('\n');
}

/** Marks the heartbeat's events (never stored). */
export const HEARTBEAT_FIELD = '[@metadata][mlobs_heartbeat]';

/** Logstash input text: the heartbeat (logstash-input-heartbeat 3.1: `interval`, `sequence`; contracts/logstash-monitoring.ts). */
export function renderHeartbeatInput(): string {
  return ['heartbeat {', '  id => "mlobs_heartbeat"', `  interval => ${LOGSTASH_HEARTBEAT_INTERVAL_SECONDS}`, '  sequence => "none"', `  add_field => { "${HEARTBEAT_FIELD}" => "true" }`, '}'].join('\n');
}

/** Logstash output text, last: one count per heartbeat (after every other output, so it stops when the pipeline does), one per failure tag on an event. */
export function renderSelfMonitoringOutput(): string {
  return [
    `# ${LOGSTASH_HEARTBEAT_METRIC}: counted after every other output, so it stops when the pipeline does`,
    `if ${HEARTBEAT_FIELD} {`,
    ...statsd('mlobs_heartbeat', `increment => ["${LOGSTASH_HEARTBEAT_METRIC}"]`),
    '}',
    ...LOGSTASH_FAILURE_TAGS.flatMap((t) => [`if "${t}" in [tags] {`, ...statsd(`mlobs_failure${t}`, `increment => ["${LOGSTASH_FILTER_FAILURES_METRIC},tag=${t}"]`), '}']),
  ].join('\n');
}

/** Where the filter puts a Filebeat report's counts for the outputs (`<field>[<result>]`). */
export const FILEBEAT_REPORT_FIELD = '[@metadata][mlobs_filebeat_report]';
/** The Filebeat container of the Beat (filebeat.render.ts names it so). */
const FILEBEAT_CONTAINER = 'filebeat';

/**
 * Logstash filter text: a line that is the stack's Filebeat reporting its counters (its container
 * in the agents namespace, decoded by the catalog's JSON branch, with `monitoring.metrics`)
 * gets {@link FILEBEAT_REPORT_FIELD}: `true`, and the output's acked/failed/dropped deltas under it.
 */
export function renderFilebeatReportFilter(agentsNamespace: string): string {
  const metrics = `${LOGSTASH_JSON_METADATA}[monitoring][metrics]`;
  const events = `${LOGSTASH_JSON_METADATA}${FILEBEAT_REPORT_PATH.map((k) => `[${k}]`).join('')}`;
  const rateLimits = `${LOGSTASH_JSON_METADATA}${FILEBEAT_RATE_LIMIT_PATH.map((k) => `[${k}]`).join('')}`;
  const code =
    `r = event.get("${events}"); r = {} unless r.is_a?(Hash); ` +
    `${JSON.stringify([...FILEBEAT_OUTPUT_RESULTS])}.each { |k| v = r[k]; event.set("${FILEBEAT_REPORT_FIELD}[#{k}]", v) if v.is_a?(Integer) && v > 0 }; ` +
    `rl = event.get("${rateLimits}"); n = rl.is_a?(Hash) ? rl.values.sum { |i| d = i.is_a?(Hash) ? i["dropped"] : nil; d.is_a?(Integer) && d > 0 ? d : 0 } : 0; ` +
    `event.set("${FILEBEAT_REPORT_FIELD}[rate_limited]", n) if n > 0; ` +
    `event.set("${FILEBEAT_REPORT_FIELD}[report]", true)`;
  return [
    `# ${FILEBEAT_REPORTS_METRIC}, ${FILEBEAT_OUTPUT_EVENTS_METRIC}: the stack's Filebeat logging its own counters (contracts/logstash-monitoring.ts)`,
    `if [kubernetes][namespace] == ${JSON.stringify(agentsNamespace)} and [kubernetes][container][name] == "${FILEBEAT_CONTAINER}" and ${metrics} {`,
    `  ruby { id => "mlobs_filebeat_report" code => '${code}' }`,
    '}',
  ].join('\n');
}

/** Logstash output text: one count per Filebeat report and the output's event deltas, by node. */
export function renderFilebeatReportOutput(): string {
  const node = '%{[mlobs][node]}';
  return [
    `if ${FILEBEAT_REPORT_FIELD}[report] and [mlobs][node] {`,
    ...statsd('mlobs_filebeat_reports', `increment => ["${FILEBEAT_REPORTS_METRIC},node=${node}"]`),
    '}',
    `if ${FILEBEAT_REPORT_FIELD}[rate_limited] and [mlobs][node] {`,
    ...statsd('mlobs_filebeat_rate_limited', `count => { "${FILEBEAT_RATE_LIMITED_METRIC},node=${node}" => "%{${FILEBEAT_REPORT_FIELD}[rate_limited]}" }`),
    '}',
    ...FILEBEAT_OUTPUT_RESULTS.flatMap((r) => [
      `if ${FILEBEAT_REPORT_FIELD}[${r}] and [mlobs][node] {`,
      ...statsd(`mlobs_filebeat_${r}`, `count => { "${FILEBEAT_OUTPUT_EVENTS_METRIC},node=${node},result=${r}" => "%{${FILEBEAT_REPORT_FIELD}[${r}]}" }`),
      '}',
    ]),
  ].join('\n');
}

/** The series the sidecar exports (everything else is dropped, by statsd_exporter and again by the PodMonitor). */
export const EXPORTED_SERIES: readonly string[] = [LOG_EVENTS_METRIC, ERROR_LINES_METRIC, ...TRAIN_GAUGES.map((g) => g.metric), NOT_STORED_METRIC, LOGSTASH_HEARTBEAT_METRIC, LOGSTASH_FILTER_FAILURES_METRIC, FILEBEAT_REPORTS_METRIC, FILEBEAT_OUTPUT_EVENTS_METRIC, FILEBEAT_RATE_LIMITED_METRIC];

/** statsd_exporter's mapping: the one counter, everything else dropped. */
export function renderStatsdMapping(): Record<string, unknown> {
  const name = (m: string) => `${STATSD_NAMESPACE}.${STATSD_SENDER}.${m}`;
  return {
    mappings: [
      { match: STATSD_EVENTS_NAME, name: LOG_EVENTS_METRIC, help: 'ML log lines classified with a catalog event (from Logstash, mlobs Elastic pipeline)' },
      { match: name(ERROR_LINES_METRIC), name: ERROR_LINES_METRIC, help: 'Log lines at an error level (from Logstash, mlobs Elastic pipeline)' },
      ...TRAIN_GAUGES.map((g) => ({ match: name(g.metric), name: g.metric, help: `${g.help} (from Logstash, mlobs Elastic pipeline)` })),
      { match: name(NOT_STORED_METRIC), name: NOT_STORED_METRIC, help: 'Log lines Logstash did not store (logs.volume), by reason (from Logstash, mlobs Elastic pipeline)' },
      { match: name(LOGSTASH_HEARTBEAT_METRIC), name: LOGSTASH_HEARTBEAT_METRIC, help: 'Heartbeat events that went through the whole Logstash pipeline (mlobs Elastic pipeline)' },
      { match: name(LOGSTASH_FILTER_FAILURES_METRIC), name: LOGSTASH_FILTER_FAILURES_METRIC, help: 'Events a Logstash filter failed on, by failure tag (mlobs Elastic pipeline)' },
      { match: name(FILEBEAT_REPORTS_METRIC), name: FILEBEAT_REPORTS_METRIC, help: 'Counter reports Filebeat logged (every 30s), by node (mlobs Elastic pipeline)' },
      { match: name(FILEBEAT_RATE_LIMITED_METRIC), name: FILEBEAT_RATE_LIMITED_METRIC, help: "Lines Filebeat's per-stream rate limit dropped, by node (mlobs Elastic pipeline)" },
      { match: name(FILEBEAT_OUTPUT_EVENTS_METRIC), name: FILEBEAT_OUTPUT_EVENTS_METRIC, help: "Filebeat's output events by result (acked, failed, dropped), by node (mlobs Elastic pipeline)" },
      { match: '.', match_type: 'regex', action: 'drop', name: 'dropped' },
    ],
  };
}

export interface EventMetricsSidecarProps {
  /** statsd_exporter image (`repository:tag`). */
  readonly image: string;
  /** ConfigMap holding `mapping.yaml`. */
  readonly mappingConfigMap: string;
}

/** The statsd_exporter sidecar container and its volume. */
export function renderEventMetricsSidecar(p: EventMetricsSidecarProps): { readonly container: Record<string, unknown>; readonly volume: Record<string, unknown> } {
  return {
    container: {
      name: 'statsd-exporter',
      image: p.image,
      args: [
        `--statsd.mapping-config=${STATSD_MAPPING_DIR}/mapping.yaml`,
        `--statsd.listen-udp=127.0.0.1:${STATSD_PORT}`,
        '--statsd.listen-tcp=',
        `--web.listen-address=:${LS_METRICS_PORT}`,
      ],
      ports: [{ name: EVENT_METRICS_PORT_NAME, containerPort: LS_METRICS_PORT, protocol: 'TCP' }],
      resources: { requests: { ...DEFAULT_STATSD_EXPORTER_RESOURCES.requests }, limits: { ...DEFAULT_STATSD_EXPORTER_RESOURCES.limits } },
      securityContext: { runAsNonRoot: true, runAsUser: 65534, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      volumeMounts: [{ name: 'statsd-mapping', mountPath: STATSD_MAPPING_DIR, readOnly: true }],
    },
    volume: { name: 'statsd-mapping', configMap: { name: p.mappingConfigMap } },
  };
}

export interface EventMetricsPodMonitorProps {
  readonly common: CommonConfig;
  readonly name: string;
  /** Labels of the Logstash pods. */
  readonly podSelector: Readonly<Record<string, string>>;
  /** @default DEFAULT_EVENT_METRICS_INTERVAL */
  readonly interval?: string;
}

/** The PodMonitor for the counters (labelled for the stack's Prometheus). */
export function renderEventMetricsPodMonitor(p: EventMetricsPodMonitorProps): KubeManifest {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: p.name, namespace: p.common.namespace, labels: { ...p.common.labels, ...p.common.monitorSelector } },
    spec: {
      selector: { matchLabels: { ...p.podSelector } },
      podMetricsEndpoints: [
        {
          port: EVENT_METRICS_PORT_NAME,
          path: '/metrics',
          interval: p.interval ?? DEFAULT_EVENT_METRICS_INTERVAL,
          // namespace/pod/container on the series name the training pod, not Logstash
          honorLabels: true,
          metricRelabelings: [
            { action: 'keep', sourceLabels: ['__name__'], regex: EXPORTED_SERIES.join('|') },
            ...OPTIONAL_LOG_EVENTS_LABELS.map((l) => ({ action: 'replace', sourceLabels: [l], regex: NONE_VALUE, targetLabel: l, replacement: '' })),
            inheritedJobRelabeling(p.common.namespace, p.name),
          ],
        },
      ],
    },
  };
}

/** The ConfigMap with statsd_exporter's mapping (mounted by the sidecar). */
export function renderStatsdMappingConfigMap(common: CommonConfig, name: string): KubeManifest {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: common.namespace, labels: { ...common.labels } }, data: { 'mapping.yaml': stringify(renderStatsdMapping()) } };
}

/** Filebeat's add_kubernetes_metadata writes pod labels with "." as "_" (labels.dedot, on by default). */
export const dedotLabelKey = (key: string): string => key.replace(/\./g, '_');

/**
 * Logstash filter text: `[mlobs][job]` from the first of the job label keys present on the pod
 * (contracts/jobs.ts, the same keys and order as the Loki collectors and the training PodMonitor).
 */
export function renderJobFilter(keys: readonly string[] = DEFAULT_JOB_LABEL_KEYS): string {
  jobRelabeling(keys); // the same bounds as the collectors' relabeling
  const refs = keys.map((k) => `[kubernetes][labels][${dedotLabelKey(k)}]`);
  const code = `${JSON.stringify(refs)}.each { |f| v = event.get(f).to_s; unless v.empty? then event.set("[mlobs][job]", v); break; end }`;
  return ['# The pod\'s training job (first workload-controller label present, contracts/jobs.ts)', `ruby { id => "mlobs_job" code => '${code}' }`].join('\n');
}
