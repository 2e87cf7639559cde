/**
 * The stack's own alert rules: what kube-prometheus' default rules (which the chart also
 * installs) do not cover. Pure: no cdktf import.
 *
 * `PrometheusDeletingDataBeforeRetentionTime`: we set both a retention time and a retention
 * size (`retention.prometheus.time` / `sizeGiB`). When the size cap is reached Prometheus
 * silently deletes its oldest blocks, so the environment keeps less history than its config
 * promises. No default rule watches `prometheus_tsdb_size_retentions_total`; this one does.
 *
 * Beside it, the rest of the stack watches itself (issue 17 item 3). Every metric name below was read
 * in the source of the pinned version (the README lists where):
 * - Loki 3.7.6 (`mlobs.loki`): `loki_request_duration_seconds{method,route,status_code,ws}` (dskit
 *   server/metrics.go), `loki_discarded_samples_total{reason,tenant,...}` (pkg/validation/validate.go),
 *   scraped through the Loki chart's ServiceMonitor. kube-prometheus' defaults have no Loki rule and the
 *   chart's own `monitoring.alerts` are off (they carry no runbook or component label).
 * - The collectors (`mlobs.collectors`): Alloy v1.18.1's `loki.write` (`loki_write_dropped_entries_total
 *   {host,tenant,reason}`, `loki_write_request_duration_seconds{status_code,host,tenant}`,
 *   internal/component/common/loki/client/metrics.go) and Promtail 3.5.1's (`promtail_dropped_entries_total
 *   {host,tenant,reason}`, `promtail_request_duration_seconds{status_code,host}`,
 *   clients/pkg/promtail/client/client.go), scraped through the collector's PodMonitor. A transport
 *   error is recorded with `status_code="-1"`, so a failed send is any status but 2xx. Only the collector
 *   that runs has series; the other's rules are quiet.
 * - cert-manager v1.21.1 (`mlobs.certificates`): `certmanager_certificate_ready_status
 *   {name,namespace,condition,...}`, `certmanager_certificate_expiration_timestamp_seconds` and
 *   `certmanager_certificate_renewal_timestamp_seconds` (internal/collectors/certificate_collector.go),
 *   scraped through the TLS component's PodMonitor (with honorLabels: `namespace` is the Certificate's).
 * - elasticsearch_exporter v1.11.0 (`mlobs.elasticsearch`, chart prometheus-elasticsearch-exporter 7.4.0):
 *   `elasticsearch_cluster_health_status{cluster,color}`, `elasticsearch_cluster_health_unassigned_shards`
 *   (collector/cluster_health.go), `elasticsearch_filesystem_data_available_bytes` / `_size_bytes`
 *   (collector/nodes.go), exported by the ElasticsearchExporter the Elastic pipeline deploys.
 * Prometheus and Alertmanager themselves are covered by the chart's default rules (README lists them).
 *
 * PromQL here is checked by promtool 3.14 and the live test on Prometheus 3.14 (the chart's version).
 */
import {
  FILEBEAT_DAEMONSET_SUFFIX,
  FILEBEAT_OUTPUT_EVENTS_METRIC,
  FILEBEAT_RATE_LIMITED_METRIC,
  FILEBEAT_REPORT_PERIOD_SECONDS,
  FILEBEAT_REPORTS_METRIC,
  LOGSTASH_EXCEPTION_TAG, LOGSTASH_FILTER_FAILURES_METRIC, LOGSTASH_HEARTBEAT_INTERVAL_SECONDS, LOGSTASH_HEARTBEAT_METRIC, LOGSTASH_METRICS_MONITOR_SUFFIX } from '../contracts/logstash-monitoring';
import type { CommonConfig } from '../core/common';
import type { KubeManifest } from '../core/manifest';
import { renderPrometheusRule, type AlertRule, type RuleGroup } from '../core/prometheus-rule';
import { LOGS_COMPONENT, PLATFORM_COMPONENT } from '../contracts/components';

