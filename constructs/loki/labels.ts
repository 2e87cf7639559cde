/**
 * The Loki label allowlist and the log-derived metrics contract, shared by every collector.
 * Pure data and checks: no cdktf import.
 *
 * Labels index streams: each new value is a new stream. Only bounded values may be labels;
 * everything else the catalog extracts (step, loss, rank, gpu, xid, ...) is structured
 * metadata or stays in the line.
 */
import { LOKI_OUTPUT_FIELDS } from '../mllogs';
import {
  LOG_EVENTS_LABELS,
  LOG_EVENTS_METRIC,
  TRAIN_STEP_SECONDS_BUCKETS,
  TRAIN_STEP_SECONDS_LABELS,
  TRAIN_STEP_SECONDS_METRIC,
  TRAINING_EVENTS,
  TRAIN_GAUGES,
  TRAIN_GAUGE_LABELS,
  ERROR_LINES_METRIC,
  ERROR_LINES_LABELS,
} from '../contracts/log-metrics';

/** Labels a Loki stream may carry. Collectors drop every other label before writing. */
export const LOKI_LABEL_ALLOWLIST = ['namespace', 'pod', 'container', 'app', 'node', 'job', 'framework', 'level', 'event'] as const;
export type LokiLabel = (typeof LOKI_LABEL_ALLOWLIST)[number];

/** Catalog fields promoted to labels (bounded by the catalog's enums). */
export const CATALOG_LABELS = ['framework', 'level', 'event'] as const satisfies readonly LokiLabel[];
export type CatalogLabel = (typeof CATALOG_LABELS)[number];

/** Constant label added by the writer (not per stream). */
export const EXTERNAL_LABELS = ['cluster'] as const;

/**
 * Catalog fields kept as structured metadata (queryable with `| step > 100`, not indexed).
 * `message` and `timestamp` stay in the line / entry time.
 */
export const STRUCTURED_METADATA_FIELDS: readonly string[] = LOKI_OUTPUT_FIELDS.filter(
  (f) => !(CATALOG_LABELS as readonly string[]).includes(f) && f !== 'message' && f !== 'timestamp',
);

/** Fields that must never be labels: one stream per value (step, loss, rank, gpu, pid, message...). */
export const HIGH_CARDINALITY_FIELDS: readonly string[] = [...STRUCTURED_METADATA_FIELDS, 'message', 'timestamp', 'filename'];

/**
 * Log-derived metrics, named by the training contract (constructs/training/log-metrics-contract.ts):
 * never spelled here again.
 */
export const LOG_METRICS = {
  /** Counter of catalog events. */
  eventsTotal: LOG_EVENTS_METRIC,
  /** Histogram of the training step time in seconds. */
  trainStepSeconds: TRAIN_STEP_SECONDS_METRIC,
  /** Counter of error-level lines. */
  errorLines: ERROR_LINES_METRIC,
} as const;

/** The training gauges (last loss, learning rate, grad norm, step, throughput) the agents set. */
export { TRAIN_GAUGES };

/** Buckets of {@link LOG_METRICS.trainStepSeconds}, in seconds (the contract's). */
export const TRAIN_STEP_BUCKETS: readonly number[] = TRAIN_STEP_SECONDS_BUCKETS;

/** The catalog event whose lines carry the step time. */
export const TRAIN_PROGRESS_EVENT = TRAINING_EVENTS.progress;

/** Whether the contract's series carry `node` (then collectors label pod streams with their node too). */
export const CONTRACT_HAS_NODE_LABEL: boolean = (LOG_EVENTS_LABELS as readonly string[]).includes('node');

/** Labels the contract's metrics carry that a stream must have (the metrics stage reads stream labels). */
export const CONTRACT_LABELS: readonly string[] = [...new Set<string>([...LOG_EVENTS_LABELS, ...TRAIN_STEP_SECONDS_LABELS, ...TRAIN_GAUGE_LABELS, ...ERROR_LINES_LABELS])];

/**
 * Checks the catalog fields a collector is asked to promote to labels: each must be in
 * {@link LOKI_LABEL_ALLOWLIST} and be a catalog label. Throws (with what to write instead) on a
 * high-cardinality field such as `step` or `loss`.
 */
export function checkCatalogLabels(labels: readonly string[], where: string): readonly CatalogLabel[] {
  const allowed = LOKI_LABEL_ALLOWLIST.join(', ');
  for (const l of labels) {
    if (HIGH_CARDINALITY_FIELDS.includes(l)) {
      throw new Error(
        `${where}: "${l}" would become a Loki label, but it is a high-cardinality field (one stream per value); it stays structured metadata, queryable with | ${l} != "". Allowed labels: ${allowed}; please set: catalogLabels: [${CATALOG_LABELS.join(', ')}]`,
      );
    }
    if (!(LOKI_LABEL_ALLOWLIST as readonly string[]).includes(l)) {
      throw new Error(`${where}: "${l}" is not in the Loki label allowlist (${allowed}); please set: catalogLabels: [${CATALOG_LABELS.join(', ')}]`);
    }
    if (!(CATALOG_LABELS as readonly string[]).includes(l)) {
      throw new Error(`${where}: "${l}" is a Loki label but not a catalog field; catalog labels are ${CATALOG_LABELS.join(', ')}`);
    }
  }
  return labels as readonly CatalogLabel[];
}

/** Every contract label must be allowed on streams, or the metrics could not carry it. */
for (const l of CONTRACT_LABELS) {
  if (!(LOKI_LABEL_ALLOWLIST as readonly string[]).includes(l)) {
    throw new Error(`log-metrics contract label "${l}" is not in LOKI_LABEL_ALLOWLIST (constructs/loki/labels.ts); add it there if it is bounded`);
  }
}

/**
 * A contract metric name as the agents' `prefix` + `name`. Alloy (`loki.process`) and Promtail
 * both replace an EMPTY prefix with their own default (`loki_process_custom_`,
 * `promtail_custom_`), so `prefix = ""` would publish `loki_process_custom_mlobs_...`: the name
 * is split at its first `_` instead (`mlobs_` + `log_events_total`).
 */
export function agentMetricName(full: string): { readonly prefix: string; readonly name: string } {
  const at = full.indexOf('_');
  if (at <= 0 || at === full.length - 1) throw new Error(`metric name "${full}" has no "<prefix>_<name>" form; agents need a non-empty prefix`);
  return { prefix: full.slice(0, at + 1), name: full.slice(at + 1) };
}
