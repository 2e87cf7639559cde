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
