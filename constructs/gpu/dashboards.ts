/**
 * "mlobs / GPU fleet": utilization, memory, temperature against the alert limits, power,
 * throttling and errors, per node, per GPU and per pod. Pure data.
 */
import type { GpuAlertSettings } from './settings';
import { promql, stat, timeseries, type PanelSpec } from '../contracts/dashboards';
import type { DashboardWithVariables } from '../contracts/dashboard-variables';

const N = '{node=~"$node"}';
const gpuLegend = '{{node}} gpu{{gpu}} {{namespace}}/{{pod}}';

/** `extraPanels`: what the remediation mode adds (NVSentinel's quarantined nodes). */
export function gpuFleetDashboard(t: GpuAlertSettings, extraPanels: readonly PanelSpec[] = []): DashboardWithVariables {
  return {
    variables: [{ name: 'node', label: 'Node', metric: 'DCGM_FI_DEV_GPU_TEMP', labelName: 'node', multi: true }],
    spec: {
      uid: 'mlobs-gpu-fleet',
      title: 'mlobs / GPU fleet',
      tags: ['mlobs', 'gpu', 'dcgm'],
      panels: [
        stat({ title: 'GPUs reporting', width: 4, queries: [promql(`count(DCGM_FI_DEV_GPU_TEMP${N})`)] }),
        stat({ title: 'GPUs allocated to pods', width: 4, queries: [promql(`count(DCGM_FI_DEV_GPU_UTIL{node=~"$node", pod!=""}) or vector(0)`)] }),
        stat({ title: 'Mean GPU utilization', width: 4, unit: 'percent', queries: [promql(`avg(DCGM_FI_DEV_GPU_UTIL${N})`)] }),
        stat({ title: 'Framebuffer used', width: 4, unit: 'percentunit', queries: [promql(`sum(DCGM_FI_DEV_FB_USED${N}) / sum(DCGM_FI_DEV_FB_USED${N} + DCGM_FI_DEV_FB_FREE${N})`)] }),
        stat({ title: 'GPU alerts firing', width: 4, queries: [promql('count(ALERTS{alertstate="firing", component="gpu"}) or vector(0)')] }),
        stat({ title: 'Power draw', width: 4, unit: 'watt', queries: [promql(`sum(DCGM_FI_DEV_POWER_USAGE${N})`)] }),
        timeseries({ title: 'GPU utilization per GPU', unit: 'percent', queries: [promql(`DCGM_FI_DEV_GPU_UTIL${N}`, gpuLegend)] }),
        timeseries({ title: 'GPU utilization per pod', unit: 'percent', queries: [promql('avg by (namespace, pod) (DCGM_FI_DEV_GPU_UTIL{node=~"$node", pod!=""})', '{{namespace}}/{{pod}}')] }),
        timeseries({
          title: 'Framebuffer memory used',
          unit: 'percentunit',
          queries: [promql(`DCGM_FI_DEV_FB_USED${N} / (DCGM_FI_DEV_FB_USED${N} + DCGM_FI_DEV_FB_FREE${N})`, gpuLegend), promql(`vector(${t.memoryUsedFraction})`, 'alert threshold')],
        }),
        timeseries({
          title: 'Temperature against the alert limits',
          unit: 'celsius',
          queries: [
            promql(`DCGM_FI_DEV_GPU_TEMP${N}`, gpuLegend),
            promql(`vector(${t.temperatureWarningCelsius})`, 'warning'),
            promql(`vector(${t.temperatureCriticalCelsius})`, 'critical'),
          ],
        }),
        timeseries({ title: 'Power draw per GPU', unit: 'watt', queries: [promql(`DCGM_FI_DEV_POWER_USAGE${N}`, gpuLegend)] }),
        timeseries({
          title: 'Throttled time (thermal, power)',
          unit: 'percentunit',
          queries: [
            promql(`rate(DCGM_FI_DEV_THERMAL_VIOLATION${N}[5m]) / 1e9`, 'thermal {{node}} gpu{{gpu}}'),
            promql(`rate(DCGM_FI_DEV_POWER_VIOLATION${N}[5m]) / 1e9`, 'power {{node}} gpu{{gpu}}'),
          ],
        }),
        timeseries({ title: 'Tensor core activity (profiling)', unit: 'percentunit', queries: [promql(`DCGM_FI_PROF_PIPE_TENSOR_ACTIVE${N}`, gpuLegend)] }),
        timeseries({ title: 'Last Xid per GPU', queries: [promql(`DCGM_FI_DEV_XID_ERRORS${N} > 0`, 'Xid {{node}} gpu{{gpu}}')] }),
        timeseries({
          title: 'Memory and NVLink errors (1h)',
          queries: [
            promql(`increase(DCGM_FI_DEV_ECC_DBE_VOL_TOTAL${N}[1h])`, 'ECC DBE {{node}} gpu{{gpu}}'),
            promql(`increase(DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS${N}[1h])`, 'remapped rows {{node}} gpu{{gpu}}'),
            promql(`increase(DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL${N}[1h]) + increase(DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL${N}[1h])`, 'NVLink CRC {{node}} gpu{{gpu}}'),
          ],
        }),
        ...extraPanels,
      ],
    },
  };
}
