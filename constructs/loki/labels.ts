/**
 * The Loki label allowlist and the log-derived metrics contract, shared by every collector.
 * Pure data.
 *
 * Labels index streams: each new value is a new stream. Only bounded values may be labels;
 * everything else the catalog extracts (step, loss, rank, gpu, xid, ...) is structured
 * metadata or stays in the line.
 */
import { LOKI_OUTPUT_FIELDS } from '../mllogs';

/** Labels a Loki stream may carry. Collectors drop every other label before writing. */
export const LOKI_LABEL_ALLOWLIST = ['namespace', 'pod', 'container', 'app', 'node', 'framework', 'level', 'event'] as const;
export type LokiLabel = (typeof LOKI_LABEL_ALLOWLIST)[number];

/** Catalog fields promoted to labels (bounded by the catalog's enums). */
export const CATALOG_LABELS = ['framework', 'level', 'event'] as const satisfies readonly LokiLabel[];

/** Constant label added by the writer (not per stream). */
export const EXTERNAL_LABELS = ['cluster'] as const;

/**
 * Catalog fields kept as structured metadata (queryable with `| step > 100`, not indexed).
 * `message` and `timestamp` stay in the line / entry time.
 */
export const STRUCTURED_METADATA_FIELDS: readonly string[] = LOKI_OUTPUT_FIELDS.filter(
  (f) => !(CATALOG_LABELS as readonly string[]).includes(f) && f !== 'message' && f !== 'timestamp',
);

/**
 * Log-derived metrics contract (defined by the training issue).
 * NOTE: constructs/training/log-metrics-contract.ts did not exist when this was written; these
 * are the exact names it specifies. Import from it once it lands.
 */
export const LOG_METRICS = {
  /** Counter of catalog events, labelled {event, framework, namespace, pod, container}. */
  eventsTotal: 'mlobs_log_events_total',
  /** Histogram of the training step time in seconds (from the catalog's `step_time_s`). */
  trainStepSeconds: 'mlobs_train_step_seconds',
} as const;

/** Buckets of {@link LOG_METRICS.trainStepSeconds}, in seconds. */
export const TRAIN_STEP_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;