/** Name of the PrometheusRule carrying the stack's own groups. */
export const STACK_RULES_NAME = 'mlobs-stack';

/** Name of the rule group (visible in Prometheus' /rules page). */
export const STACK_RULE_GROUP_NAME = 'mlobs.stack';

/**
 * Window over which a size-based block deletion keeps the alert firing. Once at the cap,
 * Prometheus deletes a block about every 2h (one per compaction), so 3h keeps it steady.
 */
export const DEFAULT_SIZE_RETENTION_WINDOW = '3h';

/** Upstream page on retention time and size (what to change, and why). */
export const RETENTION_RUNBOOK_URL = 'https://prometheus.io/docs/prometheus/latest/storage/#operational-aspects';

/** Group names of the stack's self-monitoring (visible in Prometheus' /rules page). */
export const SELF_MONITORING_GROUP_NAMES = {
  loki: 'mlobs.loki',
  collectors: 'mlobs.collectors',
  certificates: 'mlobs.certificates',
  elasticsearch: 'mlobs.elasticsearch',
  logstash: 'mlobs.logstash',
  filebeat: 'mlobs.filebeat',
} as const;

/** Share of Loki requests answered 5xx, per route, above which `LokiRequestErrors` fires (the loki-mixin's 10%). */
export const DEFAULT_LOKI_ERROR_RATIO = 0.1;
/** p99 latency in seconds, per route, above which `LokiRequestLatency` fires (the loki-mixin's 1s). */
export const DEFAULT_LOKI_P99_LATENCY_SECONDS = 1;
/** Routes left out of the latency alert: long-lived streams (tail, the querier's loop), as in the loki-mixin. */
export const LOKI_STREAMING_ROUTES = '(?i).*tail.*|/schedulerpb.SchedulerForQuerier/QuerierLoop';
/** Share of a collector's pushes that fail (any status but 2xx, transport errors included) above which it alerts. */
export const DEFAULT_COLLECTOR_SEND_FAILURE_RATIO = 0.1;
/** How long past its planned renewal time a certificate may stay unrenewed before `CertificateRenewalOverdue` fires. */
export const DEFAULT_CERTIFICATE_RENEWAL_GRACE_SECONDS = 3600;
/** Days left below which an overdue certificate pages (`CertificateExpiringSoon`). */
export const DEFAULT_CERTIFICATE_CRITICAL_DAYS = 7;
/** Elasticsearch's default disk watermarks (cluster.routing.allocation.disk.watermark.low/high), as used ratios. */
export const ES_DISK_WATERMARKS = { low: 0.85, high: 0.9 } as const;

/** Upstream pages the self-monitoring alerts link to. */
export const SELF_MONITORING_RUNBOOK_URLS = {
  lokiRequestErrors: 'https://github.com/grafana/loki/blob/main/operator/docs/lokistack/sop.md#loki-request-errors',
  lokiRequestLatency: 'https://github.com/grafana/loki/blob/main/operator/docs/lokistack/sop.md#loki-request-latency',
  lokiDiscardedSamples: 'https://grafana.com/docs/loki/latest/operations/request-validation-rate-limits/',
  alloyLokiWrite: 'https://grafana.com/docs/alloy/latest/reference/components/loki/loki.write/',
  promtail: 'https://grafana.com/docs/loki/latest/operations/troubleshooting/troubleshoot-ingest/',
  certificates: 'https://cert-manager.io/docs/troubleshooting/',
  esClusterHealth: 'https://www.elastic.co/guide/en/elasticsearch/reference/current/red-yellow-cluster-status.html',
  esUnassignedShards: 'https://www.elastic.co/guide/en/elasticsearch/reference/current/diagnose-unassigned-shards.html',
  esDiskWatermark: 'https://www.elastic.co/guide/en/elasticsearch/reference/current/fix-watermark-errors.html',
  logstash: 'https://www.elastic.co/guide/en/logstash/current/monitoring-logstash.html',
  filebeat: 'https://www.elastic.co/guide/en/beats/filebeat/current/troubleshooting.html',
} as const;

