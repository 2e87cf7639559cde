/**
 * "mlobs / Stack health": is the observability stack itself healthy (scrapes, rule
 * evaluation, TSDB against its retention, firing alerts by severity, notifications), then one row
 * per part it runs: Loki, the log collectors (Alloy or Promtail), certificates, Elasticsearch.
 * Metric names are those of the self-monitoring rules (metrics/stack-rules.ts, where their sources
 * are listed); a part that does not run (or has no exporter yet, Elasticsearch) shows "No data".
 */
import { FILEBEAT_OUTPUT_EVENTS_METRIC, FILEBEAT_RATE_LIMITED_METRIC, FILEBEAT_REPORTS_METRIC, LOGSTASH_FILTER_FAILURES_METRIC, LOGSTASH_HEARTBEAT_METRIC } from '../../contracts/logstash-monitoring';
import { NOT_STORED_METRIC } from '../../contracts/log-volume';
import { promql, stat, timeseries, type DashboardSpec } from '../../contracts/dashboards';

export const STACK_HEALTH_DASHBOARD: DashboardSpec = {
  uid: 'mlobs-stack-health',
  title: 'mlobs / Stack health',
  tags: ['mlobs', 'prometheus', 'alertmanager', 'loki', 'cert-manager', 'elasticsearch'],
  panels: [
    stat({ title: 'Targets down', width: 6, queries: [promql('count(up == 0) or vector(0)')] }),
    stat({ title: 'Critical alerts firing', width: 6, queries: [promql('count(ALERTS{alertstate="firing", severity="critical"}) or vector(0)')] }),
    stat({ title: 'Warning alerts firing', width: 6, queries: [promql('count(ALERTS{alertstate="firing", severity="warning"}) or vector(0)')] }),
    stat({
      title: 'TSDB size',
      width: 6,
      unit: 'bytes',
      queries: [promql('max(prometheus_tsdb_storage_blocks_bytes + prometheus_tsdb_head_chunks_storage_size_bytes + prometheus_tsdb_wal_storage_size_bytes)')],
    }),
    timeseries({ title: 'Samples ingested per second', unit: 'short', queries: [promql('sum by (pod) (rate(prometheus_tsdb_head_samples_appended_total[5m]))', '{{pod}}')] }),
    timeseries({
      title: 'Scrape duration p99 by job',
      unit: 's',
      queries: [promql('max by (job) (scrape_duration_seconds)', '{{job}}')],
    }),
    timeseries({
      title: 'Rule evaluation failures',
      queries: [promql('sum by (rule_group) (rate(prometheus_rule_evaluation_failures_total[5m]))', '{{rule_group}}')],
    }),
    timeseries({
      title: 'Notifications failed by integration',
      queries: [promql('sum by (integration) (rate(alertmanager_notifications_failed_total[5m]))', '{{integration}}')],
    }),
    // Loki: what comes in, what it throws away, how its API answers.
    timeseries({ title: 'Loki: lines received per second', width: 6, queries: [promql('sum by (tenant) (rate(loki_distributor_lines_received_total[5m]))', '{{tenant}}')] }),
    timeseries({ title: 'Loki: discarded lines per second by reason', width: 6, queries: [promql('sum by (reason) (rate(loki_discarded_samples_total[5m]))', '{{reason}}')] }),
    timeseries({
      title: 'Loki: 5xx ratio by route',
      width: 6,
      unit: 'percentunit',
      queries: [promql('sum by (route) (rate(loki_request_duration_seconds_count{status_code=~"5.."}[5m])) / sum by (route) (rate(loki_request_duration_seconds_count[5m]))', '{{route}}')],
    }),
    timeseries({
      title: 'Loki: p99 latency by route',
      width: 6,
      unit: 's',
      queries: [promql('histogram_quantile(0.99, sum by (route, le) (rate(loki_request_duration_seconds_bucket{route!~"(?i).*tail.*|/schedulerpb.SchedulerForQuerier/QuerierLoop"}[5m])))', '{{route}}')],
    }),
    // Collectors: whichever runs (Alloy's loki.write or Promtail) has series.
    timeseries({
      title: 'Collectors: lines sent per second',
      width: 8,
      queries: [promql('sum by (pod) (rate(loki_write_sent_entries_total[5m]))', 'alloy {{pod}}'), promql('sum by (pod) (rate(promtail_sent_entries_total[5m]))', 'promtail {{pod}}')],
    }),
    timeseries({
      title: 'Collectors: lines dropped per second by reason',
      width: 8,
      queries: [promql('sum by (reason) (rate(loki_write_dropped_entries_total[5m]))', 'alloy {{reason}}'), promql('sum by (reason) (rate(promtail_dropped_entries_total[5m]))', 'promtail {{reason}}')],
    }),
    timeseries({
      title: 'Collectors: failed push ratio',
      width: 8,
      unit: 'percentunit',
      queries: [
        promql('sum by (pod) (rate(loki_write_request_duration_seconds_count{status_code!~"2.."}[5m])) / sum by (pod) (rate(loki_write_request_duration_seconds_count[5m]))', 'alloy {{pod}}'),
        promql('sum by (pod) (rate(promtail_request_duration_seconds_count{status_code!~"2.."}[5m])) / sum by (pod) (rate(promtail_request_duration_seconds_count[5m]))', 'promtail {{pod}}'),
      ],
    }),
    // Certificates issued by the cert-manager the stack installs.
    stat({ title: 'Certificates: fewest days left', width: 6, unit: 'd', queries: [promql('min((certmanager_certificate_expiration_timestamp_seconds - time()) / 86400)')] }),
    stat({ title: 'Certificates not ready', width: 6, queries: [promql('count(certmanager_certificate_ready_status{condition!="True"} == 1)')] }),
    timeseries({
      title: 'Certificates: days left',
      unit: 'd',
      queries: [promql('min by (namespace, name) ((certmanager_certificate_expiration_timestamp_seconds - time()) / 86400)', '{{namespace}}/{{name}}')],
    }),
    // Elasticsearch: needs an elasticsearch_exporter scraped (none is deployed yet).
    stat({ title: 'Elasticsearch: clusters red', width: 6, queries: [promql('count(elasticsearch_cluster_health_status{color="red"} == 1)')] }),
    stat({ title: 'Elasticsearch: unassigned shards', width: 6, queries: [promql('sum(elasticsearch_cluster_health_unassigned_shards)')] }),
    timeseries({
      title: 'Elasticsearch: disk used by node',
      unit: 'percentunit',
      queries: [promql('max by (name) (1 - elasticsearch_filesystem_data_available_bytes / elasticsearch_filesystem_data_size_bytes)', '{{name}}')],
    }),
    // Logstash: the counters its pipeline writes itself (contracts/logstash-monitoring.ts).
    timeseries({
      title: 'Logstash: heartbeats through the pipeline per minute',
      width: 8,
      queries: [promql(`sum by (pod) (rate(${LOGSTASH_HEARTBEAT_METRIC}[5m])) * 60`, '{{pod}}')],
    }),
    timeseries({
      title: 'Logstash: filter failures per second by tag',
      width: 8,
      queries: [promql(`sum by (tag) (rate(${LOGSTASH_FILTER_FAILURES_METRIC}[5m]))`, '{{tag}}')],
    }),
    timeseries({
      title: 'Logstash: lines not stored per second by reason',
      width: 8,
      queries: [promql(`sum by (reason) (rate(${NOT_STORED_METRIC}[5m]))`, '{{reason}}')],
    }),
    // Filebeat: the counters it logs about itself, counted by Logstash.
    timeseries({
      title: 'Filebeat: reports per minute by node',
      width: 12,
      queries: [promql(`sum by (node) (rate(${FILEBEAT_REPORTS_METRIC}[5m])) * 60`, '{{node}}')],
    }),
    timeseries({
      title: 'Filebeat: output events per second by result',
      width: 12,
      queries: [promql(`sum by (result) (rate(${FILEBEAT_OUTPUT_EVENTS_METRIC}[5m]))`, '{{result}}'), promql(`sum(rate(${FILEBEAT_RATE_LIMITED_METRIC}[5m]))`, 'rate-limited (per-stream limit)')],
    }),
  ],
};

/** Every dashboard this component ships. */
export const METRICS_DASHBOARDS: readonly DashboardSpec[] = [STACK_HEALTH_DASHBOARD];
