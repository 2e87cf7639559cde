/**
 * "mlobs / Training job": one job's GPUs (from dcgm-exporter's pod mapping) beside its
 * log-derived events, step time and, when Loki is on, its log lines. Variables: namespace, pod.
 */
import { logql, logs, promql, stat, timeseries, type PanelSpec } from '../contracts/dashboards';
import type { DashboardWithVariables } from '../contracts/dashboard-variables';
import { LOG_EVENTS_METRIC, TRAIN_STEP_SECONDS_METRIC } from '../contracts/log-metrics';

const P = 'namespace="$namespace", pod=~"$pod"';

export function trainingJobDashboard(opts: { readonly loki: boolean }): DashboardWithVariables {
  const logPanels: PanelSpec[] = opts.loki
    ? [
        logs({ title: 'Error, OOM, NaN, NCCL and Xid lines', width: 24, queries: [logql(`{${P}} |~ "(?i)(error|out of memory|nan|nccl|xid|traceback)"`)] }),
        logs({ title: 'All log lines', width: 24, queries: [logql(`{${P}}`)] }),
      ]
    : [];
  return {
    variables: [
      { name: 'namespace', label: 'Namespace', metric: 'kube_pod_info', labelName: 'namespace' },
      { name: 'pod', label: 'Pod', metric: `kube_pod_info{namespace="$namespace"}`, labelName: 'pod', multi: true },
    ],
    spec: {
      uid: 'mlobs-training-job',
      title: 'mlobs / Training job',
      tags: ['mlobs', 'training', 'gpu'],
      panels: [
        stat({ title: 'GPUs in use', width: 6, queries: [promql(`count(DCGM_FI_DEV_GPU_UTIL{${P}}) or vector(0)`)] }),
        stat({ title: 'Mean GPU utilization', width: 6, unit: 'percent', queries: [promql(`avg(DCGM_FI_DEV_GPU_UTIL{${P}})`)] }),
        stat({ title: 'Error events (1h)', width: 6, queries: [promql(`sum(increase(${LOG_EVENTS_METRIC}{${P}, event=~"oom|nan_loss|nccl_error|nccl_timeout|traceback"}[1h])) or vector(0)`)] }),
        stat({ title: 'Training alerts firing', width: 6, queries: [promql(`count(ALERTS{alertstate="firing", component="training", namespace="$namespace"}) or vector(0)`)] }),
        timeseries({ title: 'GPU utilization', unit: 'percent', queries: [promql(`DCGM_FI_DEV_GPU_UTIL{${P}}`, '{{pod}} {{node}} gpu{{gpu}}')] }),
        timeseries({ title: 'GPU memory used', unit: 'decmbytes', queries: [promql(`DCGM_FI_DEV_FB_USED{${P}}`, '{{pod}} {{node}} gpu{{gpu}}')] }),
        timeseries({ title: 'Mean step time', unit: 's', queries: [promql(`sum by (pod) (rate(${TRAIN_STEP_SECONDS_METRIC}_sum{${P}}[5m])) / sum by (pod) (rate(${TRAIN_STEP_SECONDS_METRIC}_count{${P}}[5m]))`, '{{pod}}')] }),
        timeseries({ title: 'Step time p90', unit: 's', queries: [promql(`histogram_quantile(0.9, sum by (pod, le) (rate(${TRAIN_STEP_SECONDS_METRIC}_bucket{${P}}[5m])))`, '{{pod}}')] }),
        timeseries({ title: 'Log events by type', width: 24, queries: [promql(`sum by (event) (increase(${LOG_EVENTS_METRIC}{${P}}[5m]))`, '{{event}}')] }),
        ...logPanels,
      ],
    },
  };
}
