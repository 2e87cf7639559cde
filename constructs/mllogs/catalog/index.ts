/** The ML log-format catalog: all families assembled in priority order. */
import type { LineFormat, MlLogCatalog } from '../types';
import { BYTES_RULES, LEVEL_RULES, NUMBER_REWRITES, SCALE_RULES, TIMESTAMP_SOURCES, UNIT_MAPS } from '../normalize';
import { EVENT_RULES, EXTRACTORS } from './common';
import { DEEPSPEED_FORMATS } from './deepspeed';
import { JSON_FIELDS, JSON_FORMATS } from './json';
import { KERAS_FORMATS } from './keras';
import { KERNEL_FORMATS } from './kernel';
import { LIGHTNING_FORMATS } from './lightning';
import { NCCL_FORMATS } from './nccl';
import { PYTORCH_FORMATS } from './pytorch';
import { TENSORRT_FORMATS } from './tensorrt';
import { TRANSFORMERS_FORMATS } from './transformers';

function byId(formats: readonly LineFormat[], ...ids: string[]): LineFormat[] {
  return ids.map((id) => {
    const f = formats.find((x) => x.id === id);
    if (!f) throw new Error(`catalog order names unknown format "${id}"`);
    return f;
  });
}

const ALL: readonly LineFormat[] = [
  ...JSON_FORMATS,
  ...KERNEL_FORMATS,
  ...NCCL_FORMATS,
  ...PYTORCH_FORMATS,
  ...TRANSFORMERS_FORMATS,
  ...LIGHTNING_FORMATS,
  ...KERAS_FORMATS,
  ...TENSORRT_FORMATS,
  ...DEEPSPEED_FORMATS,
];

/**
 * Formats in matching order: specific prefixes first, generic shapes (exception line,
 * `path:N:` warnings, bracketed level) last.
 */
const ORDER = [
  'json_payload_after_prefix',
  'logfmt',
  'kernel_talos',
  'kernel_syslog',
  'kernel_bare',
  'kernel_dmesg_t',
  'kernel_dmesg',
  'nvrm_bare',
  'dcgm_hostengine',
  'nccl_debug',
  'nccl_tests_rank',
  'torch_glog',
  'onnxruntime_trt',
  'trt_ts_level',
  'trt_ts_logger',
  'trt_tag_level',
  'trt_level_only',
  'deepspeed',
  'hydra',
  'insightface',
  'nemo',
  'hf_bracket',
  'hf_mdy',
  'iso_logger_level',
  'elastic_redirects',
  'ts_src_bracket',
  'loguru_text',
  'mmengine',
  'iso_level_dash',
  'iso_dash',
  'short_ts_dash',
  'vllm',
  'rust_tracing',
  'zap_console',
  'tf_glog',
  'iso_level_generic',
  'c10d_bracket',
  'level_src_line',
  'python_logging_default',
  'detectron2',
  'lightning_rank_zero',
  'mpirun_prefix',
  'torchelastic_time',
  'progress_then_level',
  'bracket_level',
  'python_exception',
  'python_warning',
  'ts_then_text',
];

function ordered(): LineFormat[] {
  const list = byId(ALL, ...ORDER);
  const missing = ALL.filter((f) => !ORDER.includes(f.id)).map((f) => f.id);
  if (missing.length > 0) throw new Error(`catalog formats missing from ORDER: ${missing.join(', ')}`);
  return list;
}

/** The catalog every compiler and the test engine read. */
export const ML_LOG_CATALOG: MlLogCatalog = {
  formats: ordered(),
  extractors: EXTRACTORS,
  eventRules: EVENT_RULES,
  json: JSON_FIELDS,
  timestampSources: TIMESTAMP_SOURCES,
  levelRules: LEVEL_RULES,
  scales: SCALE_RULES,
  bytes: BYTES_RULES,
  numberRewrites: NUMBER_REWRITES,
  unitMaps: UNIT_MAPS,
};