export interface StackRulesProps {
  readonly common: CommonConfig;
  /** The configured `retention.prometheus.time` (quoted in the alert's description). */
  readonly retentionTime: string;
}

/** The rule groups of the stack itself, as typed data. */
export function renderStackRuleGroups(props: StackRulesProps): RuleGroup[] {
  const ns = JSON.stringify(props.common.namespace);
  return [
    {
      name: STACK_RULE_GROUP_NAME,
      rules: [
        {
          alert: 'PrometheusDeletingDataBeforeRetentionTime',
          expr: `increase(prometheus_tsdb_size_retentions_total{namespace=${ns}}[${DEFAULT_SIZE_RETENTION_WINDOW}]) > 0`,
          labels: { severity: 'warning', component: PLATFORM_COMPONENT },
          annotations: {
            summary: 'Prometheus {{ $labels.pod }} is deleting data before its retention time',
            description:
              `Prometheus {{ $labels.namespace }}/{{ $labels.pod }} reached its size limit (retention.prometheus.sizeGiB) and deleted its oldest blocks in the last ${DEFAULT_SIZE_RETENTION_WINDOW}, ` +
              `so it keeps less than the configured ${props.retentionTime} (retention.prometheus.time). ` +
              'Raise retention.prometheus.sizeGiB together with prometheus.storage.sizeGiB, or shorten retention.prometheus.time.',
            runbook_url: RETENTION_RUNBOOK_URL,
          },
        },
      ],
    },
    { name: SELF_MONITORING_GROUP_NAMES.loki, rules: lokiRules(ns) },
    // the log collectors run in the agents namespace; the stack's certificates live in both
    { name: SELF_MONITORING_GROUP_NAMES.collectors, rules: collectorRules(JSON.stringify(props.common.agentsNamespace)) },
    { name: SELF_MONITORING_GROUP_NAMES.certificates, rules: certificateRules(`~${JSON.stringify(`${props.common.namespace}|${props.common.agentsNamespace}`)}`) },
    { name: SELF_MONITORING_GROUP_NAMES.elasticsearch, rules: elasticsearchRules() },
    { name: SELF_MONITORING_GROUP_NAMES.logstash, rules: logstashRules(ns) },
    { name: SELF_MONITORING_GROUP_NAMES.filebeat, rules: filebeatRules(ns, props.common.agentsNamespace) },
  ];
}

const pct = (ratio: number): string => `${Math.round(ratio * 100)}%`;

