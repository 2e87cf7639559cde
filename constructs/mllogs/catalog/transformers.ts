/** Hugging Face Transformers / Accelerate / TGI lines. Trainer dicts and tqdm bars are read by extractors. */
import type { LineFormat } from '../types';
import { MESSAGE } from './fragments';

export const TRANSFORMERS_FORMATS: readonly LineFormat[] = [
  {
    id: 'hf_bracket',
    family: 'transformers',
    summary: 'Trainer `[INFO|trainer.py:2048] 2021-01-15 10:27:59,116 >> text`',
    prefilter: ['>>'],
    pattern: `^\\[%{LEVEL_WORD:level}\\|%{SRC_LINE:logger}\\] %{TS_ISO:timestamp} >>${MESSAGE}`,
  },
  {
    id: 'hf_mdy',
    family: 'transformers',
    summary: 'example scripts `06/12/2020 10:05:38 - INFO - transformers.trainer -   text`',
    prefilter: [' - '],
    start: '\\d{1,2}[/-]\\d{1,2}[/-]\\d{4}',
    pattern: `^%{TS_MDY:ts_mdy} - %{LEVEL_WORD:level} - %{LOGGER:logger} -${MESSAGE}`,
  },
  {
    id: 'rust_tracing',
    family: 'transformers',
    summary: 'TGI launcher (Rust tracing) `2024-11-06T04:40:34.739375Z  INFO span: target: text`',
    start: '\\d{4}-\\d{2}-\\d{2}[T ][\\d:.,Z+-]* +[A-Za-z]+ ',
    pattern: `^%{TS_ISO:timestamp} +%{LEVEL_WORD:level} (?:[a-z][\\w\\-]*(?:\\{[^}]*\\})?: )?%{RUST_TARGET:logger}:${MESSAGE}`,
  },
];
