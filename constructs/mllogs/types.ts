/**
 * The vocabulary of the catalog: a format is data (a literal prefilter and a pattern
 * template made of typed tokens), compiled to grok for Logstash and to RE2 for
 * Alloy/Promtail, and interpreted by the in-process engine. Nothing here runs a regex.
 */
import type { EventName, FieldName } from './schema';

/** Capture names that are not output fields: they are rewritten into one by a normalization. */
export const RAW_CAPTURES = [
  'ts_mdy',
  'ts_ctime',
  'ts_underscore',
  'ts_ymd_slash',
  'oom_amount',
  'oom_unit',
  'step_time_ms',
  'step_time_us',
  'throughput_unit_raw',
  'json_payload',
] as const;
export type RawCapture = (typeof RAW_CAPTURES)[number];

/** A name a pattern may capture into. */
export type CaptureName = FieldName | RawCapture;

/** The framework family a format belongs to (one catalog file each). */
export type Family =
  | 'pytorch'
  | 'transformers'
  | 'lightning'
  | 'keras'
  | 'tensorflow'
  | 'tensorrt'
  | 'nccl'
  | 'deepspeed'
  | 'kernel'
  | 'json'
  | 'common';

/**
 * A pattern template: regular-expression text in the subset both RE2 and Oniguruma accept
 * (no look-around, no backreferences, no possessive quantifiers; only `(?:`, `(?i:` groups),
 * plus typed tokens `%{TOKEN}` or `%{TOKEN:capture}` from `TOKENS`. Captures are only made
 * through tokens, so grok gets Logstash's pattern names and RE2 gets `(?P<name>...)`.
 */
export type PatternTemplate = string;

/** A line format: the prefix/shape of a whole line. Formats are tried in order; the first match wins. */
export interface LineFormat {
  /** Unique id (snake_case); used in generated config comments and tags. */
  readonly id: string;
  /** Family (file) the format belongs to. */
  readonly family: Family;
  /** One-line description of the lines it recognizes. */
  readonly summary: string;
  /** Literals of which at least one must occur in the line before the pattern is run. */
  readonly prefilter?: readonly string[];
  /**
   * Further literal sets, each a necessary condition like `prefilter` (the line holds a literal of
   * every set): the gates check them all, so a pattern whose words are common alone (`inf` of
   * `INFO`) runs only where they meet. Proven necessary with the rest (test/loki/go-stages.test.ts).
   */
  readonly alsoRequires?: readonly (readonly string[])[];
  /**
   * Regex (RE2/Oniguruma common subset, no captures) that every line the pattern matches matches
   * at its start: a necessary condition, like `prefilter`, checked after it. Lets the collectors
   * skip the pattern with a cheap anchored line filter on lines that cannot match.
   */
  readonly start?: string;
  /** Anchored pattern template (must start with `^`). */
  readonly pattern: PatternTemplate;
  /** Event given when no event rule decides. */
  readonly event?: EventName;
}

/**
 * A field extractor: searched in the whole line after the format; fills only fields that are
 * still empty. Extractors run in catalog order, so an earlier one wins a field.
 */
export interface FieldExtractor {
  readonly id: string;
  readonly family: Family;
  readonly summary: string;
  readonly prefilter?: readonly string[];
  /**
   * Further literal sets, each a necessary condition like `prefilter` (the line holds a literal of
   * every set): the gates check them all, so a pattern whose words are common alone (`inf` of
   * `INFO`) runs only where they meet. Proven necessary with the rest (test/loki/go-stages.test.ts).
   */
  readonly alsoRequires?: readonly (readonly string[])[];
  /**
   * Regex (RE2/Oniguruma common subset, no captures) that every line the pattern matches matches
   * at its start: a necessary condition, like `prefilter`, checked after it. Lets the collectors
   * skip the pattern with a cheap anchored line filter on lines that cannot match.
   */
  readonly start?: string;
  /** Search pattern template (linear: literals and bounded classes, no nested quantifiers). */
  readonly pattern: PatternTemplate;
  /** Event given when no rule decides and no earlier extractor gave one. */
  readonly event?: EventName;
}

