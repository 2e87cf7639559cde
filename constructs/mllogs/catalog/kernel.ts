/** Kernel and NVIDIA driver lines (dmesg, dmesg -T, journal/syslog, Talos) and DCGM. Xid details are extractors. */
import type { LineFormat } from '../types';
import { MESSAGE } from './fragments';

const UPTIME = '\\[ *%{DECIMAL:uptime_s}\\] ';
const NVRM = '(?:NVRM: )?';

export const KERNEL_FORMATS: readonly LineFormat[] = [
  {
    id: 'kernel_talos',
    family: 'kernel',
    summary: 'Talos `192.168.11.119: kern: warning: [2026-04-22T21:27:51.291Z]: NVRM: text`',
    prefilter: [' kern: '],
    pattern: `^%{HOST:host}: kern: +%{LEVEL_WORD:level}: \\[%{TS_ISO:timestamp}\\]: ${NVRM}${MESSAGE}`,
  },
  {
    id: 'kernel_syslog',
    family: 'kernel',
    summary: 'syslog/journal `Feb 15 17:37:45 host kernel: [82659.755847] NVRM: text` (no year: no timestamp)',
    prefilter: ['kernel: '],
    pattern: `^(?:%{SYSLOG_TS}|%{TS_ISO:timestamp})(?: %{HOST:host})? kernel: (?:${UPTIME})?${NVRM}${MESSAGE}`,
  },
  {
    id: 'kernel_bare',
    family: 'kernel',
    summary: '`kernel: [uptime] NVRM: text`',
    prefilter: ['kernel: '],
    pattern: `^kernel: (?:${UPTIME})?${NVRM}${MESSAGE}`,
  },
  {
    id: 'kernel_dmesg_t',
    family: 'kernel',
    summary: '`dmesg -T` `[Mon Jul 25 16:46:04 2022] NVRM: text`',
    start: '\\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ',
    pattern: `^\\[%{TS_CTIME:ts_ctime}\\] ${NVRM}${MESSAGE}`,
  },
  {
    id: 'kernel_dmesg',
    family: 'kernel',
    summary: 'dmesg `[ 1843.308145] NVRM: text`',
    start: '\\[ *\\d',
    pattern: `^${UPTIME}${NVRM}${MESSAGE}`,
  },
  {
    id: 'nvrm_bare',
    family: 'kernel',
    summary: '`NVRM: text` without a kernel prefix',
    prefilter: ['NVRM: '],
    pattern: `^NVRM: ${MESSAGE}`,
  },
  {
    id: 'dcgm_hostengine',
    family: 'kernel',
    summary: 'nv-hostengine `2021-05-18 05:28:26.945 ERROR [1:28] text [/path/file.cpp:489] [Func]`',
    prefilter: ['] ['],
    start: '\\d{4}-\\d{2}-\\d{2}[T ]',
    pattern: '^%{TS_ISO:timestamp} %{LEVEL_WORD:level} \\[\\d+:\\d+\\] %{MSG_LAZY:message} \\[%{PATH_LINE:logger}\\] \\[[^\\]]*\\]$',
  },
];
