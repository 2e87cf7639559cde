/**
 * Typed tokens of pattern templates. Each token has its grok form (Logstash's own pattern
 * names from logstash-patterns-core `legacy`, or inline regex where Logstash has none) and an
 * RE2 form (Go syntax) for Alloy/Promtail. Both forms describe the same language as closely
 * as the two dialects allow; the accuracy tests run both.
 */

export interface TokenDefinition {
  /** Grok text: `%{NAME}` (a Logstash pattern) or inline regex that may use `%{NAME}`. */
  readonly grok: string;
  /** RE2 regex text (Go syntax). */
  readonly re2: string;
  /** What it matches. */
  readonly doc: string;
}

const LEVEL_WORD_RE2 =
  '(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo?(?:rmation)?|INFO?(?:RMATION)?|' +
  '[Ww]arn?(?:ing)?|WARN?(?:ING)?|[Ee]rr?(?:or)?|ERR?(?:OR)?|[Cc]rit?(?:ical)?|CRIT?(?:ICAL)?|[Ff]atal|FATAL|' +
  '[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?)';

/** A token whose regex is written the same for Oniguruma (grok) and RE2. */
function same(regex: string, doc: string): TokenDefinition {
  return { grok: regex, re2: regex, doc };
}

export const TOKENS = {
  TS_ISO: {
    grok: '%{TIMESTAMP_ISO8601}',
    re2: '\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:?\\d{2}(?::?\\d{2}(?:[:.,]\\d+)?)?(?:Z|[+-]\\d{2}(?::?\\d{2}))?',
    doc: 'ISO 8601 date and time, `T` or space, optional fraction (dot or comma) and zone',
  },
  TS_MDY: {
    grok: '%{DATE_US}[- ]%{TIME}',
    re2: '\\d{1,2}[/-]\\d{1,2}[/-]\\d{4}[- ]\\d{1,2}:\\d{2}:\\d{2}(?:[.,]\\d+)?',
    doc: 'US date and time `MM/DD/YYYY HH:MM:SS` or TensorRT `MM/DD/YYYY-HH:MM:SS`',
  },
  TS_CTIME: {
    grok: '%{DAY} %{MONTH} +%{MONTHDAY} %{TIME} %{YEAR}',
    re2: '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} +\\d{1,2} \\d{2}:\\d{2}:\\d{2} \\d{4}',
    doc: 'ctime / `dmesg -T` `Mon Jul 25 16:46:04 2022`',
  },
  TS_UNDERSCORE: {
    grok: '%{YEAR}-%{MONTHNUM}-%{MONTHDAY}_%{TIME}',
    re2: '\\d{4}-\\d{2}-\\d{2}_\\d{2}:\\d{2}:\\d{2}',
    doc: 'torchelastic error-report time `2024-03-05_07:01:51`',
  },
  SYSLOG_TS: {
    grok: '%{SYSLOGTIMESTAMP}',
    re2: '[A-Z][a-z]{2} +\\d{1,2} \\d{2}:\\d{2}:\\d{2}',
    doc: 'syslog time without a year (never a `timestamp`)',
  },
  SHORT_TS: {
    grok: '%{MONTHNUM}[/-]%{MONTHDAY} %{TIME}',
    re2: '\\d{1,2}[/-]\\d{1,2} \\d{2}:\\d{2}:\\d{2}(?:[.,]\\d+)?',
    doc: 'month/day and time without a year (detectron2, vLLM; never a `timestamp`)',
  },
  GLOG_TIME: {
    grok: '\\d{3,4} %{HOUR}:%{MINUTE}:\\d{2,10}(?:\\.\\d+)?',
    re2: '\\d{3,4} \\d{1,2}:\\d{2}:\\d{2,10}(?:\\.\\d+)?',
    doc: 'glog `MMDD HH:MM:SS.ffffff` after the level letter (no year; absl writes `0000 00:00:<epoch>`)',
  },
  TS_YMD_SLASH: {
    grok: '%{YEAR}/%{MONTHNUM}/%{MONTHDAY} %{TIME}',
    re2: '\\d{4}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2}(?:[.,]\\d+)?',
    doc: 'mmengine `2023/01/31 12:00:00`',
  },
  NOTSPACE: { grok: '%{NOTSPACE}', re2: '\\S+', doc: 'a run of non-blank characters' },
  LEVEL_WORD: { grok: '%{LOGLEVEL}', re2: LEVEL_WORD_RE2, doc: 'a level word (Logstash LOGLEVEL)' },
  PY_LEVEL: same(
    '(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)',
    'Python logging level name',
  ),
  GLOG_LEVEL: same('[IWEFDV]', 'single-letter glog/TensorRT level'),
  LEVEL_ANY: {
    grok: '(?:%{LOGLEVEL}|[IWEFDV])',
    re2: `(?:${LEVEL_WORD_RE2}|[IWEFDV])`,
    doc: 'a level word or a single level letter',
  },
  WARN_CLASS: same('[A-Z]\\w*Warning', 'Python warning category (`UserWarning`)'),
  TRT_LOGGER: same('T(?:RT|ensorRT)(?:-LLM)?', 'TensorRT logger tag'),
  LOGGER_OR_SRC: same('[\\w.\\-]+(?::\\d+)?', 'logger name or file:line'),
  SMALL_UINT: same('\\d{1,2}', 'one- or two-digit index (GPU)'),
  TPUT_UNIT: same(
    '(?:it/s|iter/s|steps/s(?:ec)?|samples/s(?:ec)?|examples/s(?:ec)?|tokens/s(?:ec)?|tok/s(?:ec)?|qps|SamplesPerSec)',
    'throughput unit as written after a value (`1.66it/s`, `2183.37 samples/sec`, `529882 tok/sec`)',
  ),
  TPUT_KEY: same(
    '(?:samples per second|samples_per_second|samples/s(?:ec)?|examples/s(?:ec)?|steps_per_second|steps/s(?:ec)?|global_step/sec|it/s|iter/s|ups|tokens per second|tokens_per_sec(?:ond)?(?:_per_gpu)?|tokens/s(?:ec)?|tok/s(?:ec)?|tps|TPS)',
    'throughput key written before its value (`samples/sec: 7.8`, `tps: 5,856`, `ups=0.5`, `tokens_per_second_per_gpu:`)',
  ),
  HUMAN_NUMBER: same(
    '(?:\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|(?:\\d+(?:\\.\\d+)?|\\.\\d+)(?:[eE][+-]?\\d+)?K?)',
    'non-negative number as people write it: thousands separators (`5,856`), a `K` suffix (`16.88K`), or a plain/exponent number',
  ),
  INT: { grok: '%{INT}', re2: '[+-]?\\d+', doc: 'integer' },
  UINT: { grok: '(?:[0-9]+)', re2: '\\d+', doc: 'non-negative integer (Logstash NONNEGINT has word boundaries that refuse `rank1`/`0it`)' },
  FLOAT: {
    grok: '%{NUMBER}(?:[eE][+-]?\\d+)?',
    re2: '[+-]?(?:\\d+(?:\\.\\d+)?|\\.\\d+)(?:[eE][+-]?\\d+)?',
    doc: 'decimal number, optional exponent',
  },
  DECIMAL: same('\\d+\\.\\d+', 'number with a decimal point (kernel uptime)'),
  HOST: {
    grok: '%{HOSTNAME}',
    re2: '[0-9A-Za-z][0-9A-Za-z-]*(?:\\.[0-9A-Za-z][0-9A-Za-z-]*)*',
    doc: 'host name or IPv4 address',
  },
  NCCL_HOST: same('[^\\s:\\[\\]|]+', 'host field of the NCCL `host:pid:tid` prefix'),
  LOGGER: same('[\\w.\\-]+', 'dotted logger name'),
  SRC_LINE: same('[\\w.\\-]+:\\d+', 'file:line without directories'),
  SRC_AT_LINE: same('[\\w.\\-]+(?:(?::| line:? ?)\\d+)?', 'file and line as `file.py:78` or `file.py line:78`'),
  PATH_LINE: same('[^\\s\\]]+:\\d+', 'path:line (Unix or Windows) up to `]`'),
  PY_PATH_LINE: same(
    '(?:[A-Za-z]:)?[\\w./\\\\~\\-]*\\.\\w+:\\d+',
    'source path with an extension and line number (`path.py:275`)',
  ),
  DS_LOGGER: same('[\\w.\\-]+:\\d+:\\w+', 'DeepSpeed `file.py:N:function`'),
  RUST_TARGET: same('[a-z_][\\w:]*', 'Rust tracing target (lower-case module path)'),
  WORD: { grok: '%{WORD}', re2: '\\w+', doc: 'a word' },
  PCI: same(
    '[0-9A-Fa-f]{3,4}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}(?:\\.[0-7])?',
    'PCI address `0000:3b:00` or `0000:0a:00.0`',
  ),
  EXC_CLASS: same(
    '(?:[A-Za-z_]\\w*\\.)*(?:[A-Za-z_]\\w*(?:Error|Exception|Exit|Interrupt|Failure)|Exception)',
    'Python exception class, optionally qualified',
  ),
  UNIT_BIN: same('(?:[KMGTP]i?B|B)', 'byte unit'),
  MSG: { grok: '%{GREEDYDATA}', re2: '.*', doc: 'rest of the line' },
  MSG_LAZY: { grok: '%{DATA}', re2: '.*?', doc: 'shortest text up to what follows' },
  QUOTED: same('(?:[^"\\\\]|\\\\.)*', 'inside of a double-quoted string'),
  JSON_OBJECT: same('\\{.*\\}', 'a JSON object payload (decoded, never regex-parsed)'),
} as const satisfies Record<string, TokenDefinition>;

export type TokenName = keyof typeof TOKENS;
