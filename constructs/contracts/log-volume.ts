/**
 * Log volume control and static fields, shared by both pipelines (issue 18 items 2 and 5). Pure
 * data and checks: no cdktf, no zod. The collectors' renderers (Alloy, Promtail), Loki's limits
 * and the Logstash filter all read these settings, so the agent, the server and the Elastic path
 * agree.
 *
 * Volume control acts on what is STORED, after the log-derived metrics: every line still counts
 * in `mlobs_log_events_total`, the step-time histogram and the training gauges; only the copy in
 * Loki or Elasticsearch is dropped.
 *
 * - `dropLevels`: lines whose catalog level is listed are not stored (only `debug` and `info` can
 *   be listed: warnings and errors are what people and alerts read).
 * - `progressInterval`: progress-bar REDRAWS (a tqdm bar, a Keras bar with `ETA:`, on a
 *   `train_progress` line) are kept at most once per stream (namespace/pod/container) per
 *   interval; a bar's final `100%` line is always kept. Other `train_progress` lines (a Trainer
 *   loss dict, a Megatron iteration line) are history, never sampled.
 * - `perStream`: a token bucket per stream (namespace/pod/container) on the collector, so that one
 *   runaway job cannot take the node's whole push budget; lines over it are dropped and counted.
 * - Loki's limits are derived from the same numbers (see {@link lokiIngestionLimits}).
 */
import { FIELD_NAMES, LEVELS, type Level } from '../mllogs/schema';
import { EXTERNAL_LABELS, LOKI_LABEL_ALLOWLIST, STRUCTURED_METADATA_FIELDS } from '../loki/labels';
import { durationToMs } from '../../config/quantity';
import { DNS_1123_LABEL } from '../core/common';

/** Levels an environment may drop: never warning, error or critical (alerts and people read them). */
export const DROPPABLE_LEVELS = ['debug', 'info'] as const satisfies readonly Level[];
export type DroppableLevel = (typeof DROPPABLE_LEVELS)[number];

export interface PerStreamLimit {
  /** Lines per second a stream (namespace/pod/container) may send, sustained. */
  readonly linesPerSecond: number;
  /** Lines a stream may send at once above the rate (the token bucket's size). */
  readonly burstLines: number;
}

export interface LokiTenantLimits {
  /** limits_config.ingestion_rate_mb: the tenant's sustained push rate, MiB/s. */
  readonly ingestionRateMB: number;
  /** limits_config.ingestion_burst_size_mb: the tenant's burst, MiB. */
  readonly ingestionBurstSizeMB: number;
}

/** What an environment's `logs.volume` says, every default applied. */
export interface LogVolumeSettings {
  /** Catalog levels not stored. */
  readonly dropLevels: readonly DroppableLevel[];
  /** A progress-bar redraw is kept at most once per stream per this duration (e.g. `30s`); never zero. */
  readonly progressInterval: string;
  readonly perStream: PerStreamLimit;
  readonly loki: LokiTenantLimits;
}

/**
 * Defaults: nothing is dropped by level (a missing DEBUG line in a dev cluster costs an afternoon;
 * prod files opt in with `dropLevels: [debug]`), one redraw per 30 s (a bar stays readable, its
 * redraws cost almost nothing), 200 lines/s per container with a 2000-line burst (a chatty job at
 * full tilt logs tens of lines per second; a runaway loop logs thousands), and tenant limits with
 * room for many such streams.
 */
export const DEFAULT_LOG_VOLUME = {
  dropLevels: [],
  progressInterval: '30s',
  perStream: { linesPerSecond: 200, burstLines: 2000 },
  loki: { ingestionRateMB: 32, ingestionBurstSizeMB: 64 },
} as const satisfies LogVolumeSettings;

/** The longest sampling interval (a bar seen less than hourly is no longer a progress view). */
export const MAX_PROGRESS_INTERVAL = '1h';
/** The highest per-stream rate (lines/s): above it, the limit protects nothing. */
export const MAX_LINES_PER_SECOND = 100_000;

/**
 * The bytes one line may take at most, for the agent/server agreement: the container runtime
 * splits longer writes into 16 KiB partial lines (containerd, CRI-O), so a stream under the
 * collector's line limit sends at most lines/s x 16 KiB.
 */
export const MAX_LINE_BYTES = 16 * 1024;

/** Drop reasons on `loki_process_dropped_lines_total{reason}` (Alloy) / `logentry_dropped_lines_total{reason}` (Promtail). */
export const DROP_REASONS = {
  level: (l: DroppableLevel) => `mlobs_level_${l}`,
  /** stage.limit always counts under this reason (limit.go); the per-label counter tells the two limits apart. */
  rateLimit: 'ratelimit_drop_stage',
} as const;

