/**
 * Training alerts from the log-derived metrics (log-metrics-contract.ts), so that they work for
 * applications that cannot be changed; and stalled-job detection with kube-state-metrics.
 * Pure: no cdktf import. Annotation templates use only `{{ $labels.<name> }}` and `{{ $value }}`.
 */
import type { TrainingAlertSettings } from './settings';
import type { AlertRule, RuleGroup } from '../core/prometheus-rule';
import { LOG_EVENTS_METRIC, TRAIN_STEP_SECONDS_METRIC, TRAINING_EVENTS as E, logEvents } from '../contracts/log-metrics';

import { TRAINING_COMPONENT, TRAINING_RUNBOOK_URLS } from '../contracts/components';
export { TRAINING_COMPONENT, TRAINING_RUNBOOK_URLS };
/** Window in which one logged event raises its alert. */
export const TRAINING_EVENT_WINDOW = '10m';


const pod = 'pod {{ $labels.namespace }}/{{ $labels.pod }}';
const byPod = 'sum by (namespace, pod, container, framework)';

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
        `(sum by (namespace, pod) (increase(${logEvents(E.progress)}[${t.stalledFor}])) == 0)` +
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
  return [
    { name: 'mlobs-training-log-events', rules: events },
    { name: 'mlobs-training-progress', rules: progress },
  ];
}

/** For tests and docs: the series names the training rules read. */
export const TRAINING_RULE_METRICS = [LOG_EVENTS_METRIC, `${TRAIN_STEP_SECONDS_METRIC}_sum`, `${TRAIN_STEP_SECONDS_METRIC}_count`, 'kube_pod_status_phase'] as const;