/** An event rule: the first rule whose pattern is found in the line decides the event. */
export interface EventRule {
  readonly id: string;
  /** The event, or null: "this line has no event" (stops lower rules and defaults). */
  readonly event: EventName | null;
  /**
   * Literals of which at least one occurs in every line the pattern finds (a necessary condition,
   * so skipping the pattern when none occurs changes nothing); lets the collectors run the rule's
   * regex on the few lines that may match.
   */
  readonly prefilter?: readonly string[];
  /**
   * Further literal sets, each a necessary condition like `prefilter` (the line holds a literal of
   * every set): the gates check them all, so a pattern whose words are common alone (`inf` of
   * `INFO`) runs only where they meet. Proven necessary with the rest (test/loki/go-stages.test.ts).
   */
  readonly alsoRequires?: readonly (readonly string[])[];
  /** Search pattern (plain regex text, no captures). */
  readonly pattern: string;
}

/** Part of a replacement: literal text or a numbered group of the rewrite pattern. */
export type ReplacementPart = string | { readonly group: number };

/** A regex rewrite of one captured value (e.g. `06/12/2020 10:05:38` -> `2020-06-12T10:05:38`). */
export interface Rewrite {
  /** Pattern (RE2/Oniguruma common subset) applied to the value; first match is replaced. */
  readonly pattern: string;
  readonly replacement: readonly ReplacementPart[];
  /**
   * A literal every match of the pattern holds: the collectors' templates run the rewrite only on
   * a value holding it (Alloy's regex functions compile the pattern on every call). Proven
   * necessary by test/loki/go-stages.test.ts.
   */
  readonly requires?: string;
}

/** A timestamp source: a raw capture rewritten to ISO 8601 and copied to `timestamp`. */
export interface TimestampSource {
  readonly capture: 'timestamp' | 'ts_mdy' | 'ts_ctime' | 'ts_underscore' | 'ts_ymd_slash';
  /** Go layout of the written form, for a collector `timestamp` stage. */
  readonly goLayout: string;
  /** Joda pattern of the written form, for the Logstash date filter. */
  readonly jodaPatterns: readonly string[];
  readonly rewrites: readonly Rewrite[];
}

/** Level rule: a value matching `pattern` (case-insensitive, whole value) becomes `level`. */
export interface LevelRule {
  readonly pattern: string;
  readonly level: import('./schema').Level;
}

/** Scale a raw numeric capture into a field (`step_time_ms` / 1000 -> `step_time_s`). */
export interface ScaleRule {
  readonly source: RawCapture;
  readonly target: FieldName;
  readonly divisor: number;
}

/** Bytes from amount + binary unit (`2.00 GiB` -> 2147483648, rounded half-up). */
export interface BytesRule {
  readonly amount: RawCapture;
  readonly unit: RawCapture;
  readonly target: FieldName;
  /** Unit -> multiplier. */
  readonly multipliers: Readonly<Record<string, number>>;
}

/**
 * Rewrites of a captured number written for people (`5,856`, `16.88K`) into plain digits, in
 * place, before the value is read as a number. Anchored regexes applied in order, like timestamp
 * rewrites (so a replace-all and a replace-first give the same result).
 */
export interface NumberRewriteRule {
  readonly field: import('./schema').NumberField;
  readonly rewrites: readonly Rewrite[];
}

/** Map a raw unit capture to a normalized value. */
export interface UnitMapRule {
  readonly source: RawCapture;
  readonly target: FieldName;
  readonly map: Readonly<Record<string, string>>;
}

/** JSON field mapping: the first listed path holding a usable value wins. */
export interface JsonFieldMapping {
  readonly target: FieldName;
  /** Dotted paths into the decoded object. */
  readonly paths: readonly string[];
  /** `string` takes strings, `number` numbers (or numeric strings), `epoch` seconds since 1970 -> ISO Z. */
  readonly kind: 'string' | 'number' | 'epoch';
}

/** The whole catalog: everything the compilers and the engine consume. */
export interface MlLogCatalog {
  readonly formats: readonly LineFormat[];
  readonly extractors: readonly FieldExtractor[];
  readonly eventRules: readonly EventRule[];
  readonly json: readonly JsonFieldMapping[];
  readonly timestampSources: readonly TimestampSource[];
  readonly levelRules: readonly LevelRule[];
  readonly scales: readonly ScaleRule[];
  readonly bytes: readonly BytesRule[];
  readonly numberRewrites: readonly NumberRewriteRule[];
  readonly unitMaps: readonly UnitMapRule[];
}

/** A catalog entry's literal sets, each necessary: its prefilter, then `alsoRequires` (empty sets left out). */
export function prefilterSets(p: { readonly prefilter?: readonly string[]; readonly alsoRequires?: readonly (readonly string[])[] }): readonly (readonly string[])[] {
  return [...(p.prefilter ? [p.prefilter] : []), ...(p.alsoRequires ?? [])].filter((set) => set.length > 0);
}
