/**
 * Loki ruler: LogQL alerting rules for the catalog's critical events (OOM, NaN loss, NCCL
 * timeout, Xid), evaluated by Loki on the stored lines and sent to the stack's Alertmanager.
 * A second path beside the Prometheus alerts on the log-derived metrics: it works even when the
 * collector's metrics stage is not scraped. Pure: no cdktf import.
 *
 * Delivery: the chart mounts `ruler.directories.<tenant>` from a ConfigMap named
 * `<release>-<target>-rules-<tenant>` in the pods that run the ruler (single-binary or backend)
 * but creates that ConfigMap only in the Distributed mode; the Loki construct creates it
 * ({@link lokiRulesConfigMapName}) and the rule files live under `/etc/loki/rules/<tenant>/`.
 * @see https://grafana.com/docs/loki/latest/alert/
 */
import { stringify } from 'yaml';
import { checkRuleGroups, toPrometheusGroup, type AlertRule, type RuleGroup } from '../core/prometheus-rule';
import { GPU_COMPONENT } from '../contracts/components';
import { XID_DOCS_URL } from '../contracts/xid';
import { TRAINING_COMPONENT, TRAINING_RUNBOOK_URLS } from '../contracts/components';
import { TRAINING_EVENTS } from '../contracts/log-metrics';
import type { EventName } from '../mllogs/schema';
import type { LokiDeploymentMode } from './settings';

/** The rules file the ruler loads for the tenant. */
export const LOKI_RULES_FILE = 'mlobs-ml-log-events.yaml';
/** Window in which one logged event raises its alert. */
export const LOKI_RULE_WINDOW = '10m';
/** Where the ruler reads rule files (local storage): `<dir>/<tenant>/<file>`. */
export const LOKI_RULES_DIR = '/etc/loki/rules';
/** Label that tells these alerts from the Prometheus ones on the same events. */
export const LOKI_RULE_SOURCE_LABEL = { source: 'loki-ruler' } as const;

/** A LogQL metric query counting lines of some events per pod, e.g. for `oom`. */
export function eventCount(event: EventName, by: readonly string[], window = LOKI_RULE_WINDOW): string {
  return `sum by (${by.join(', ')}) (count_over_time({event="${event}"}[${window}]))`;
}

const POD = ['namespace', 'pod', 'container', 'framework'] as const;
const pod = 'pod {{ $labels.namespace }}/{{ $labels.pod }}';

function rule(a: Omit<AlertRule, 'labels'> & { readonly severity: AlertRule['labels']['severity']; readonly component: string }): AlertRule {
  const { severity, component, ...rest } = a;
  return { ...rest, labels: { severity, component, ...LOKI_RULE_SOURCE_LABEL } };
}

/** The LogQL alert groups. */
export function renderLokiRuleGroups(): readonly RuleGroup[] {
  const w = LOKI_RULE_WINDOW;
  return [
    {
      name: 'mlobs-ml-log-events',
      interval: '1m',
      rules: [
        rule({
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
        rule({
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
        rule({
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
        rule({
          alert: 'LogGpuXidError',
          expr: `${eventCount(TRAINING_EVENTS.xid, ['node'])} > 0`,
          severity: 'critical',
          component: GPU_COMPONENT,
          annotations: {
            summary: 'The kernel log of a node reports an NVIDIA Xid error (Loki ruler)',
            description: `Node {{ $labels.node }} logged {{ $value }} NVIDIA Xid line(s) in the last ${w}. What to do: read the Xid code in Grafana Explore ({app="kernel", event="xid"}) and follow NVIDIA's table (e.g. 48/79: drain the node and reset or replace the GPU).`,
            runbook_url: XID_DOCS_URL,
          },
        }),
      ],
    },
  ];
}

/** The rules file (Prometheus rule-file format, LogQL expressions). */
export function renderLokiRulesFile(groups: readonly RuleGroup[] = renderLokiRuleGroups()): string {
  checkRuleGroups(groups);
  return stringify({ groups: groups.map(toPrometheusGroup) }, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** The pod target that runs the ruler in a deployment mode. */
export function rulerTarget(mode: LokiDeploymentMode): 'single-binary' | 'backend' {
  return mode === 'scalable' ? 'backend' : 'single-binary';
}

/** Name of the ConfigMap the chart mounts for a tenant's rules directory (the chart's `loki.resourceName`). */
export function lokiRulesConfigMapName(release: string, mode: LokiDeploymentMode, tenant: string): string {
  return `${release}-${rulerTarget(mode)}-rules-${tenant}`;
}
