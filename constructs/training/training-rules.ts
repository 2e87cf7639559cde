/**
 * Training alerts from the log-derived metrics (log-metrics-contract.ts), so that they work for
 * applications that cannot be changed; and stalled-job detection with kube-state-metrics.
 * Pure: no cdktf import. Annotation templates use only `{{ $labels.<name> }}` and `{{ $value }}`.
 */
import type { TrainingAlertSettings } from './settings';
import type { AlertRule, RuleGroup } from '../core/prometheus-rule';
import { ERROR_LINES_METRIC, LOG_EVENTS_METRIC, THROUGHPUT_UNIT_LABEL, TRAIN_METRICS as M, TRAIN_STEP_SECONDS_METRIC, TRAINING_EVENTS as E, logEvents } from '../contracts/log-metrics';
import { JOB_LABEL } from '../contracts/jobs';

import { TRAINING_COMPONENT, TRAINING_RUNBOOK_URLS } from '../contracts/components';
export { TRAINING_COMPONENT, TRAINING_RUNBOOK_URLS };
/** Window in which one logged event raises its alert. */
export const TRAINING_EVENT_WINDOW = '10m';


const pod = 'pod {{ $labels.namespace }}/{{ $labels.pod }}';
const byPod = `sum by (namespace, pod, container, framework, ${JOB_LABEL})`;
const job = `job {{ $labels.namespace }}/{{ $labels.${JOB_LABEL} }}`;
/** A job's series (log-derived or scraped): only those with a job name. */
const ofJobs = (metric: string): string => `${metric}{${JOB_LABEL}!=""}`;
const byJob = (extra = ''): string => `by (namespace, ${JOB_LABEL}${extra})`;

function alert(a: Omit<AlertRule, 'labels'> & { readonly severity: AlertRule['labels']['severity'] }): AlertRule {
  const { severity, ...rest } = a;
  return { ...rest, labels: { severity, component: TRAINING_COMPONENT } };
}

const meanStep = (window: string, offset?: string) => {
  const o = offset ? ` offset ${offset}` : '';
  return `(sum by (namespace, pod) (rate(${TRAIN_STEP_SECONDS_METRIC}_sum[${window}]${o})) / sum by (namespace, pod) (rate(${TRAIN_STEP_SECONDS_METRIC}_count[${window}]${o})))`;
};

