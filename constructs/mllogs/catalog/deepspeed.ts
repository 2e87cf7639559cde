/** DeepSpeed logger lines, optionally with a pdsh `host: ` prefix or after a progress bar. */
import type { LineFormat } from '../types';
import { MESSAGE, RANK_TAG } from './fragments';

export const DEEPSPEED_FORMATS: readonly LineFormat[] = [
  {
    id: 'deepspeed',
    family: 'deepspeed',
    summary: '`[host: ][2024-05-10 11:33:19,738] [INFO] [file.py:161:func] [Rank 0] text`',
    prefilter: ['] ['],
    pattern: `^(?:%{HOST:host}: |.*?\\])?\\[%{TS_ISO:timestamp}\\] \\[%{LEVEL_WORD:level}\\] \\[%{DS_LOGGER:logger}\\] ${RANK_TAG}${MESSAGE}`,
  },
  {
    id: 'bracket_level',
    family: 'deepspeed',
    summary: 'op builder / generic `[WARNING]  text`',
    start: '\\[[A-Za-z]+\\]',
    pattern: `^\\[%{LEVEL_WORD:level}\\]${MESSAGE}`,
  },
];
