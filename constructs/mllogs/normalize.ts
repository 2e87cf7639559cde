/**
 * Declarative normalizations, shared by every compiler and by the test engine: timestamp
 * rewrites, the level map, unit conversions. They are data; `engine.ts` interprets them and
 * the compilers translate them to Logstash filters and Alloy/Promtail stages.
 */
import type { BytesRule, LevelRule, NumberRewriteRule, Rewrite, ScaleRule, TimestampSource, UnitMapRule } from './types';

/** `2024-02-22 19:20:22,163` -> `2024-02-22T19:20:22.163` (zone kept as written). */
const ISO_REWRITES: readonly Rewrite[] = [
  { pattern: '^(\\d{4}-\\d{2}-\\d{2}) ', replacement: [{ group: 1 }, 'T'], requires: ' ' },
  { pattern: '^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}),', replacement: [{ group: 1 }, '.'], requires: ',' },
];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Mon Jul 25 16:46:04 2022` -> `2022-07-25T16:46:04`; one rule per month and day width. */
const CTIME_REWRITES: readonly Rewrite[] = MONTHS.flatMap((m, i) => {
  const mm = String(i + 1).padStart(2, '0');
  return [
    { pattern: `^[A-Z][a-z]{2} ${m} +(\\d{2}) (\\d{2}:\\d{2}:\\d{2}) (\\d{4})$`, replacement: [{ group: 3 }, `-${mm}-`, { group: 1 }, 'T', { group: 2 }], requires: ` ${m} ` },
    { pattern: `^[A-Z][a-z]{2} ${m} +(\\d) (\\d{2}:\\d{2}:\\d{2}) (\\d{4})$`, replacement: [{ group: 3 }, `-${mm}-0`, { group: 1 }, 'T', { group: 2 }], requires: ` ${m} ` },
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
    rewrites: [{ pattern: '^(\\d{4}-\\d{2}-\\d{2})_', replacement: [{ group: 1 }, 'T'], requires: '_' }],
  },
  {
    capture: 'ts_ymd_slash',
    goLayout: '2006/01/02 15:04:05',
    jodaPatterns: ['yyyy/MM/dd HH:mm:ss'],
    rewrites: [{ pattern: '^(\\d{4})/(\\d{2})/(\\d{2}) ', replacement: [{ group: 1 }, '-', { group: 2 }, '-', { group: 3 }, 'T'], requires: '/' }, ...ISO_REWRITES.slice(1)],
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

/** Thousands separators dropped (`529,882` -> `529882`): one anchored rewrite per separator, up to four. */
const DROP_THOUSANDS: readonly Rewrite[] = Array.from({ length: 4 }, (): Rewrite => ({ pattern: '^(\\d+),(\\d{3})', replacement: [{ group: 1 }, { group: 2 }], requires: ',' }));

/** `K` suffix as thousands (`16.88K` -> `16880`, `3K` -> `3000`), by moving the decimal point three places. */
const THOUSANDS_SUFFIX: readonly Rewrite[] = [
  { pattern: '^(\\d+)K$', replacement: [{ group: 1 }, '000'], requires: 'K' },
  { pattern: '^(\\d+)\\.(\\d)K$', replacement: [{ group: 1 }, { group: 2 }, '00'], requires: 'K' },
  { pattern: '^(\\d+)\\.(\\d{2})K$', replacement: [{ group: 1 }, { group: 2 }, '0'], requires: 'K' },
  { pattern: '^(\\d+)\\.(\\d{3})(\\d*)K$', replacement: [{ group: 1 }, { group: 2 }, '.', { group: 3 }, '0'], requires: 'K' },
];

/** Numbers written for people, rewritten to plain digits in place before they are read as numbers. */
export const NUMBER_REWRITES: readonly NumberRewriteRule[] = [{ field: 'throughput', rewrites: [...DROP_THOUSANDS, ...THOUSANDS_SUFFIX] }];

export const UNIT_MAPS: readonly UnitMapRule[] = [
  {
    source: 'throughput_unit_raw',
    target: 'throughput_unit',
    map: {
      'it/s': 'it/s',
      'iter/s': 'it/s',
      'steps/s': 'it/s',
      'steps/sec': 'it/s',
      steps_per_second: 'it/s',
      'global_step/sec': 'it/s',
      ups: 'it/s',
      'samples/s': 'samples/s',
      'samples/sec': 'samples/s',
      'samples per second': 'samples/s',
      samples_per_second: 'samples/s',
      'examples/s': 'samples/s',
      'examples/sec': 'samples/s',
      SamplesPerSec: 'samples/s',
      qps: 'qps',
      'tokens/s': 'tokens/s',
      'tokens/sec': 'tokens/s',
      'tok/s': 'tokens/s',
      'tok/sec': 'tokens/s',
      tps: 'tokens/s',
      TPS: 'tokens/s',
      'tokens per second': 'tokens/s',
      tokens_per_sec: 'tokens/s',
      tokens_per_second: 'tokens/s',
      tokens_per_sec_per_gpu: 'tokens/s',
      tokens_per_second_per_gpu: 'tokens/s',
    },
  },
];

/** Renders a replacement for Go (`${1}`), Ruby gsub (`\1`) or in-process use. */
export function renderReplacement(parts: Rewrite['replacement'], dialect: 'go' | 'ruby'): string {
  return parts
    .map((p) => (typeof p === 'string' ? (dialect === 'go' ? p.replace(/\$/g, '$$$$') : p.replace(/\\/g, '\\\\')) : dialect === 'go' ? `\${${p.group}}` : `\\${p.group}`))
    .join('');
}
