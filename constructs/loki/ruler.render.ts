/**
 * Loki ruler: the LogQL alerting rules components contribute (training: OOM, NaN loss, NCCL
 * timeout; gpu: Xid), gathered by the composition, evaluated by Loki on the stored lines and sent
 * to the stack's Alertmanager.
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
import type { LokiDeploymentMode } from './settings';

export { eventCount, LOKI_RULE_SOURCE_LABEL, LOKI_RULE_WINDOW } from '../contracts/log-rules';

/** The rules file the ruler loads for the tenant. */
export const LOKI_RULES_FILE = 'mlobs-ml-log-events.yaml';
/** Where the ruler reads rule files (local storage): `<dir>/<tenant>/<file>`. */
export const LOKI_RULES_DIR = '/etc/loki/rules';
/** The group the gathered log rules are evaluated in. */
export const LOKI_RULE_GROUP = 'mlobs-ml-log-events';

/** The LogQL alerts the components contributed, in one group (none: no group). */
export function renderLokiRuleGroups(rules: readonly AlertRule[]): readonly RuleGroup[] {
  return rules.length > 0 ? [{ name: LOKI_RULE_GROUP, interval: '1m', rules: [...rules] }] : [];
}

/** The rules file (Prometheus rule-file format, LogQL expressions). */
export function renderLokiRulesFile(groups: readonly RuleGroup[]): string {
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
