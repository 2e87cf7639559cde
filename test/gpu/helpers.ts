/** Helpers for GPU/training rule tests: render the annotation templates as Prometheus does. */
import type { AlertRule, RuleGroup } from '../../constructs/core/prometheus-rule';
import { isAlertRule } from '../../constructs/core/prometheus-rule';

export function findAlert(groups: readonly RuleGroup[], name: string): AlertRule {
  for (const g of groups) for (const r of g.rules) if (isAlertRule(r) && r.alert === name) return r;
  throw new Error(`no alert ${name}`);
}

export function alertNames(groups: readonly RuleGroup[]): string[] {
  return groups.flatMap((g) => g.rules.filter(isAlertRule).map((r) => r.alert));
}

/**
 * The annotations of `alert` as Prometheus renders them for a series with `labels` and `value`
 * (our templates only use `{{ $labels.x }}` and `{{ $value }}`; a missing label renders empty).
 */
export function renderedAnnotations(alert: AlertRule, labels: Readonly<Record<string, string>>, value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(alert.annotations)) {
    out[k] = v.replace(/\{\{ \$labels\.([A-Za-z_][A-Za-z0-9_]*) \}\}/g, (_, l: string) => labels[l] ?? '').replace(/\{\{ \$value \}\}/g, value);
  }
  return out;
}
