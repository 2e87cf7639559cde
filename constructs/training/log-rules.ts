/** The training component's LogQL alerts for the Loki ruler (its log-rule mixin). Pure. */
import type { AlertRule } from '../core/prometheus-rule';
import { TRAINING_COMPONENT, TRAINING_RUNBOOK_URLS } from '../contracts/components';
import { TRAINING_EVENTS } from '../contracts/log-metrics';
import { eventCount, logRule, LOKI_RULE_WINDOW } from '../contracts/log-rules';

const POD = ['namespace', 'pod', 'container', 'framework'] as const;
const pod = 'pod {{ $labels.namespace }}/{{ $labels.pod }}';

/** Out-of-memory, non-finite loss and NCCL timeout lines, per pod. */
export function trainingLogRules(): readonly AlertRule[] {
  const w = LOKI_RULE_WINDOW;
  return [
    logRule({
      alert: 'LogTrainingOutOfMemory',
      expr: `${eventCount(TRAINING_EVENTS.oom, POD)} > 0`,
      severity: 'warning',
      component: TRAINING_COMPONENT,
      annotations: {
        summary: 'A training job logged an out-of-memory error (Loki ruler)',
        description: `${pod} (container {{ $labels.container }}, {{ $labels.framework }}) logged {{ $value }} out-of-memory line(s) in the last ${w}. What to do: read the line in Grafana Explore ({event="oom"}); lower the batch size, enable gradient checkpointing or mixed precision; for host OOM raise the pod's memory limit.`,
        runbook_url: TRAINING_RUNBOOK_URLS.oom,
      },
    }),
    logRule({
      alert: 'LogTrainingLossNotFinite',
      expr: `${eventCount(TRAINING_EVENTS.nanLoss, POD)} > 0`,
      severity: 'warning',
      component: TRAINING_COMPONENT,
      annotations: {
        summary: 'A training job logged a NaN or infinite loss (Loki ruler)',
        description: `${pod} ({{ $labels.framework }}) logged a NaN/inf loss in the last ${w}; the run is likely diverging. What to do: stop or roll back to the last good checkpoint; lower the learning rate, check for fp16 overflow and bad input data.`,
        runbook_url: TRAINING_RUNBOOK_URLS.nan,
      },
    }),
    logRule({
      alert: 'LogTrainingNcclTimeout',
      expr: `${eventCount(TRAINING_EVENTS.ncclTimeout, POD)} > 0`,
      severity: 'critical',
      component: TRAINING_COMPONENT,
      annotations: {
        summary: 'A distributed training job hit an NCCL timeout (Loki ruler)',
        description: `${pod} logged an NCCL collective timeout in the last ${w}; the job is hung or about to be killed by its watchdog. What to do: look for the rank that stopped first (its OOM, Xid or exit), check the network fabric, set NCCL_DEBUG=INFO and restart from the last checkpoint.`,
        runbook_url: TRAINING_RUNBOOK_URLS.nccl,
      },
    }),
  ];
}