export function renderTrainingRuleGroups(t: TrainingAlertSettings): readonly RuleGroup[] {
  const w = TRAINING_EVENT_WINDOW;
  const events: AlertRule[] = [
    alert({
      alert: 'TrainingOutOfMemory',
      expr: `${byPod} (increase(${logEvents(E.oom)}[${w}])) > 0`,
      severity: 'warning',
      annotations: {
        summary: 'A training job ran out of memory (CUDA or host)',
        description: `${pod} (container {{ $labels.container }}, {{ $labels.framework }}) logged an out-of-memory error in the last ${w}. What to do: read the OOM line in the job's logs; lower the batch size, enable gradient checkpointing or mixed precision, or set PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True against fragmentation; for host OOM raise the pod's memory limit.`,
        runbook_url: TRAINING_RUNBOOK_URLS.oom,
      },
    }),
    alert({
      alert: 'TrainingLossNotFinite',
      expr: `${byPod} (increase(${logEvents(E.nanLoss)}[${w}])) > 0`,
      severity: 'warning',
      annotations: {
        summary: 'A training job logged a NaN or infinite loss',
        description: `${pod} ({{ $labels.framework }}) logged a NaN/inf loss in the last ${w}; the run is likely diverging and burning GPU time. What to do: stop or roll back to the last good checkpoint; lower the learning rate, check for fp16 overflow (use bf16 or a loss scaler) and bad input data.`,
        runbook_url: TRAINING_RUNBOOK_URLS.nan,
      },
    }),
    alert({
      alert: 'TrainingNcclTimeout',
      expr: `${byPod} (increase(${logEvents(E.ncclTimeout)}[${w}])) > 0`,
      severity: 'critical',
      annotations: {
        summary: 'A distributed training job hit an NCCL watchdog timeout',
        description: `${pod} logged an NCCL watchdog timeout: a collective did not complete and every rank of the job is stuck or aborting. What to do: find the rank that stopped first (its logs, Xid/NVLink alerts on its node); restart the job from its last checkpoint, excluding a bad node; set NCCL_DEBUG=INFO to see the failing link.`,
        runbook_url: TRAINING_RUNBOOK_URLS.nccl,
      },
    }),
    alert({
      alert: 'TrainingNcclError',
      expr: `${byPod} (increase(${logEvents(E.ncclError)}[${w}])) > 0`,
      severity: 'warning',
      annotations: {
        summary: 'A distributed training job logged an NCCL error',
        description: `${pod} logged NCCL errors in the last ${w} (unhandled system/CUDA error, remote process exited, network error). What to do: look at the first NCCL WARN line on each rank; check the node's GPU/NVLink/network alerts; rerun with NCCL_DEBUG=INFO if the cause is not clear.`,
        runbook_url: TRAINING_RUNBOOK_URLS.nccl,
      },
    }),
    alert({
      alert: 'GpuXidInKernelLog',
      expr: `sum by (node) (increase(${logEvents(E.xid, E.gpuLost)}[${w}])) > 0`,
      severity: 'warning',
      annotations: {
        summary: 'The kernel log of a node reports NVIDIA Xid errors or a lost GPU',
        description: `Node {{ $labels.node }} logged NVRM Xid / GPU-lost lines in the last ${w}; DCGM misses some Xids, so this alert reads the kernel log. What to do: read the Xid code in the node's kernel log (the "mlobs / Training job" dashboard or dmesg) and follow NVIDIA's action for it; for 48, 63/64, 74, 79, 92, 94, 95, 119/120 drain the node.`,
        runbook_url: TRAINING_RUNBOOK_URLS.xid,
      },
    }),
  ];

  const progress: AlertRule[] = [
    alert({
      alert: 'TrainingJobStalled',
      expr:
        `(sum by (namespace, pod, ${JOB_LABEL}) (increase(${logEvents(E.progress)}[${t.stalledFor}])) == 0)` +
        ` and on (namespace, pod) (max by (namespace, pod) (kube_pod_status_phase{phase="Running"}) == 1)`,
      severity: 'warning',
      annotations: {
        summary: 'A training pod is running but stopped logging progress',
        description: `${pod} is Running but logged no training progress line for ${t.stalledFor}. What to do: the job is probably hung (NCCL collective waiting on a dead rank, a data loader deadlock, a full disk on checkpoint): check its last log lines and py-spy dump the process; restart from the last checkpoint if it does not recover.`,
        runbook_url: TRAINING_RUNBOOK_URLS.progress,
      },
    }),
    alert({
      alert: 'TrainingStepTimeRegression',
      expr: `${meanStep(t.stepTimeWindow)} > ${t.stepTimeRatio} * ${meanStep(t.stepTimeBaseline, t.stepTimeWindow)}`,
      for: t.stepTimeFor,
      severity: 'warning',
      annotations: {
        summary: 'A training job got slower than its own recent baseline',
        description: `${pod}: the mean step time over ${t.stepTimeWindow} is {{ $value }} s, more than ${t.stepTimeRatio}x its mean over the ${t.stepTimeBaseline} before. What to do: check the pod's GPUs for throttling, a slow or erroring NVLink/network link, a straggler rank, or an input pipeline stall (low GPU utilization on the GPU fleet dashboard).`,
        runbook_url: TRAINING_RUNBOOK_URLS.progress,
      },
    }),
  ];
  const recentMean = (metric: string, window: string, extra = '') => `avg ${byJob(extra)} (avg_over_time(${ofJobs(metric)}[${window}]))`;
  const baselineMean = (metric: string, window: string, before: string, extra = '') => `avg ${byJob(extra)} (avg_over_time(${ofJobs(metric)}[${window}] offset ${before}))`;
  const lossBase = baselineMean(M.loss, t.lossSpikeBaseline, t.lossSpikeWindow);
  const gradBase = baselineMean(M.gradNorm, t.gradNormBaseline, t.gradNormWindow);
  const unit = `, ${THROUGHPUT_UNIT_LABEL}`;
  const tputBase = baselineMean(M.throughput, t.throughputBaseline, t.throughputWindow, unit);
  const jobs: AlertRule[] = [
    alert({
      alert: 'TrainingLossSpike',
      expr: `(${recentMean(M.loss, t.lossSpikeWindow)} > ${t.lossSpikeRatio} * ${lossBase}) and (${lossBase} > 0)`,
      for: t.lossSpikeFor,
      severity: 'warning',
      annotations: {
        summary: 'A training job\'s loss jumped above its own recent baseline',
        description: `${job}: the mean loss over ${t.lossSpikeWindow} is {{ $value }}, more than ${t.lossSpikeRatio}x its mean over the ${t.lossSpikeBaseline} before. What to do: look at the loss curve and the learning rate on the "mlobs / Training job" dashboard; a spike after a learning-rate warmup or a data shard change often needs a lower peak learning rate, gradient clipping, or skipping the bad batch and resuming from the last checkpoint.`,
        runbook_url: TRAINING_RUNBOOK_URLS.nan,
      },
    }),
    alert({
      alert: 'TrainingGradientExplosion',
      expr: `(max ${byJob()} (max_over_time(${ofJobs(M.gradNorm)}[${t.gradNormWindow}])) > ${t.gradNormRatio} * ${gradBase}) and (${gradBase} > 0)`,
      for: t.gradNormFor,
      severity: 'warning',
      annotations: {
        summary: 'A training job\'s gradient norm exploded against its own baseline',
        description: `${job}: the largest gradient norm over ${t.gradNormWindow} is {{ $value }}, more than ${t.gradNormRatio}x its mean over the ${t.gradNormBaseline} before; a NaN loss often follows. What to do: enable or lower gradient clipping (max_grad_norm), lower the learning rate, check fp16 loss scaling, and look for a bad batch in the data.`,
        runbook_url: TRAINING_RUNBOOK_URLS.nan,
      },
    }),
    alert({
      alert: 'TrainingThroughputDrop',
      expr: `(${recentMean(M.throughput, t.throughputWindow, unit)} < ${t.throughputDropRatio} * ${tputBase}) and (${tputBase} > 0)`,
      for: t.throughputFor,
      severity: 'warning',
      annotations: {
        summary: 'A training job\'s throughput fell below its own recent baseline',
        description: `${job}: the mean throughput over ${t.throughputWindow} is {{ $value }} {{ $labels.${THROUGHPUT_UNIT_LABEL} }}, below ${t.throughputDropRatio}x its mean over the ${t.throughputBaseline} before. What to do: check the job's GPUs on the "mlobs / Training job" dashboard (utilization, throttling, memory), a straggler rank or a slow NVLink/network link, and the input pipeline (low GPU utilization means the data loader is the bottleneck).`,
        runbook_url: TRAINING_RUNBOOK_URLS.progress,
      },
    }),
    alert({
      alert: 'TrainingErrorLines',
      expr: `sum ${byJob()} (increase(${ofJobs(ERROR_LINES_METRIC)}[${t.errorLinesWindow}])) > ${t.errorLines}`,
      severity: 'warning',
      annotations: {
        summary: 'A training job is logging many error lines',
        description: `${job} logged {{ $value }} error-level lines in the last ${t.errorLinesWindow} (threshold ${t.errorLines}). What to do: read them in Grafana Explore ({${JOB_LABEL}="{{ $labels.${JOB_LABEL} }}", level=~"error|critical"}) or Kibana (mlobs.job); repeated errors from every rank usually share one cause (a missing file, a failed collective, a full disk).`,
        runbook_url: TRAINING_RUNBOOK_URLS.progress,
      },
    }),
  ];
  return [
    { name: 'mlobs-training-log-events', rules: events },
    { name: 'mlobs-training-progress', rules: progress },
    { name: 'mlobs-training-jobs', rules: jobs },
  ];
}

/** For tests and docs: the series names the training rules read. */
export const TRAINING_RULE_METRICS = [LOG_EVENTS_METRIC, `${TRAIN_STEP_SECONDS_METRIC}_sum`, `${TRAIN_STEP_SECONDS_METRIC}_count`, 'kube_pod_status_phase', M.loss, M.gradNorm, M.throughput, ERROR_LINES_METRIC] as const;
