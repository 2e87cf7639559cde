/**
 * How Logstash watches itself, shared by the Elastic pipeline (which produces the series through
 * its statsd sidecar) and the stack's self-monitoring rules (which read them). Pure data.
 *
 * There is no Logstash exporter here (Logstash keeps its own counters in its monitoring API), so
 * the pipeline counts two things itself: heartbeat events from its `heartbeat` input that went
 * through every filter and output (a pipeline that stopped moving stops counting), and events a
 * filter failed on, by failure tag.
 */

/** Heartbeats that went through the whole pipeline (counter). */
export const LOGSTASH_HEARTBEAT_METRIC = 'mlobs_logstash_heartbeats_total';
/** Events a filter failed on (counter), label `tag`. */
export const LOGSTASH_FILTER_FAILURES_METRIC = 'mlobs_logstash_filter_failures_total';
/** How often the heartbeat input emits, in seconds. */
export const LOGSTASH_HEARTBEAT_INTERVAL_SECONDS = 30;
/**
 * Failure tags the pipeline's filters can set: a Ruby filter's exception (the ruby filter's default
 * `tag_on_exception`: a bug in a generated filter), and the catalog's JSON and timestamp failures
 * (their `tag_on_failure`: lines that only look like JSON or carry an unreadable time).
 */
export const LOGSTASH_FAILURE_TAGS = ['_rubyexception', '_mlobs_json_failure', '_mlobs_timestamp_failure'] as const;
/** The failure tag that means a generated filter is broken (alerted; the others are data, only counted). */
export const LOGSTASH_EXCEPTION_TAG = '_rubyexception';
/** The PodMonitor of the sidecar is `<logstash name><suffix>` (its scrape job `<namespace>/<name>`). */
export const LOGSTASH_METRICS_MONITOR_SUFFIX = '-ls-event-metrics';

/**
 * Filebeat watching itself through the same path. Filebeat logs its own counters every 30s
 * (libbeat/monitoring/report/log: "Non-zero metrics in the last 30s", counters as deltas under
 * `monitoring.metrics`, read in elastic/beats), as JSON on stderr; its own container log is one of
 * the files it ships, so the Logstash pipeline reads those lines like any other and counts them:
 * one report per line (a node whose Filebeat stops reporting cannot ship), and the output's
 * acked, failed and dropped events.
 */
export const FILEBEAT_REPORTS_METRIC = 'mlobs_filebeat_reports_total';
/** Filebeat's output events (counter), labels `node` and `result` (acked, failed, dropped). */
export const FILEBEAT_OUTPUT_EVENTS_METRIC = 'mlobs_filebeat_output_events_total';
/** The `result` values, as Filebeat names its counters under `libbeat.output.events`. */
export const FILEBEAT_OUTPUT_RESULTS = ['acked', 'failed', 'dropped'] as const;
/** The report's field path in the decoded line (`monitoring.metrics.libbeat.output.events.<result>`). */
export const FILEBEAT_REPORT_PATH = ['monitoring', 'metrics', 'libbeat', 'output', 'events'] as const;
/** How often Filebeat logs its counters (libbeat's `logging.metrics.period` default). */
export const FILEBEAT_REPORT_PERIOD_SECONDS = 30;
/** ECK names a Beat's DaemonSet `<beat>-beat-<type>` (what kube-state-metrics' `created_by_name` shows). */
export const FILEBEAT_DAEMONSET_SUFFIX = '-beat-filebeat';

/**
 * Lines Filebeat's per-stream `rate_limit` processors dropped (counter), label `node`: the report
 * carries each processor instance's `processor.rate_limit.<n>.dropped` (a registry of libbeat's
 * default registry, which the log reporter snapshots in Full mode: its `DoNotReport` option only
 * keeps it out of the Reported mode; read in elastic/beats libbeat/monitoring and
 * libbeat/processors/ratelimit), summed over the instances.
 */
export const FILEBEAT_RATE_LIMITED_METRIC = 'mlobs_filebeat_rate_limited_lines_total';
/** Where the rate-limit processors' counters sit in the report (`monitoring.metrics.processor.rate_limit.<n>.dropped`). */
export const FILEBEAT_RATE_LIMIT_PATH = ['monitoring', 'metrics', 'processor', 'rate_limit'] as const;
