/**
 * "mlobs / Training job": one job's training curves (loss, learning rate, grad norm, throughput,
 * step, step time: the log-derived or scraped gauges of the contract) beside that job's GPUs
 * (dcgm-exporter's pod mapping, joined on the job's pods) and, when Loki is on, its log lines.
 * Variables: namespace, job (contracts/jobs.ts), and the job's pods.
 */
import { logql, logs, promql, stat, timeseries, type PanelSpec } from '../contracts/dashboards';
import type { DashboardWithVariables } from '../contracts/dashboard-variables';
import { ERROR_LINES_METRIC, LOG_EVENTS_METRIC, TRAIN_METRICS as M, TRAIN_STEP_SECONDS_METRIC } from '../contracts/log-metrics';
import { JOB_LABEL } from '../contracts/jobs';
import { EVENTS_SOURCE } from '../contracts/k8s-events';

/** Series that name a job's pods: any of its log-derived events or its step gauge. */
const JOB_SERIES = `{__name__=~"${LOG_EVENTS_METRIC}|${M.step}", namespace="$namespace", ${JOB_LABEL}="$job"}`;
/** The job's pods, as a set to join GPU series on. */
const JOB_PODS = `group by (namespace, pod) (${JOB_SERIES})`;
/** A job's series of a contract metric, for the chosen pods. */
const J = `namespace="$namespace", ${JOB_LABEL}="$job", pod=~"$pod"`;
/** A DCGM metric of the job's GPUs (the exporter labels a GPU with the pod using it). */
const gpu = (metric: string): string => `${metric}{namespace="$namespace", pod=~"$pod"} and on (namespace, pod) ${JOB_PODS}`;

export function trainingJobDashboard(opts: { readonly loki: boolean; readonly events?: boolean }): DashboardWithVariables {
  // the job's own lines: event streams (no pod label, which `pod=~".*"` would let through) are apart
  const lines = `{namespace="$namespace", ${JOB_LABEL}="$job", pod=~"$pod", source!="${EVENTS_SOURCE}"}`;
  const logPanels: PanelSpec[] = opts.loki
    ? [
        ...(opts.events ? [logs({ title: 'Kubernetes events of the job (OOMKilling, FailedScheduling, Evicted, BackOff...)', width: 24, queries: [logql(`{source="${EVENTS_SOURCE}", namespace="$namespace", ${JOB_LABEL}="$job"}`)] })] : []),
        logs({ title: 'Error, OOM, NaN, NCCL and Xid lines', width: 24, queries: [logql(`${lines} |~ "(?i)(error|out of memory|nan|nccl|xid|traceback)"`)] }),
        logs({ title: 'All log lines', width: 24, queries: [logql(lines)] }),
      ]
    : [];
  return {
    variables: [
      { name: 'namespace', label: 'Namespace', metric: 'kube_pod_info', labelName: 'namespace' },
      { name: 'job', label: 'Job', metric: `{__name__=~"${LOG_EVENTS_METRIC}|${M.step}", namespace="$namespace"}`, labelName: JOB_LABEL },
      { name: 'pod', label: 'Pod', metric: JOB_SERIES, labelName: 'pod', multi: true },
    ],
    spec: {
      uid: 'mlobs-training-job',
      title: 'mlobs / Training job',
      tags: ['mlobs', 'training', 'gpu'],
      panels: [
        stat({ title: 'GPUs in use', width: 6, queries: [promql(`count(${gpu('DCGM_FI_DEV_GPU_UTIL')}) or vector(0)`)] }),
        stat({ title: 'Mean GPU utilization', width: 6, unit: 'percent', queries: [promql(`avg(${gpu('DCGM_FI_DEV_GPU_UTIL')})`)] }),
        stat({ title: 'Error events (1h)', width: 6, queries: [promql(`sum(increase(${LOG_EVENTS_METRIC}{${J}, event=~"oom|nan_loss|nccl_error|nccl_timeout|traceback"}[1h])) or vector(0)`)] }),
        stat({ title: 'Training alerts firing', width: 6, queries: [promql(`count(ALERTS{alertstate="firing", component="training", namespace="$namespace", ${JOB_LABEL}="$job"}) or vector(0)`)] }),
        timeseries({ title: 'Loss', queries: [promql(`${M.loss}{${J}}`, '{{pod}}')] }),
        timeseries({ title: 'Learning rate', queries: [promql(`${M.learningRate}{${J}}`, '{{pod}}')] }),
        timeseries({ title: 'Gradient norm', queries: [promql(`${M.gradNorm}{${J}}`, '{{pod}}')] }),
        timeseries({ title: 'Throughput', queries: [promql(`${M.throughput}{${J}}`, '{{pod}} {{unit}}')] }),
        timeseries({ title: 'Step', queries: [promql(`max by (pod) (${M.step}{${J}})`, '{{pod}}')] }),
        timeseries({ title: 'Mean step time', unit: 's', queries: [promql(`sum by (pod) (rate(${TRAIN_STEP_SECONDS_METRIC}_sum{${J}}[5m])) / sum by (pod) (rate(${TRAIN_STEP_SECONDS_METRIC}_count{${J}}[5m]))`, '{{pod}}')] }),
        timeseries({ title: 'GPU utilization', unit: 'percent', queries: [promql(gpu('DCGM_FI_DEV_GPU_UTIL'), '{{pod}} {{node}} gpu{{gpu}}')] }),
        timeseries({ title: 'GPU memory used', unit: 'decmbytes', queries: [promql(gpu('DCGM_FI_DEV_FB_USED'), '{{pod}} {{node}} gpu{{gpu}}')] }),
        timeseries({ title: 'GPU temperature', unit: 'celsius', queries: [promql(gpu('DCGM_FI_DEV_GPU_TEMP'), '{{pod}} {{node}} gpu{{gpu}}')] }),
        timeseries({ title: 'GPU power', unit: 'watt', queries: [promql(gpu('DCGM_FI_DEV_POWER_USAGE'), '{{pod}} {{node}} gpu{{gpu}}')] }),
        timeseries({ title: 'Log events by type', queries: [promql(`sum by (event) (increase(${LOG_EVENTS_METRIC}{${J}}[5m]))`, '{{event}}')] }),
        timeseries({ title: 'Error lines', queries: [promql(`sum by (pod) (increase(${ERROR_LINES_METRIC}{${J}}[5m]))`, '{{pod}}')] }),
        ...logPanels,
      ],
    },
  };
}