/**
 * The Elastic pipeline's count of lines Logstash did not store (its volume filter marks them, the
 * Elasticsearch output skips them), through the statsd sidecar: `reason` is the mark
 * (`level_<level>`, `progress`), `namespace` and `job` say whose lines. The Loki collectors count
 * their drops in their own `*_dropped_lines_total` series.
 */
export const NOT_STORED_METRIC = 'mlobs_log_lines_not_stored_total';
export const NOT_STORED_LABELS = ['reason', 'namespace', 'job'] as const;

/** Temporary labels the limit stages key their buckets by (label_name of `*_dropped_lines_by_label_total`); dropped before the push. */
export const LIMIT_LABELS = {
  /** The progress-bar sampler's bucket: one per stream. */
  progress: 'mlobs_progress_stream',
  /** The per-stream rate limit's bucket. */
  stream: 'mlobs_stream',
} as const;

/**
 * A progress-bar redraw (RE2 and Oniguruma alike, bounded repetitions): a tqdm bar ending the line
 * (`45%|####  | 12/27 [00:15<00:02, 1.66it/s]`, also without the bar: `100% 2/2 [...]`) or a
 * Keras 2 bar still counting down (`13184/60000 [=====>....] - ETA: 3s`).
 */
export const PROGRESS_REDRAW_PATTERN =
  '\\d{1,3}%(?:\\|[^|]{0,200}\\|| ) {0,8}[0-9.]{1,12}[kMGT]?/[0-9.]{1,12}[kMGT]? \\[[^\\]]{0,400}\\]\\s{0,8}$|^\\s{0,8}\\d{1,12}/\\d{1,12} \\[[=>.]{0,200}\\] - ETA: ';
/** A bar's final state: the tqdm line at 100% (Keras' final line carries no `ETA:`, so it is no redraw). */
export const PROGRESS_FINAL_PATTERN = '(?:^|[^0-9.])100%';

/** The per-stream key template (Go template over the extracted map, which the agents seed with the entry's labels). */
export const STREAM_KEY_TEMPLATE = '{{ .namespace }}/{{ .pod }}/{{ .container }}';

