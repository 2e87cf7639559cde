/**
 * Structured lines: JSON objects (zap, logrus, python-json-logger, structlog, loguru, Ray) are
 * decoded and mapped (never regex-parsed); a short text prefix before a JSON payload is text whose
 * payload is decoded the same way; logfmt `time=... level=... msg="..."` lines are read by key.
 */
import type { JsonFieldMapping, LineFormat } from '../types';
import { MESSAGE } from './fragments';

/** A line is decoded as JSON when it starts with `{"` (a Python dict repr `{'` is text). */
export const JSON_LINE_START = '^\\{\\s*"';

/** A JSON string that a `number` mapping also takes (fairseq's JSON log writes `"loss": "3.097"`). */
export const NUMERIC_STRING = '^[+-]?(?:[0-9]+(?:[.][0-9]*)?|[.][0-9]+)(?:[eE][+-]?[0-9]+)?$';

export const JSON_FORMATS: readonly LineFormat[] = [
  {
    id: 'json_payload_after_prefix',
    family: 'json',
    summary: '`controller {...}` / `json_stats: {...}`: a word, then a JSON object that is decoded',
    prefilter: ['{'],
    pattern: '^[\\w.\\-]+:? %{JSON_OBJECT:json_payload}$',
  },
  {
    id: 'logfmt',
    family: 'json',
    summary: 'logfmt `time="2020-10-27T00:53:32Z" level=info msg="text"` (dcgm-exporter, logrus text)',
    prefilter: ['level='],
    pattern: '^time="%{TS_ISO:timestamp}" level=%{WORD:level} msg="%{QUOTED:message}"',
  },
  {
    id: 'zap_console',
    family: 'json',
    summary: 'zap console encoder `2024-06-12T16:04:27.127Z<TAB>ERROR<TAB>logger<TAB>text`',
    prefilter: ['\t'],
    pattern: '^%{TS_ISO:timestamp}\\t%{LEVEL_WORD:level}\\t(?:%{LOGGER:logger}\\t)?\\s*%{MSG_LAZY:message}(?:\\t\\{.*\\})?$',
  },
  {
    id: 'iso_level_generic',
    family: 'json',
    summary: 'generic `2024-01-01T00:00:00Z LEVEL text` / `[ts] [LEVEL] text`',
    start: '\\[?\\d{4}-\\d{2}-\\d{2}[T ][\\d:.,Z+-]*\\]?:? +\\[?[A-Za-z]+',
    pattern: `^\\[?%{TS_ISO:timestamp}\\]?:? +\\[?%{LEVEL_WORD:level}\\]?:?\\s${MESSAGE}`,
  },
];

/** Field mapping for decoded JSON objects; the first path with a usable value wins. */
export const JSON_FIELDS: readonly JsonFieldMapping[] = [
  { target: 'level', paths: ['level.name', 'record.level.name', 'level', 'levelname', 'severity', 'lvl'], kind: 'string' },
  { target: 'timestamp', paths: ['asctime', 'record.time.repr', 'time', 'timestamp', 'ts', '@timestamp'], kind: 'string' },
  { target: 'timestamp', paths: ['ts', 'created', 'timestamp.abs', 'record.time.timestamp'], kind: 'epoch' },
  { target: 'message', paths: ['msg', 'message', 'record.message', 'event'], kind: 'string' },
  { target: 'logger', paths: ['logger', 'name', 'record.name', 'logger_name'], kind: 'string' },
  { target: 'host', paths: ['hostname'], kind: 'string' },
  { target: 'pid', paths: ['process', 'proc.id', 'record.process.id', 'pid'], kind: 'number' },
  { target: 'rank', paths: ['rank'], kind: 'number' },
  { target: 'epoch', paths: ['epoch'], kind: 'number' },
  { target: 'step', paths: ['step', 'iter', 'global_step', 'num_updates'], kind: 'number' },
  { target: 'loss', paths: ['loss', 'train_loss'], kind: 'number' },
  { target: 'eval_loss', paths: ['eval_loss', 'val_loss'], kind: 'number' },
  { target: 'accuracy', paths: ['accuracy', 'acc'], kind: 'number' },
  { target: 'learning_rate', paths: ['learning_rate', 'lr'], kind: 'number' },
  { target: 'grad_norm', paths: ['grad_norm', 'gnorm'], kind: 'number' },
];
