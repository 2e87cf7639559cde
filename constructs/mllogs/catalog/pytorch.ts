/** PyTorch: torch glog lines, c10d, python logging, hydra, ignite, NeMo, detectron2, exceptions, warnings. */
import type { LineFormat } from '../types';
import { MESSAGE, RANK_TAG } from './fragments';

export const PYTORCH_FORMATS: readonly LineFormat[] = [
  {
    id: 'torch_glog',
    family: 'pytorch',
    summary: 'glog-style line from torch/c10d/Triton/libnvidia-container: `[rank1]:W0227 17:39:41.936000 293814 path/file.py:766] text`',
    pattern: `^(?:\\[\\d+\\] )?(?:\\[rank%{UINT:rank}\\]:)?\\[?%{GLOG_LEVEL:level}%{GLOG_TIME}(?: +\\d+)? %{PATH_LINE:logger}\\]${RANK_TAG}${MESSAGE}`,
  },
  {
    id: 'c10d_bracket',
    family: 'pytorch',
    summary: 'c10d/ProcessGroupNCCL bracket prefix `[E ProcessGroupNCCL.cpp:737] [Rank 1] text`, possibly after other output',
    prefilter: [':'],
    pattern: `^.*?\\[%{GLOG_LEVEL:level} %{SRC_LINE:logger}\\] ${RANK_TAG}${MESSAGE}`,
  },
  {
    id: 'hydra',
    family: 'pytorch',
    summary: 'hydra job logging `[2024-02-22 19:20:22,163][logger][INFO] - text`',
    prefilter: [']['],
    pattern: `^\\[%{TS_ISO:timestamp}\\]\\[%{LOGGER:logger}\\]\\[%{LEVEL_WORD:level}\\] -${MESSAGE}`,
  },
  {
    id: 'nemo',
    family: 'pytorch',
    summary: 'NeMo `[NeMo W 2024-03-21 12:53:52 nemo_logging:349] text`',
    prefilter: ['[NeMo '],
    pattern: `^\\[NeMo %{GLOG_LEVEL:level} %{TS_ISO:timestamp} %{SRC_LINE:logger}\\]${MESSAGE}`,
  },
  {
    id: 'python_logging_default',
    family: 'pytorch',
    summary: 'python logging default format `WARNING:logger.name:text`, optionally after a `[ts] id || ` launcher prefix',
    pattern: `^(?:\\[%{TS_ISO:timestamp}\\] \\S+ \\|\\| )?%{PY_LEVEL:level}: ?%{LOGGER:logger}:${MESSAGE}`,
  },
  {
    id: 'iso_logger_level',
    family: 'pytorch',
    summary: 'ignite/`%(asctime)s %(name)s %(levelname)s: %(message)s` lines',
    pattern: `^%{TS_ISO:timestamp} %{LOGGER:logger} %{LEVEL_WORD:level}:${MESSAGE}`,
  },
  {
    id: 'iso_dash',
    family: 'pytorch',
    summary: '`2019-07-29 23:18:56,398 - logger.py:104 - [LEVEL - ]text` (mmdeploy, scripts)',
    prefilter: [' - '],
    pattern: `^%{TS_ISO:timestamp} - %{LOGGER_OR_SRC:logger} - (?:%{LEVEL_WORD:level} - )?${MESSAGE}`,
  },
  {
    id: 'short_ts_dash',
    family: 'pytorch',
    summary: 'mmengine `06/16 15:18:42 - mmengine - INFO - text` (no year: no timestamp)',
    prefilter: [' - '],
    pattern: `^%{SHORT_TS} - %{LOGGER:logger} - %{LEVEL_WORD:level} -${MESSAGE}`,
  },
  {
    id: 'vllm',
    family: 'pytorch',
    summary: 'vLLM `INFO 09-15 14:42:36 file.py:72] text` (no year: no timestamp)',
    pattern: `^%{LEVEL_WORD:level} %{SHORT_TS} %{SRC_LINE:logger}\\]${MESSAGE}`,
  },
  {
    id: 'detectron2',
    family: 'pytorch',
    summary: 'detectron2/AdelaiDet `[08/14 11:10:26 d2.utils.events]: text` (no year: no timestamp)',
    prefilter: [']:'],
    pattern: `^\\[%{SHORT_TS} %{LOGGER:logger}\\]:${MESSAGE}`,
  },
  {
    id: 'progress_then_level',
    family: 'pytorch',
    summary: 'a tqdm bar with a `WARNING: text` log written onto its end',
    prefilter: ['it/s]', 's/it]'],
    pattern: `^.*?(?:it/s|s/it)\\]%{PY_LEVEL:level}:${MESSAGE}`,
  },
  {
    id: 'python_exception',
    family: 'pytorch',
    summary: 'final line of a Python traceback `RuntimeError: text` (also a bare class name or an IPython header)',
    pattern: '^(?:%{SYSLOG_TS} )?%{EXC_CLASS}(?: \\([^)]*\\))?(?::\\s*%{MSG:message}|\\s+Traceback \\(most recent call last\\).*|)$',
    event: 'traceback',
  },
  {
    id: 'python_warning',
    family: 'pytorch',
    summary: 'Python warnings / source-located messages `path/file.py:275: UserWarning: text` (also after a progress bar)',
    prefilter: [': '],
    pattern: `^(?:.*?\\])?%{PY_PATH_LINE:logger}: (?:%{WARN_CLASS:level}: )?${MESSAGE}`,
  },
  {
    id: 'torchelastic_time',
    family: 'pytorch',
    summary: 'torchelastic error report `time      : 2024-03-05_07:01:51`',
    prefilter: ['time'],
    pattern: '^\\s*time\\s*: %{TS_UNDERSCORE:ts_underscore}\\s*$',
  },
  {
    id: 'mpirun_prefix',
    family: 'pytorch',
    summary: 'SageMaker/mpirun prefix `[1,mpirank:0,algo-1]<stdout>:` (the rest is read by extractors)',
    prefilter: ['mpirank:'],
    pattern: '^\\[\\d+,mpirank:%{UINT:rank},%{HOST:host}\\]<std(?:out|err)>:',
  },
];
