/**
 * The stack's own alert rules: what kube-prometheus' default rules (which the chart also
 * installs) do not cover. Pure: no cdktf import.
 *
 * `PrometheusDeletingDataBeforeRetentionTime`: we set both a retention time and a retention
 * size (`retention.prometheus.time` / `sizeGiB`). When the size cap is reached Prometheus
 * silently deletes its oldest blocks, so the environment keeps less history than its config
 * promises. No default rule watches `prometheus_tsdb_size_retentions_total`; this one does.
 *
 * PromQL here is checked by promtool 3.14 and the live test on Prometheus 3.14 (the chart's version).
 */
import type { CommonConfig } from '../core/common';
import type { KubeManifest } from '../core/manifest';
import { renderPrometheusRule, type RuleGroup } from '../core/prometheus-rule';

/** Name of the PrometheusRule carrying the stack's own groups. */
export const STACK_RULES_NAME = 'mlobs-stack';

/** Name of the rule group (visible in Prometheus' /rules page). */
export const STACK_RULE_GROUP_NAME = 'mlobs.stack';

/**
 * Window over which a size-based block deletion keeps the alert firing. Once at the cap,
 * Prometheus deletes a block about every 2h (one per compaction), so 3h keeps it steady.
 */
export const DEFAULT_SIZE_RETENTION_WINDOW = '3h';

/** Upstream page on retention time and size (what to change, and why). */
export const RETENTION_RUNBOOK_URL = 'https://prometheus.io/docs/prometheus/latest/storage/#operational-aspects';

export interface StackRulesProps {
  readonly common: CommonConfig;
  /** The configured `retention.prometheus.time` (quoted in the alert's description). */
  readonly retentionTime: string;
}

/** The rule groups of the stack itself, as typed data. */
export function renderStackRuleGroups(props: StackRulesProps): RuleGroup[] {
  const ns = JSON.stringify(props.common.namespace);
  return [
    {
      name: STACK_RULE_GROUP_NAME,
      rules: [
        {
          alert: 'PrometheusDeletingDataBeforeRetentionTime',
          expr: `increase(prometheus_tsdb_size_retentions_total{namespace=${ns}}[${DEFAULT_SIZE_RETENTION_WINDOW}]) > 0`,
          labels: { severity: 'warning', component: 'platform' },
          annotations: {
            summary: 'Prometheus {{ $labels.pod }} is deleting data before its retention time',
            description:
              `Prometheus {{ $labels.namespace }}/{{ $labels.pod }} reached its size limit (retention.prometheus.sizeGiB) and deleted its oldest blocks in the last ${DEFAULT_SIZE_RETENTION_WINDOW}, ` +
              `so it keeps less than the configured ${props.retentionTime} (retention.prometheus.time). ` +
              'Raise retention.prometheus.sizeGiB together with prometheus.storage.sizeGiB, or shorten retention.prometheus.time.',
            runbook_url: RETENTION_RUNBOOK_URL,
          },
        },
      ],
    },
  ];
}

/** The PrometheusRule object for the stack's custom-resource chart. */
export function renderStackPrometheusRule(props: StackRulesProps): KubeManifest {
  return renderPrometheusRule(STACK_RULES_NAME, renderStackRuleGroups(props), props.common);
}
