/** NCCL debug output and nccl-tests. Watchdog and `NCCL error` lines are classified by event rules. */
import type { LineFormat } from '../types';
import { MESSAGE } from './fragments';

export const NCCL_FORMATS: readonly LineFormat[] = [
  {
    id: 'nccl_debug',
    family: 'nccl',
    summary: '`host:pid:tid [gpu] [file.cc:N ]NCCL INFO|WARN text`, optionally after a `| ts | ` or colour prefix',
    prefilter: ['NCCL '],
    pattern: `^(?:.*?\\| %{TS_ISO:timestamp} \\| |[^\\s:]* )?%{NCCL_HOST:host}:%{UINT:pid}:\\d+ \\[%{UINT:gpu}\\] (?:%{PATH_LINE:logger} )?NCCL %{LEVEL_WORD:level}${MESSAGE}`,
  },
  {
    id: 'nccl_tests_rank',
    family: 'nccl',
    summary: 'nccl-tests device table `#  Rank 15 Group  0 Pid 169132 on host device  7 [0xca] ...`',
    prefilter: ['Rank'],
    pattern: '^#\\s+Rank +%{UINT:rank} +Group +\\d+ +Pid +%{UINT:pid} +on +%{NCCL_HOST:host} +device +%{UINT:gpu}\\b',
  },
];
