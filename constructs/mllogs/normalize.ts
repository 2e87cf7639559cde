/**
 * Declarative normalizations, shared by every compiler and by the test engine: timestamp
 * rewrites, the level map, unit conversions. They are data; `engine.ts` interprets them and
 * the compilers translate them to Logstash filters and Alloy/Promtail stages.
 */
import type { BytesRule, LevelRule, Rewrite, ScaleRule, TimestampSource, UnitMapRule } from './types';

/** `2024-02-22 19:20:22,163` -> `2024-02-22T19:20:22.163` (zone kept as written). */
const ISO_REWRITES: readonly Rewrite[] = [
  { pattern: '^(\\d{4}-\\d{2}-\\d{2}) ', replacement: [{ group: 1 }, 'T'] },
  { pattern: '^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}),', replacement: [{ group: 1 }, '.'] },
];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Mon Jul 25 16:46:04 2022` -> `2022-07-25T16:46:04`; one rule per month and day width. */
const CTIME_REWRITES: readonly Rewrite[] = MONTHS.flatMap((m, i) => {
  const mm = String(i + 1).padStart(2, '0');
  return [
    { pattern: `^[A-Z][a-z]{2} ${m} +(\\d{2}) (\\d{2}:\\d{2}:\\d{2}) (\\d{4})$`, replacement: [{ group: 3 }, `-${mm}-`, { group: 1 }, 'T', { group: 2 }] },
    { pattern: `^[A-Z][a-z]{2} ${m} +(\\d) (\\d{2}:\\d{2}:\\d{2}) (\\d{4})$`, replacement: [{ group: 3 }, `-${mm}-0`, { group: 1 }, 'T', { group: 2 }] },
  ];
});

export const TIMESTAMP_SOURCES: readonly TimestampSource[] = [
  {
    capture: 'timestamp',
    goLayout: '2006-01-02T15:04:05.999999999Z07:00',
    jodaPatterns: ['ISO8601', 'yyyy-MM-dd HH:mm:ss,SSS', 'yyyy-MM-dd HH:mm:ss.SSSSSS', 'yyyy-MM-dd HH:mm:ss'],
    rewrites: ISO_REWRITES,
  },
  {
    capture: 'ts_mdy',
    goLayout: '01/02/2006-15:04:05',
    jodaPatterns: ['MM/dd/yyyy-HH:mm:ss', 'MM/dd/yyyy HH:mm:ss'],
    rewrites: [
      { pattern: '^(\\d{1,2})[/-](\\d{1,2})[/-](\\d{4})[- ]', replacement: [{ group: 3 }, '-', { group: 1 }, '-', { group: 2 }, 'T'] },
      ...ISO_REWRITES.slice(1),
    ],
  },
  {
    capture: 'ts_underscore',
    goLayout: '2006-01-02_15:04:05',
    jodaPatterns: ['yyyy-MM-dd_HH:mm:ss'],
    rewrites: [{ pattern: '^(\\d{4}-\\d{2}-\\d{2})_', replacement: [{ group: 1 }, 'T'] }],
  },
  {
    capture: 'ts_ymd_slash',
    goLayout: '2006/01/02 15:04:05',
    jodaPatterns: ['yyyy/MM/dd HH:mm:ss'],
    rewrites: [{ pattern: '^(\\d{4})/(\\d{2})/(\\d{2}) ', replacement: [{ group: 1 }, '-', { group: 2 }, '-', { group: 3 }, 'T'] }, ...ISO_REWRITES.slice(1)],
  },
  {
    capture: 'ts_ctime',
    goLayout: 'Mon Jan _2 15:04:05 2006',
    jodaPatterns: ['EEE MMM dd HH:mm:ss yyyy', 'EEE MMM  d HH:mm:ss yyyy'],
    rewrites: CTIME_REWRITES,
  },
];

/** Level words and letters -> normalized level (whole value, case-insensitive, first rule wins). */
export const LEVEL_RULES: readonly LevelRule[] = [
  { pattern: 'v|d|debug|trace|verbose', level: 'debug' },
  { pattern: 'i|info|information|notice', level: 'info' },
  { pattern: 'w|warn|warning|\\w+warning', level: 'warning' },
  { pattern: 'e|err|erro|error|severe', level: 'error' },
  { pattern: 'f|fatal|crit|critical|panic|alert|emerg|emergency', level: 'critical' },
];

export const SCALE_RULES: readonly ScaleRule[] = [
  { source: 'step_time_ms', target: 'step_time_s', divisor: 1000 },
  { source: 'step_time_us', target: 'step_time_s', divisor: 1000000 },
];

export const BYTES_RULES: readonly BytesRule[] = [
  {
    amount: 'oom_amount',
    unit: 'oom_unit',
    target: 'oom_requested_bytes',
    multipliers: { B: 1, KiB: 1024, KB: 1024, MiB: 1048576, MB: 1048576, GiB: 1073741824, GB: 1073741824, TiB: 1099511627776, TB: 1099511627776 },
  },
];

export const UNIT_MAPS: readonly UnitMapRule[] = [
  {
    source: 'throughput_unit_raw',
    target: 'throughput_unit',
    map: { 'it/s': 'it/s', 'iter/s': 'it/s', 'samples/s': 'samples/s', 'samples/sec': 'samples/s', SamplesPerSec: 'samples/s', qps: 'qps' },
  },
];

/** Renders a replacement for Go (`${1}`), Ruby gsub (`\1`) or in-process use. */
export function renderReplacement(parts: Rewrite['replacement'], dialect: 'go' | 'ruby'): string {
  return parts
    .map((p) => (typeof p === 'string' ? (dialect === 'go' ? p.replace(/\$/g, '$$$$') : p.replace(/\\/g, '\\\\')) : dialect === 'go' ? `\${${p.group}}` : `\\${p.group}`))
    .join('');
}