/** Loki's write and read path, scoped to the stack's namespace. */
function lokiRules(ns: string): AlertRule[] {
  const sel = `namespace=${ns}`;
  const by = 'namespace, job, route';
  return [
    {
      alert: 'LokiRequestErrors',
      expr:
        `sum by (${by}) (rate(loki_request_duration_seconds_count{${sel}, status_code=~"5.."}[5m]))\n` +
        `  / sum by (${by}) (rate(loki_request_duration_seconds_count{${sel}}[5m]))\n` +
        `  > ${DEFAULT_LOKI_ERROR_RATIO}`,
      for: '15m',
      labels: { severity: 'critical', component: LOGS_COMPONENT },
      annotations: {
        summary: 'Loki {{ $labels.job }} answers {{ $labels.route }} with server errors',
        description:
          `{{ $value | humanizePercentage }} of Loki's {{ $labels.route }} requests on {{ $labels.namespace }}/{{ $labels.job }} failed with a 5xx over the last 5m (threshold ${pct(DEFAULT_LOKI_ERROR_RATIO)}). ` +
          'On a push route the collectors retry and then drop logs; on a query route dashboards and ruler alerts see nothing. ' +
          'What to do: read the Loki pods\' logs for the route (kubectl -n {{ $labels.namespace }} logs -l app.kubernetes.io/name=loki), check their storage (a full volume or an unreachable object store fails every write) and their memory (OOM kills show as restarts).',
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.lokiRequestErrors,
      },
    },
    {
      alert: 'LokiRequestLatency',
      expr:
        `histogram_quantile(0.99, sum by (${by}, le) (rate(loki_request_duration_seconds_bucket{${sel}, route!~${JSON.stringify(LOKI_STREAMING_ROUTES)}}[5m])))\n` +
        `  > ${DEFAULT_LOKI_P99_LATENCY_SECONDS}`,
      for: '15m',
      labels: { severity: 'warning', component: LOGS_COMPONENT },
      annotations: {
        summary: 'Loki {{ $labels.job }} is slow on {{ $labels.route }}',
        description:
          `The 99th percentile latency of Loki's {{ $labels.route }} requests on {{ $labels.namespace }}/{{ $labels.job }} is {{ $value | humanizeDuration }} (threshold ${DEFAULT_LOKI_P99_LATENCY_SECONDS}s) over the last 5m. ` +
          'What to do: on a push route, check the Loki pods\' CPU and memory against their limits (loki.resources) and the storage latency; on a query route, look for heavy queries over long ranges in the query logs (metrics.go lines) and consider loki.deploymentMode: scalable.',
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.lokiRequestLatency,
      },
    },
    {
      alert: 'LokiDiscardingSamples',
      expr: `sum by (namespace, tenant, reason) (rate(loki_discarded_samples_total{${sel}}[5m])) > 0`,
      for: '15m',
      labels: { severity: 'warning', component: LOGS_COMPONENT },
      annotations: {
        summary: 'Loki is discarding log lines ({{ $labels.reason }})',
        description:
          'Loki in {{ $labels.namespace }} rejected {{ $value | humanize }} log lines per second of tenant "{{ $labels.tenant }}" for the last 15m, reason {{ $labels.reason }}: those lines are lost. ' +
          'What to do: rate_limited or stream_limit: raise the tenant limits (ingestion_rate_mb, max_global_streams_per_user) through loki.valuesOverrides, or find the noisy source; line_too_long: shorten the lines or raise max_line_size; greater_than_max_sample_age / too_far_behind: a collector is sending old files, check its positions.',
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.lokiDiscardedSamples,
      },
    },
  ];
}

/** Alloy's loki.write and Promtail's client, scoped to the agents namespace where the collector runs (only the running collector has series). */
function collectorRules(ns: string): AlertRule[] {
  const sel = `namespace=${ns}`;
  const dropped = (collector: string, metric: string, runbook: string): AlertRule => ({
    alert: `${collector}DroppingLogEntries`,
    expr: `sum by (namespace, pod, reason) (rate(${metric}{${sel}}[5m])) > 0`,
    for: '5m',
    labels: { severity: 'critical', component: LOGS_COMPONENT },
    annotations: {
      summary: `${collector} {{ $labels.pod }} is dropping log lines (${'{{ $labels.reason }}'})`,
      description:
        `${collector} {{ $labels.namespace }}/{{ $labels.pod }} drops {{ $value | humanize }} log lines per second after all retries (reason {{ $labels.reason }}): they never reach Loki. ` +
        `What to do: queue_is_full or ingester_error: check Loki (LokiRequestErrors, its pods and storage) and the NetworkPolicy from the collector to the Loki gateway; rate_limited or stream_limited: raise Loki's tenant limits; line_too_long: raise Loki's max_line_size or drop the lines in the pipeline.`,
      runbook_url: runbook,
    },
  });
  const failing = (collector: string, metric: string, runbook: string): AlertRule => ({
    alert: `${collector}LokiSendFailures`,
    expr:
      `sum by (namespace, pod) (rate(${metric}{${sel}, status_code!~"2.."}[5m]))\n` +
      `  / sum by (namespace, pod) (rate(${metric}{${sel}}[5m]))\n` +
      `  > ${DEFAULT_COLLECTOR_SEND_FAILURE_RATIO}`,
    for: '15m',
    labels: { severity: 'warning', component: LOGS_COMPONENT },
    annotations: {
      summary: `${collector} {{ $labels.pod }} fails to push to Loki`,
      description:
        `{{ $value | humanizePercentage }} of the pushes from ${collector} {{ $labels.namespace }}/{{ $labels.pod }} to Loki failed over the last 5m (threshold ${pct(DEFAULT_COLLECTOR_SEND_FAILURE_RATIO)}; a transport error counts as status -1, a rate limit as 429). ` +
        'They are retried, and lines are lost once the retries run out. ' +
        `What to do: read the collector's logs for the status (kubectl -n {{ $labels.namespace }} logs {{ $labels.pod }}), check that the Loki gateway is up and reachable (NetworkPolicy, TLS hop), and check Loki's own alerts.`,
      runbook_url: runbook,
    },
  });
  const alloy = SELF_MONITORING_RUNBOOK_URLS.alloyLokiWrite;
  const promtail = SELF_MONITORING_RUNBOOK_URLS.promtail;
  return [
    dropped('Alloy', 'loki_write_dropped_entries_total', alloy),
    failing('Alloy', 'loki_write_request_duration_seconds_count', alloy),
    dropped('Promtail', 'promtail_dropped_entries_total', promtail),
    failing('Promtail', 'promtail_request_duration_seconds_count', promtail),
  ];
}

