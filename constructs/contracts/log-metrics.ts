/**
 * The log-derived metrics contract: the ONE place that names the Prometheus series the log
 * pipelines (Loki ruler / Alloy / Promtail, and the Elastic pipeline's exporter) must produce
 * from the ML log catalog's events, and that the training alerts and dashboards read.
 * Pure data: no cdktf import.
 *
 * 1. `mlobs_log_events_total` (counter): one increment per log line classified with an event.
 *    Labels (all bounded; never step, loss or free text):
 *    - `event`: an EventName of the catalog (constructs/mllogs/schema.ts), e.g. `oom`, `nan_loss`;
 *    - `framework`: the catalog format that matched (pytorch, lightning, kernel...);
 *    - `namespace`, `pod`, `container`: the Kubernetes origin of the line (empty for node logs);
 *    - `node`: the node the line was collected on (needed for kernel/driver lines such as Xid,
 *      which have no pod);
 *    - `job`: the training job of the pod (contracts/jobs.ts: the first of the workload
 *      controllers' pod labels present; absent for pods outside a job).
 * 2. `mlobs_train_step_seconds` (histogram: `_bucket{le}`, `_sum`, `_count`): one observation
 *    per `train_progress` line carrying `step_time_s`, or `1 / throughput` when the line gives
 *    iterations per second (`throughput_unit: it/s`). Labels: `framework`, `namespace`, `pod`,
 *    `container`, `node`, `job`. Buckets: {@link TRAIN_STEP_SECONDS_BUCKETS}.
 */
import type { EventName, FieldName, Level } from '../mllogs/schema';

export const LOG_EVENTS_METRIC = 'mlobs_log_events_total';
export const TRAIN_STEP_SECONDS_METRIC = 'mlobs_train_step_seconds';

/** Labels of {@link LOG_EVENTS_METRIC}, in this order. */
export const LOG_EVENTS_LABELS = ['event', 'framework', 'namespace', 'pod', 'container', 'node', 'job'] as const;
/** Labels of {@link TRAIN_STEP_SECONDS_METRIC} (plus `le` on buckets). */
export const TRAIN_STEP_SECONDS_LABELS = ['framework', 'namespace', 'pod', 'container', 'node', 'job'] as const;

/**
 * Histogram buckets (upper bounds, seconds) of the step time: from fast inference-style steps
 * (50 ms) to slow large-model steps (2 min), roughly doubling, so that a 1.5x regression moves
 * the mass at least one bucket.
 */
export const TRAIN_STEP_SECONDS_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];

/**
 * 3. Training values from `train_progress` lines, as gauges holding the last value logged (the same
 *    names an application that serves `/metrics` itself should use, so dashboards and alerts work
 *    either way). Labels: {@link TRAIN_GAUGE_LABELS}; `mlobs_train_throughput` also `unit` (the
 *    catalog's throughput units: it/s, samples/s, tokens/s, qps).
 */
export const TRAIN_GAUGES = [
  { metric: 'mlobs_train_loss', field: 'loss', help: 'Training loss, the last value logged' },
  { metric: 'mlobs_train_learning_rate', field: 'learning_rate', help: 'Learning rate, the last value logged' },
  { metric: 'mlobs_train_grad_norm', field: 'grad_norm', help: 'Gradient norm, the last value logged' },
  { metric: 'mlobs_train_step', field: 'step', help: 'Training step (iteration), the last value logged' },
  { metric: 'mlobs_train_throughput', field: 'throughput', help: 'Training throughput, the last value logged, in the unit of its unit label' },
] as const satisfies readonly { readonly metric: string; readonly field: FieldName; readonly help: string }[];
export type TrainGaugeMetric = (typeof TRAIN_GAUGES)[number]['metric'];
/** The gauges by short name. */
export const TRAIN_METRICS = {
  loss: 'mlobs_train_loss',
  learningRate: 'mlobs_train_learning_rate',
  gradNorm: 'mlobs_train_grad_norm',
  step: 'mlobs_train_step',
  throughput: 'mlobs_train_throughput',
} as const satisfies Record<string, TrainGaugeMetric>;
/** Labels of the training gauges (the throughput gauge adds {@link THROUGHPUT_UNIT_LABEL}). */
export const TRAIN_GAUGE_LABELS = ['framework', 'namespace', 'pod', 'container', 'node', 'job'] as const;
export const THROUGHPUT_UNIT_LABEL = 'unit';

/**
 * 4. `mlobs_log_error_lines_total` (counter): one increment per line the catalog classes at an
 *    error level ({@link ERROR_LEVELS}), for the error-line-rate alert per job. Labels:
 *    {@link ERROR_LINES_LABELS}.
 */
export const ERROR_LINES_METRIC = 'mlobs_log_error_lines_total';
export const ERROR_LEVELS = ['error', 'critical'] as const satisfies readonly Level[];
export const ERROR_LINES_LABELS = ['framework', 'namespace', 'pod', 'container', 'node', 'job'] as const;

/** The events the training alerts read, typed against the catalog's event names. */
export const TRAINING_EVENTS = {
  oom: 'oom',
  nanLoss: 'nan_loss',
  ncclError: 'nccl_error',
  ncclTimeout: 'nccl_timeout',
  xid: 'xid',
  gpuLost: 'gpu_lost',
  progress: 'train_progress',
} as const satisfies Record<string, EventName>;

/** A selector of {@link LOG_EVENTS_METRIC} for some events, e.g. `mlobs_log_events_total{event=~"oom"}`. */
export function logEvents(...events: readonly EventName[]): string {
  return events.length === 1 ? `${LOG_EVENTS_METRIC}{event="${events[0]}"}` : `${LOG_EVENTS_METRIC}{event=~"${events.join('|')}"}`;
}
