/**
 * How components write LogQL alert rules for the Loki ruler (kube-prometheus' mixin pattern: each
 * component contributes its rules, the composition gathers them into the Loki pipeline). Pure.
 */
import type { AlertRule } from '../core/prometheus-rule';
import type { EventName } from '../mllogs/schema';

/** Window in which one logged event raises its alert. */
export const LOKI_RULE_WINDOW = '10m';
/** Label that tells these alerts from the Prometheus ones on the same events. */
export const LOKI_RULE_SOURCE_LABEL = { source: 'loki-ruler' } as const;

/** A LogQL metric query counting lines of some events per label set, e.g. for `oom`. */
export function eventCount(event: EventName, by: readonly string[], window = LOKI_RULE_WINDOW): string {
  return `sum by (${by.join(', ')}) (count_over_time({event="${event}"}[${window}]))`;
}

/** A LogQL alert with its severity and component, marked as the Loki ruler's. */
export function logRule(a: Omit<AlertRule, 'labels'> & { readonly severity: AlertRule['labels']['severity']; readonly component: string }): AlertRule {
  const { severity, component, ...rest } = a;
  return { ...rest, labels: { severity, component, ...LOKI_RULE_SOURCE_LABEL } };
}