/** The stack's certificates (Certificates in its namespace), read from the cert-manager it installs. */
/** `ns`: the matcher's right side after `namespace=`: a quoted name, or `~"a|b"`. */
function certificateRules(ns: string): AlertRule[] {
  const sel = `namespace=${ns}`;
  const grace = DEFAULT_CERTIFICATE_RENEWAL_GRACE_SECONDS;
  const overdue = `(time() - certmanager_certificate_renewal_timestamp_seconds{${sel}}) > ${grace}`;
  const what = 'What to do: kubectl -n {{ $labels.namespace }} describe certificate {{ $labels.name }}, then its CertificateRequest and (ACME) Order and Challenge; check the issuer is Ready and the cert-manager controller\'s logs.';
  return [
    {
      alert: 'CertificateNotReady',
      expr: `max by (namespace, name, issuer_name) (certmanager_certificate_ready_status{${sel}, condition!="True"}) == 1`,
      for: '15m',
      labels: { severity: 'warning', component: PLATFORM_COMPONENT },
      annotations: {
        summary: 'Certificate {{ $labels.namespace }}/{{ $labels.name }} is not ready',
        description: 'cert-manager reports the certificate {{ $labels.namespace }}/{{ $labels.name }} (issuer {{ $labels.issuer_name }}) not Ready for 15m: the Secret it writes is missing or stale, and the TLS hop that uses it fails or serves an old certificate. ' + what,
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.certificates,
      },
    },
    {
      alert: 'CertificateRenewalOverdue',
      expr: `max by (namespace, name, issuer_name) (${overdue})`,
      for: '15m',
      labels: { severity: 'warning', component: PLATFORM_COMPONENT },
      annotations: {
        summary: 'Certificate {{ $labels.namespace }}/{{ $labels.name }} was not renewed on time',
        description: `cert-manager planned to renew {{ $labels.namespace }}/{{ $labels.name }} {{ $value | humanizeDuration }} ago (more than ${grace / 3600}h), and it is still not renewed. ` + what,
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.certificates,
      },
    },
    {
      alert: 'CertificateExpiringSoon',
      expr:
        `max by (namespace, name, issuer_name) (certmanager_certificate_expiration_timestamp_seconds{${sel}} - time()) < ${DEFAULT_CERTIFICATE_CRITICAL_DAYS} * 86400\n` +
        `  and on (namespace, name) ${overdue}`,
      for: '15m',
      labels: { severity: 'critical', component: PLATFORM_COMPONENT },
      annotations: {
        summary: 'Certificate {{ $labels.namespace }}/{{ $labels.name }} expires in {{ $value | humanizeDuration }}',
        description:
          `The certificate {{ $labels.namespace }}/{{ $labels.name }} expires in {{ $value | humanizeDuration }} (under ${DEFAULT_CERTIFICATE_CRITICAL_DAYS} days) and its renewal is overdue: when it expires, the TLS hops that use it (Grafana's Ingress, collectors to Loki, Elasticsearch) stop working. ` + what,
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.certificates,
      },
    },
  ];
}

