/**
 * GPU health alerts over dcgm-exporter metrics, as typed rule groups. Pure: no cdktf import.
 *
 * Series carry the exporter's labels (`gpu`, `UUID`, `modelName`, `Hostname`), `node` (added by
 * our ServiceMonitor from the exporter pod's node) and, for a GPU allocated to a pod, the
 * workload's `namespace`/`pod`/`container`. `cluster` is an external label: Alertmanager's
 * inhibition (`GpuFellOffBus`/`GpuLost` silence the other alerts of the same cluster, node
 * and gpu) relies on these names.
 *
 * Annotation templates use only `{{ $labels.<name> }}` and `{{ $value }}`.
 */
import type { AlertRule, RuleGroup } from '../core/prometheus-rule';
import type { GpuAlertSettings } from './settings';
import { CRITICAL_XID_CODES, CRITICAL_XIDS, XID_DOCS_URL } from '../contracts/xid';

import { GPU_COMPONENT } from '../contracts/components';
export { GPU_COMPONENT };
/** The `job` label our ServiceMonitor gives dcgm-exporter targets (both modes). */
export const DCGM_JOB = 'dcgm-exporter';

/** Runbooks: NVIDIA's documents for each family of alerts. */
export const GPU_RUNBOOK_URLS = {
  xid: XID_DOCS_URL,
  memoryErrors: 'https://docs.nvidia.com/deploy/a100-gpu-mem-error-mgmt/index.html',
  nvlink: 'https://docs.nvidia.com/datacenter/dcgm/latest/user-guide/feature-overview.html',
  thermal: 'https://docs.nvidia.com/deploy/nvml-api/group__nvmlClocksEventReasons.html',
  exporter: 'https://docs.nvidia.com/datacenter/cloud-native/gpu-telemetry/latest/dcgm-exporter.html',
} as const;

/**
 * Fields every data-center GPU reports and only a counters file can remove: the throttling
 * counters. dcgm-exporter's (and so the GPU Operator's) default counters comment them out with
 * ECC, retired pages and NVLink errors, so their absence on a node whose exporter reports
 * temperatures means the thermal, power, ECC and NVLink alerts there are blind. Hardware-dependent
 * fields (ECC, NVLink, row remapping) are not used as the signal: a GPU without the feature
 * legitimately reports none.
 */
export const GPU_SENTINEL_FIELDS = ['DCGM_FI_DEV_THERMAL_VIOLATION', 'DCGM_FI_DEV_POWER_VIOLATION'] as const;
/** How long the sentinel fields must be absent. */
export const GPU_METRICS_MISSING_FOR = '30m';

/** How long the critical temperature must hold. */
export const GPU_TEMPERATURE_CRITICAL_FOR = '5m';
/** Window over which new uncorrectable ECC errors page. */
export const GPU_ECC_WINDOW = '10m';

const where = 'GPU {{ $labels.gpu }} ({{ $labels.UUID }}) on node {{ $labels.node }}';

function alert(a: Omit<AlertRule, 'labels'> & { readonly severity: AlertRule['labels']['severity'] }): AlertRule {
  const { severity, ...rest } = a;
  return { ...rest, labels: { severity, component: GPU_COMPONENT } };
}

const pct = (f: number): string => `${Math.round(f * 1000) / 10}%`;

const xidEq = (codes: readonly number[]) => codes.map((c) => `DCGM_FI_DEV_XID_ERRORS == ${c}`).join(' or ');