export interface LogVolumeProblem {
  /** Path below `logs.volume`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** What is wrong with volume settings (empty when nothing is). */
export function logVolumeProblems(v: LogVolumeSettings): LogVolumeProblem[] {
  const out: LogVolumeProblem[] = [];
  v.dropLevels.forEach((l, i) => {
    if (!(DROPPABLE_LEVELS as readonly string[]).includes(l)) {
      const known = (LEVELS as readonly string[]).includes(l);
      out.push({
        path: ['dropLevels', i],
        message: known
          ? `"${l}" lines are never dropped (alerts and people read them); droppable levels: ${DROPPABLE_LEVELS.join(', ')}`
          : `"${l}" is not a level of the catalog (${LEVELS.join(', ')}); droppable levels: ${DROPPABLE_LEVELS.join(', ')}`,
      });
    }
  });
  if (new Set(v.dropLevels).size !== v.dropLevels.length) out.push({ path: ['dropLevels'], message: 'lists a level twice' });
  const ms = /^(?:[0-9]+(?:ms|s|m|h|d|w|y))+$/.test(v.progressInterval) ? durationToMs(v.progressInterval) : NaN;
  if (Number.isNaN(ms)) out.push({ path: ['progressInterval'], message: `"${v.progressInterval}" is not a duration (like 30s, 1m)` });
  else if (ms < 1000) out.push({ path: ['progressInterval'], message: `"${v.progressInterval}" is ${ms === 0 ? 'zero' : 'under a second'}: at least 1s (one redraw per stream per interval is kept; to keep every redraw, a long interval is not the way either: set e.g. 1s)` });
  else if (ms > durationToMs(MAX_PROGRESS_INTERVAL)) out.push({ path: ['progressInterval'], message: `"${v.progressInterval}" is longer than ${MAX_PROGRESS_INTERVAL}` });
  const r = v.perStream.linesPerSecond;
  if (!Number.isFinite(r) || r <= 0) out.push({ path: ['perStream', 'linesPerSecond'], message: `${r} must be a positive number of lines per second (e.g. ${DEFAULT_LOG_VOLUME.perStream.linesPerSecond})` });
  else if (r > MAX_LINES_PER_SECOND) out.push({ path: ['perStream', 'linesPerSecond'], message: `${r} is over ${MAX_LINES_PER_SECOND} lines per second` });
  const b = v.perStream.burstLines;
  if (!Number.isInteger(b) || b < 1) out.push({ path: ['perStream', 'burstLines'], message: `${b} must be a whole number of lines, at least 1` });
  else if (Number.isFinite(r) && r > 0 && b < r) out.push({ path: ['perStream', 'burstLines'], message: `${b} is smaller than linesPerSecond ${r}: a stream could never send one second's worth at once; use at least ${Math.ceil(r)}` });
  for (const k of ['ingestionRateMB', 'ingestionBurstSizeMB'] as const) {
    const n = v.loki[k];
    if (!Number.isFinite(n) || n <= 0) out.push({ path: ['loki', k], message: `${n} must be a positive number of MiB` });
  }
  if (out.length === 0) {
    const per = lokiIngestionLimits(v);
    if (v.loki.ingestionRateMB < per.perStreamRateMiB) {
      out.push({
        path: ['loki', 'ingestionRateMB'],
        message: `${v.loki.ingestionRateMB} MiB/s is less than one stream may send (perStream.linesPerSecond ${r} x ${MAX_LINE_BYTES / 1024} KiB = ${per.perStreamRateMiB} MiB/s): Loki would refuse a single stream the collector lets through; raise it or lower perStream.linesPerSecond`,
      });
    }
    if (v.loki.ingestionBurstSizeMB < per.perStreamBurstMiB) {
      out.push({
        path: ['loki', 'ingestionBurstSizeMB'],
        message: `${v.loki.ingestionBurstSizeMB} MiB is less than one stream's burst (perStream.burstLines ${b} x ${MAX_LINE_BYTES / 1024} KiB = ${per.perStreamBurstMiB} MiB); raise it or lower perStream.burstLines`,
      });
    }
    if (v.loki.ingestionBurstSizeMB < v.loki.ingestionRateMB) {
      out.push({ path: ['loki', 'ingestionBurstSizeMB'], message: `${v.loki.ingestionBurstSizeMB} MiB is smaller than ingestionRateMB ${v.loki.ingestionRateMB}: the burst must hold at least one second at the rate` });
    }
  }
  return out;
}

/** Throws with every problem, naming where the settings came from. */
export function checkLogVolume(v: LogVolumeSettings, where: string): LogVolumeSettings {
  const p = logVolumeProblems(v);
  if (p.length > 0) throw new Error(`${where}: ${p.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
  return v;
}

/** Loki's `limits_config` entries for these settings (MiB is Loki's MB: 2^20 bytes). */
export interface LokiIngestionLimits {
  readonly ingestionRateMB: number;
  readonly ingestionBurstSizeMB: number;
  /** per_stream_rate_limit, as Loki reads a byte size. */
  readonly perStreamRateLimit: string;
  readonly perStreamRateLimitBurst: string;
  readonly perStreamRateMiB: number;
  readonly perStreamBurstMiB: number;
}

/**
 * The server's limits from the agent's: a Loki stream (one label set) is part of one collector
 * stream (a container's lines spread over several level/event streams), so Loki's per-stream
 * limits are the collector's line limits at {@link MAX_LINE_BYTES} a line: whatever the collector
 * lets through, Loki accepts; the tenant limits must hold at least one such stream.
 */
export function lokiIngestionLimits(v: LogVolumeSettings): LokiIngestionLimits {
  const kib = (lines: number): number => Math.ceil(lines * (MAX_LINE_BYTES / 1024));
  const rate = kib(v.perStream.linesPerSecond);
  const burst = kib(v.perStream.burstLines);
  return {
    ingestionRateMB: v.loki.ingestionRateMB,
    ingestionBurstSizeMB: v.loki.ingestionBurstSizeMB,
    perStreamRateLimit: `${rate}KiB`,
    perStreamRateLimitBurst: `${burst}KiB`,
    perStreamRateMiB: rate / 1024,
    perStreamBurstMiB: burst / 1024,
  };
}

/** Seconds in a duration (the sampler's interval in Logstash). */
export function durationSeconds(d: string): number {
  return durationToMs(d) / 1000;
}

/** The progress sampler's rate: one line per interval (tokens per second of stage.limit). */
export function progressRate(v: LogVolumeSettings): number {
  return 1000 / durationToMs(v.progressInterval);
}

// ---------------------------------------------------------------- static fields

/** Fixed fields every line of an environment (or of a namespace) carries: Loki structured metadata, Elasticsearch `labels.<name>`. */
export interface StaticFields {
  /** name -> value on every line. */
  readonly fields: Readonly<Record<string, string>>;
  /** namespace -> (name -> value) on the lines of that namespace's pods; wins over {@link fields}. */
  readonly namespaces: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export const NO_STATIC_FIELDS: StaticFields = { fields: {}, namespaces: {} };

/** At most this many distinct names (each is a mapped field in every index and metadata on every line). */
export const MAX_STATIC_FIELDS = 8;
/** At most this many namespaces with fields of their own (each is one gate per line). */
export const MAX_STATIC_FIELD_NAMESPACES = 64;
export const STATIC_FIELD_NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** A value: a plain identifier-like string, safe in River, YAML, Go templates and Logstash config as written. */
export const STATIC_FIELD_VALUE = /^[A-Za-z0-9][A-Za-z0-9 ._:/@+-]{0,127}$/;
/** Where Elasticsearch keeps them (ECS `labels`: keyword key/value pairs). */
export const STATIC_FIELDS_OBJECT = 'labels';

export interface StaticFieldProblem {
  /** Path below `logs.staticFields`. */
  readonly path: readonly string[];
  readonly message: string;
}

/** Every distinct name, environment's first. */
export function staticFieldNames(s: StaticFields): string[] {
  return [...new Set([...Object.keys(s.fields), ...Object.values(s.namespaces).flatMap((f) => Object.keys(f))])];
}

/**
 * What is wrong with static fields (empty when nothing is). `jsonFields` are the environment's
 * team JSON fields (a static field of the same name would overwrite the line's own value).
 */
export function staticFieldProblems(s: StaticFields, jsonFields: readonly string[] = []): StaticFieldProblem[] {
  const out: StaticFieldProblem[] = [];
  const reserved = new Map<string, string>([
    // later entries name the more telling reason
    ...Object.values(LIMIT_LABELS).map((n): [string, string] => [n, 'a key of the volume stages']),
    ...jsonFields.map((n): [string, string] => [n, 'a team JSON field (logs.jsonFields)']),
    ...STRUCTURED_METADATA_FIELDS.map((n): [string, string] => [n, 'structured metadata the catalog writes']),
    ...FIELD_NAMES.map((n): [string, string] => [n, 'a field of the ML log catalog']),
    ...[...LOKI_LABEL_ALLOWLIST, ...EXTERNAL_LABELS].map((n): [string, string] => [n, 'a Loki label']),
  ]);
  const checkSet = (fields: Readonly<Record<string, string>>, at: readonly string[]): void => {
    for (const [n, v] of Object.entries(fields)) {
      if (!STATIC_FIELD_NAME.test(n)) out.push({ path: [...at, n], message: 'is not a field name; use lowercase letters, digits and "_", starting with a letter (at most 63)' });
      else if (reserved.has(n)) out.push({ path: [...at, n], message: `is ${reserved.get(n)} already; choose another name (e.g. ${n}_name)` });
      else if (n.startsWith('mlobs')) out.push({ path: [...at, n], message: 'starts with "mlobs", which the pipelines use for their own keys' });
      if (typeof v !== 'string' || !STATIC_FIELD_VALUE.test(v)) {
        out.push({ path: [...at, n], message: `value ${JSON.stringify(v)} must be 1-128 characters of letters, digits, space and ._:/@+- starting with a letter or digit` });
      }
    }
  };
  checkSet(s.fields, ['fields']);
  const namespaces = Object.keys(s.namespaces);
  if (namespaces.length > MAX_STATIC_FIELD_NAMESPACES) out.push({ path: ['namespaces'], message: `lists ${namespaces.length} namespaces; at most ${MAX_STATIC_FIELD_NAMESPACES}` });
  for (const ns of namespaces) {
    if (!DNS_1123_LABEL.test(ns)) out.push({ path: ['namespaces', ns], message: 'is not a namespace name (a DNS label)' });
    checkSet(s.namespaces[ns] ?? {}, ['namespaces', ns]);
  }
  const names = staticFieldNames(s);
  if (names.length > MAX_STATIC_FIELDS) out.push({ path: [], message: `names ${names.length} distinct fields (${names.join(', ')}); at most ${MAX_STATIC_FIELDS} (each is metadata on every line and a mapped field in every index)` });
  return out;
}

/** Throws with every problem, naming where the fields came from. */
export function checkStaticFields(s: StaticFields, where: string, jsonFields: readonly string[] = []): StaticFields {
  const p = staticFieldProblems(s, jsonFields);
  if (p.length > 0) throw new Error(`${where}: ${p.map((x) => `${x.path.join('.')}${x.path.length > 0 ? ' ' : ''}${x.message}`).join('; ')}`);
  return s;
}