/** Elasticsearch, from elasticsearch_exporter's metrics (no exporter is deployed yet: quiet until one is scraped). */
/** How long a running Logstash may go without a heartbeat through its pipeline (ten intervals). */
export const LOGSTASH_STALLED_WINDOW = '5m';

/**
 * Logstash, from the counters its pipeline writes itself (contracts/logstash-monitoring.ts): its
 * sidecar is scraped (`up`) but no heartbeat went through the pipeline (the workers are blocked,
 * typically on an output that cannot write, or the pipeline failed to start), and Ruby filter
 * exceptions (a generated filter that breaks on some lines).
 */
function logstashRules(ns: string): AlertRule[] {
  const scraped = `max by (namespace, pod) (up{namespace=${ns}, job=~${JSON.stringify(`.+/.+${LOGSTASH_METRICS_MONITOR_SUFFIX}`)}}) == 1`;
  return [
    {
      alert: 'LogstashPipelineStalled',
      expr: `${scraped}\nunless on (namespace, pod)\nsum by (namespace, pod) (increase(${LOGSTASH_HEARTBEAT_METRIC}{namespace=${ns}}[${LOGSTASH_STALLED_WINDOW}])) > 0`,
      for: '10m',
      labels: { severity: 'critical', component: LOGS_COMPONENT },
      annotations: {
        summary: 'Logstash {{ $labels.pod }} is not moving events',
        description:
          `Logstash {{ $labels.namespace }}/{{ $labels.pod }} is up, but no heartbeat (one every ${LOGSTASH_HEARTBEAT_INTERVAL_SECONDS}s) has gone through its pipeline for ${LOGSTASH_STALLED_WINDOW}: the pipeline is not moving, so log lines are not stored and Filebeat backs up on the nodes. ` +
          'What to do: kubectl -n {{ $labels.namespace }} logs {{ $labels.pod }} -c logstash; an Elasticsearch output that cannot write (cluster red, disk watermark, credentials) blocks every worker, so check ElasticsearchClusterRed and the disk alerts; a pipeline that failed to start logs its configuration error.',
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.logstash,
      },
    },
    {
      alert: 'LogstashFilterExceptions',
      expr: `sum by (namespace, pod) (rate(${LOGSTASH_FILTER_FAILURES_METRIC}{namespace=${ns}, tag=${JSON.stringify(LOGSTASH_EXCEPTION_TAG)}}[5m])) > 0`,
      for: '15m',
      labels: { severity: 'warning', component: LOGS_COMPONENT },
      annotations: {
        summary: 'Logstash {{ $labels.pod }} filters are raising exceptions',
        description:
          `A Ruby filter of the Logstash pipeline in {{ $labels.namespace }}/{{ $labels.pod }} has raised exceptions on {{ $value | humanize }} events per second for 15m (tag ${LOGSTASH_EXCEPTION_TAG}): those events are stored without the fields that filter sets (job, metrics labels, volume marks). ` +
          'What to do: kubectl logs the pod (container logstash) for the Ruby error and the event it failed on; it is a bug in a generated filter, report it with the line.',
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.logstash,
      },
    },
  ];
}

/** How long a node's Filebeat may go without a report reaching Logstash (twenty report periods). */
export const FILEBEAT_SILENT_WINDOW = '10m';
/** Share of Filebeat's output events that fail (and are retried) above which `FilebeatSendFailures` fires. */
export const DEFAULT_FILEBEAT_FAILURE_RATIO = 0.1;