/** The rule groups of the GPU PrometheusRule. */
export function renderGpuRuleGroups(t: GpuAlertSettings): readonly RuleGroup[] {
  const xid: AlertRule[] = CRITICAL_XIDS.map((x) =>
    alert({
      alert: x.alert,
      expr: xidEq(x.codes),
      severity: 'critical',
      annotations: {
        summary: `${x.meaning.split(':')[0]} on a GPU: ${x.meaning.split(': ').slice(1).join(': ')}`,
        description: `${where} reported Xid {{ $value }}. ${x.meaning}. What to do: ${x.action}`,
        runbook_url: GPU_RUNBOOK_URLS.xid,
      },
    }),
  );
  xid.push(
    alert({
      alert: 'GpuXidError',
      expr: `DCGM_FI_DEV_XID_ERRORS > 0 unless (${xidEq(CRITICAL_XID_CODES)})`,
      severity: 'warning',
      annotations: {
        summary: 'A GPU reported an Xid error that is usually caused by the application',
        description: `${where} reported Xid {{ $value }} (pod {{ $labels.namespace }}/{{ $labels.pod }}). Xids outside the critical set (e.g. 13, 31, 43, 45) usually come from the application. What to do: check the job's logs; drain the node only if the Xid repeats across different jobs.`,
        runbook_url: GPU_RUNBOOK_URLS.xid,
      },
    }),
  );

  const memory: AlertRule[] = [
    alert({
      alert: 'GpuEccUncorrectableErrors',
      expr: `increase(DCGM_FI_DEV_ECC_DBE_VOL_TOTAL[${GPU_ECC_WINDOW}]) > 0`,
      severity: 'critical',
      annotations: {
        summary: 'A GPU had uncorrectable (double-bit) ECC errors',
        description: `${where} had new uncorrectable ECC errors in the last ${GPU_ECC_WINDOW}. What to do: drain the node and reset the GPU so that the memory is remapped; file an RMA if it repeats.`,
        runbook_url: GPU_RUNBOOK_URLS.memoryErrors,
      },
    }),
    alert({
      alert: 'GpuRowRemapFailure',
      expr: 'DCGM_FI_DEV_ROW_REMAP_FAILURE > 0',
      severity: 'critical',
      annotations: {
        summary: 'A GPU failed to remap a memory row',
        description: `${where} reports a row-remapping failure: its memory can no longer be repaired in the field. What to do: drain the node, take the GPU out of service and file an RMA.`,
        runbook_url: GPU_RUNBOOK_URLS.memoryErrors,
      },
    }),
    alert({
      alert: 'GpuMemoryRemapPending',
      expr: '(increase(DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS[1h]) > 0) or (max_over_time(DCGM_FI_DEV_RETIRED_PENDING[5m]) > 0)',
      severity: 'warning',
      annotations: {
        summary: 'A GPU has a memory row remap or page retirement waiting for a reset',
        description: `${where} remapped rows or has pages pending retirement after uncorrectable errors; the repair takes effect only after a GPU reset. What to do: drain the node and reset the GPU at the next opportunity.`,
        runbook_url: GPU_RUNBOOK_URLS.memoryErrors,
      },
    }),
    alert({
      alert: 'GpuMemoryNearlyFull',
      expr: `DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > ${t.memoryUsedFraction}`,
      for: t.memoryFor,
      severity: 'warning',
      annotations: {
        summary: 'GPU framebuffer memory is nearly full',
        description: `${where} has used more than ${pct(t.memoryUsedFraction)} of its memory for ${t.memoryFor} (pod {{ $labels.namespace }}/{{ $labels.pod }}). What to do: expect CUDA OOM; lower the batch size or enable activation checkpointing, or check for a leak.`,
        runbook_url: GPU_RUNBOOK_URLS.exporter,
      },
    }),
  ];

  const nvlinkErrors = ['CRC_FLIT', 'CRC_DATA', 'REPLAY', 'RECOVERY'].map((k) => `increase(DCGM_FI_DEV_NVLINK_${k}_ERROR_COUNT_TOTAL[15m])`);
  const interconnect: AlertRule[] = [
    alert({
      alert: 'GpuNvlinkErrors',
      expr: `(${nvlinkErrors.join(' + ')}) > ${t.nvlinkErrorsPer15m}`,
      severity: 'warning',
      annotations: {
        summary: 'NVLink CRC, replay or recovery errors are increasing on a GPU',
        description: `${where} had more than ${t.nvlinkErrorsPer15m} NVLink CRC/replay/recovery errors in 15 minutes. What to do: watch for Xid 74 and NCCL errors in jobs on this node; if the errors keep growing, drain the node, reset the GPUs and check the NVLink bridge/baseboard.`,
        runbook_url: GPU_RUNBOOK_URLS.nvlink,
      },
    }),
  ];

  const thermal: AlertRule[] = [
    alert({
      alert: 'GpuTemperatureHigh',
      expr: `DCGM_FI_DEV_GPU_TEMP >= ${t.temperatureWarningCelsius}`,
      for: t.temperatureFor,
      severity: 'warning',
      annotations: {
        summary: 'A GPU has been hot for a sustained time',
        description: `${where} has been at or above ${t.temperatureWarningCelsius} °C for ${t.temperatureFor} (now {{ $value }} °C). What to do: check the node's fans, airflow and inlet temperature before it reaches its slowdown limit.`,
        runbook_url: GPU_RUNBOOK_URLS.thermal,
      },
    }),
    alert({
      alert: 'GpuTemperatureCritical',
      expr: `DCGM_FI_DEV_GPU_TEMP >= ${t.temperatureCriticalCelsius}`,
      for: GPU_TEMPERATURE_CRITICAL_FOR,
      severity: 'critical',
      annotations: {
        summary: 'A GPU is near its thermal slowdown limit',
        description: `${where} is at {{ $value }} °C (threshold ${t.temperatureCriticalCelsius} °C) for ${GPU_TEMPERATURE_CRITICAL_FOR}: it will slow down or shut down. What to do: drain the node and fix the cooling (fans, airflow, datacenter inlet temperature).`,
        runbook_url: GPU_RUNBOOK_URLS.thermal,
      },
    }),
    alert({
      alert: 'GpuThermalThrottling',
      expr: `rate(DCGM_FI_DEV_THERMAL_VIOLATION[5m]) / 1e9 > ${t.throttledFraction}`,
      for: t.throttledFor,
      severity: 'warning',
      annotations: {
        summary: 'A GPU is throttling its clocks because it is too hot',
        description: `${where} was thermally throttled more than ${pct(t.throttledFraction)} of the time for ${t.throttledFor}; jobs on it run slower. What to do: check cooling and the GPU temperature panel.`,
        runbook_url: GPU_RUNBOOK_URLS.thermal,
      },
    }),
    alert({
      alert: 'GpuPowerThrottling',
      expr: `rate(DCGM_FI_DEV_POWER_VIOLATION[5m]) / 1e9 > ${t.throttledFraction}`,
      for: t.throttledFor,
      severity: 'warning',
      annotations: {
        summary: 'A GPU is throttling its clocks at its power limit',
        description: `${where} was power-capped more than ${pct(t.throttledFraction)} of the time for ${t.throttledFor}. What to do: check the power limit (nvidia-smi -q -d POWER) and the node's PSU/power budget; a lowered limit slows every job on the GPU.`,
        runbook_url: GPU_RUNBOOK_URLS.thermal,
      },
    }),
  ];

  const capacity: AlertRule[] = [
    alert({
      alert: 'GpuAllocatedIdle',
      expr: `max_over_time(DCGM_FI_DEV_GPU_UTIL{pod!=""}[10m]) < ${t.idleUtilizationPercent}`,
      for: t.idleFor,
      severity: 'warning',
      annotations: {
        summary: 'A GPU is allocated to a pod but idle (wasted capacity)',
        description: `${where} is allocated to pod {{ $labels.namespace }}/{{ $labels.pod }} but its utilization stayed below ${t.idleUtilizationPercent}% for ${t.idleFor}. What to do: ask the owner to release it (a finished notebook, a hung job waiting on a peer, a data loader stall).`,
        runbook_url: GPU_RUNBOOK_URLS.exporter,
      },
    }),
    alert({
      alert: 'GpuLost',
      expr:
        `((max by (node, Hostname, gpu, UUID, modelName) (max_over_time(DCGM_FI_DEV_GPU_TEMP[${t.lostLookback}]))` +
        ` unless on (node, gpu, UUID) DCGM_FI_DEV_GPU_TEMP) and on (node) kube_node_info)` +
        ` or (up{job="${DCGM_JOB}"} == 0)`,
      for: t.lostFor,
      severity: 'critical',
      annotations: {
        summary: 'A GPU disappeared from a node, or the node\'s GPU exporter is down',
        description: `GPU {{ $labels.gpu }} ({{ $labels.UUID }}) on node {{ $labels.node }} was reported in the last ${t.lostLookback} but no longer is, or the dcgm-exporter on the node is down (target {{ $labels.instance }}). What to do: run nvidia-smi on the node; a missing GPU (often after Xid 79) needs a drain and reboot; a crashing exporter needs its logs (kubectl logs).`,
        runbook_url: GPU_RUNBOOK_URLS.exporter,
      },
    }),
  ];

  const exporter: AlertRule[] = [
    alert({
      alert: 'GpuAlertMetricsMissing',
      expr: GPU_SENTINEL_FIELDS.map(
        (f) => `label_replace(count by (node) (DCGM_FI_DEV_GPU_TEMP) unless on (node) count by (node) (${f}), "missing_field", "${f}", "", "")`,
      ).join(' or '),
      for: GPU_METRICS_MISSING_FOR,
      severity: 'warning',
      annotations: {
        summary: 'A GPU exporter reports temperatures but not the counters the GPU alerts need',
        description: `The dcgm-exporter on node {{ $labels.node }} has reported no {{ $labels.missing_field }} for ${GPU_METRICS_MISSING_FOR} while it reports GPU temperatures: it reads a counters file without the throttling, ECC and NVLink fields (the GPU Operator's default), so those alerts cannot fire there. What to do: with the GPU Operator, set the ClusterPolicy's spec.dcgmExporter.config.name to the counters ConfigMap mlobs writes (README "GPU Operator counters"); with your own exporter, add the fields to its counters CSV.`,
        runbook_url: GPU_RUNBOOK_URLS.exporter,
      },
    }),
  ];

  return [
    { name: 'mlobs-gpu-xid', rules: xid },
    { name: 'mlobs-gpu-memory', rules: memory },
    { name: 'mlobs-gpu-interconnect', rules: interconnect },
    { name: 'mlobs-gpu-thermal', rules: thermal },
    { name: 'mlobs-gpu-capacity', rules: capacity },
    { name: 'mlobs-gpu-exporter', rules: exporter },
  ];
}