/**
 * Filebeat, from the counters it logs about itself and Logstash counts (contracts/logstash-monitoring.ts):
 * a node running the Filebeat DaemonSet (kube-state-metrics) whose reports stopped arriving (its
 * sends fail, or it is stuck), events dropped after retries, and a high share of failed sends.
 */
function filebeatRules(ns: string, agents: string): AlertRule[] {
  const runs = `max by (node) (kube_pod_info{namespace=${JSON.stringify(agents)}, created_by_kind="DaemonSet", created_by_name=~${JSON.stringify(`.+${FILEBEAT_DAEMONSET_SUFFIX}`)}})`;
  const events = (result: string) => `sum by (node) (increase(${FILEBEAT_OUTPUT_EVENTS_METRIC}{namespace=${ns}, result=${JSON.stringify(result)}}[15m]))`;
  const what = `What to do: kubectl -n ${agents} logs the Filebeat pod on {{ $labels.node }} for the output errors; check that Logstash is up (LogstashPipelineStalled) and reachable (the NetworkPolicy to its beats port, the TLS hop and the trust bundle in the agents namespace).`;
  return [
    {
      alert: 'FilebeatNotReporting',
      expr: `${runs}\nunless on (node)\nsum by (node) (increase(${FILEBEAT_REPORTS_METRIC}{namespace=${ns}}[${FILEBEAT_SILENT_WINDOW}])) > 0`,
      for: '10m',
      labels: { severity: 'critical', component: LOGS_COMPONENT },
      annotations: {
        summary: 'Filebeat on {{ $labels.node }} is not shipping',
        description:
          `Filebeat runs on node {{ $labels.node }} but none of its counter reports (one every ${FILEBEAT_REPORT_PERIOD_SECONDS}s, shipped like any log line) has reached Logstash for ${FILEBEAT_SILENT_WINDOW}: its sends fail or it is stuck, so that node's log lines are not stored (they wait on the node while its files last). ` +
          what,
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.filebeat,
      },
    },
    {
      alert: 'FilebeatDroppingEvents',
      expr: `${events('dropped')} > 0`,
      labels: { severity: 'critical', component: LOGS_COMPONENT },
      for: '1m',
      annotations: {
        summary: 'Filebeat on {{ $labels.node }} dropped log lines',
        description: `Filebeat on node {{ $labels.node }} dropped {{ $value | humanize }} events in the last 15m (its output gave up on them): those log lines are lost. ` + what,
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.filebeat,
      },
    },
    {
      alert: 'FilebeatRateLimitingLines',
      expr: `sum by (node) (increase(${FILEBEAT_RATE_LIMITED_METRIC}{namespace=${ns}}[15m])) > 0`,
      for: '15m',
      labels: { severity: 'warning', component: LOGS_COMPONENT },
      annotations: {
        summary: 'Filebeat on {{ $labels.node }} keeps dropping lines over the per-stream limit',
        description:
          'Filebeat on node {{ $labels.node }} dropped {{ $value | humanize }} lines over the per-stream line limit in the last 15m, for 15m: a container on that node logs faster than logs.volume.perStream allows, and the lines over the limit are not stored. ' +
          'What to do: find the loud container on that node (kubectl top, or the lines per pod in Kibana); if the rate is expected, raise logs.volume.perStream.linesPerSecond.',
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.filebeat,
      },
    },
    {
      alert: 'FilebeatSendFailures',
      expr: `${events('failed')}\n  / (${events('acked')} + ${events('failed')})\n  > ${DEFAULT_FILEBEAT_FAILURE_RATIO}`,
      for: '15m',
      labels: { severity: 'warning', component: LOGS_COMPONENT },
      annotations: {
        summary: 'Filebeat on {{ $labels.node }} fails to send',
        description:
          `{{ $value | humanizePercentage }} of the events Filebeat on node {{ $labels.node }} sent in the last 15m failed (threshold ${pct(DEFAULT_FILEBEAT_FAILURE_RATIO)}); they are retried, and lines are lost once the retries run out. ` +
          what,
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.filebeat,
      },
    },
  ];
}

function elasticsearchRules(): AlertRule[] {
  const used = '1 - elasticsearch_filesystem_data_available_bytes / elasticsearch_filesystem_data_size_bytes';
  const byNode = 'cluster, name, mount';
  return [
    {
      alert: 'ElasticsearchClusterRed',
      expr: 'max by (cluster) (elasticsearch_cluster_health_status{color="red"}) == 1',
      for: '5m',
      labels: { severity: 'critical', component: LOGS_COMPONENT },
      annotations: {
        summary: 'Elasticsearch cluster {{ $labels.cluster }} is red',
        description:
          'Elasticsearch cluster {{ $labels.cluster }} has been red for 5m: at least one primary shard is unassigned, so some indices reject writes and searches miss data. ' +
          'What to do: GET _cluster/allocation/explain names the shard and why it is unassigned (a lost node, a full disk, a failed recovery); bring the node back or free disk before forcing an allocation.',
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.esClusterHealth,
      },
    },
    {
      alert: 'ElasticsearchUnassignedShards',
      expr: 'max by (cluster) (elasticsearch_cluster_health_unassigned_shards) > 0',
      for: '30m',
      labels: { severity: 'warning', component: LOGS_COMPONENT },
      annotations: {
        summary: 'Elasticsearch cluster {{ $labels.cluster }} has unassigned shards',
        description:
          'Elasticsearch cluster {{ $labels.cluster }} has had {{ $value }} unassigned shards for 30m (yellow when they are replicas): a lost node now loses data. ' +
          'What to do: GET _cluster/allocation/explain; with a single data node, replicas can never be assigned: set the index replicas to 0 or add a node (elastic.nodeSets).',
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.esUnassignedShards,
      },
    },
    {
      alert: 'ElasticsearchDiskLowWatermark',
      expr: `max by (${byNode}) (${used}) > ${ES_DISK_WATERMARKS.low}`,
      for: '15m',
      labels: { severity: 'warning', component: LOGS_COMPONENT },
      annotations: {
        summary: 'Elasticsearch node {{ $labels.name }} is past the low disk watermark',
        description:
          `The data path {{ $labels.mount }} of Elasticsearch node {{ $labels.name }} (cluster {{ $labels.cluster }}) is {{ $value | humanizePercentage }} full, past the low watermark (${pct(ES_DISK_WATERMARKS.low)}): no new shards go to this node. ` +
          'What to do: shorten the index lifecycle (delete phase) or grow the volume (elastic storage size) before the high watermark moves shards away.',
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.esDiskWatermark,
      },
    },
    {
      alert: 'ElasticsearchDiskHighWatermark',
      expr: `max by (${byNode}) (${used}) > ${ES_DISK_WATERMARKS.high}`,
      for: '5m',
      labels: { severity: 'critical', component: LOGS_COMPONENT },
      annotations: {
        summary: 'Elasticsearch node {{ $labels.name }} is past the high disk watermark',
        description:
          `The data path {{ $labels.mount }} of Elasticsearch node {{ $labels.name }} (cluster {{ $labels.cluster }}) is {{ $value | humanizePercentage }} full, past the high watermark (${pct(ES_DISK_WATERMARKS.high)}): Elasticsearch moves shards away, and at 95% (flood stage) it makes the indices read-only and ingestion stops. ` +
          'What to do: delete old indices now (or shorten the lifecycle) and grow the volume; after the flood stage, clear index.blocks.read_only_allow_delete once there is room.',
        runbook_url: SELF_MONITORING_RUNBOOK_URLS.esDiskWatermark,
      },
    },
  ];
}

/** The PrometheusRule object for the stack's custom-resource chart. */
export function renderStackPrometheusRule(props: StackRulesProps): KubeManifest {
  return renderPrometheusRule(STACK_RULES_NAME, renderStackRuleGroups(props), props.common);
}
