/**
 * Alerting and recording rules as typed data, and the PrometheusRule object that carries them.
 * Pure: no cdktf import. Every alert must say how bad it is (`severity`), which part of the stack
 * it concerns (`component`), and what to do (`summary`, `description`, `runbook_url`): the
 * renderer refuses an alert without them.
 */
import type { CommonConfig } from './common';
import type { KubeManifest } from './manifest';

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface AlertRule {
  readonly alert: string;
  /** PromQL, checked by promtool 3.14 (the chart's Prometheus). */
  readonly expr: string;
  /** How long the condition must hold before firing, e.g. `5m`. @default - fire at once */
  readonly for?: string;
  /** `keep_firing_for` (Prometheus >= 2.42). @default - none */
  readonly keepFiringFor?: string;
  readonly labels: { readonly severity: Severity; readonly component: string } & Readonly<Record<string, string>>;
  readonly annotations: {
    readonly summary: string;
    readonly description: string;
    readonly runbook_url: string;
  } & Readonly<Record<string, string>>;
}

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export type Rule = AlertRule | RecordingRule;

export interface RuleGroup {
  readonly name: string;
  /** Evaluation interval. @default - Prometheus' global evaluation interval */
  readonly interval?: string;
  readonly rules: readonly Rule[];
}

export function isAlertRule(r: Rule): r is AlertRule {
  return 'alert' in r;
}

/** The rule group as Prometheus reads it (a rules file's `groups[]` entry). */
export function toPrometheusGroup(g: RuleGroup): Record<string, unknown> {
  return {
    name: g.name,
    ...(g.interval ? { interval: g.interval } : {}),
    rules: g.rules.map((r) =>
      isAlertRule(r)
        ? {
            alert: r.alert,
            expr: r.expr,
            ...(r.for ? { for: r.for } : {}),
            ...(r.keepFiringFor ? { keep_firing_for: r.keepFiringFor } : {}),
            labels: { ...r.labels },
            annotations: { ...r.annotations },
          }
        : { record: r.record, expr: r.expr, ...(r.labels ? { labels: { ...r.labels } } : {}) },
    ),
  };
}

/** Throws if a group breaks the house rules (duplicate alert names, missing annotations). */
export function checkRuleGroups(groups: readonly RuleGroup[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const g of groups) {
    if (g.rules.length === 0) problems.push(`group "${g.name}" has no rules`);
    for (const r of g.rules) {
      if (!isAlertRule(r)) continue;
      const where = `group "${g.name}", alert "${r.alert}"`;
      if (seen.has(r.alert)) problems.push(`${where}: the alert name is used twice`);
      seen.add(r.alert);
      if (!/^[A-Z][A-Za-z0-9]*$/.test(r.alert)) problems.push(`${where}: alert names are UpperCamelCase`);
      for (const k of ['summary', 'description', 'runbook_url'] as const) {
        if (!r.annotations[k]?.trim()) problems.push(`${where}: annotation "${k}" is empty`);
      }
      if (!/^https:\/\//.test(r.annotations.runbook_url)) problems.push(`${where}: runbook_url must be an https URL`);
      if (!(SEVERITIES as readonly string[]).includes(r.labels.severity)) problems.push(`${where}: severity "${r.labels.severity}" is not one of ${SEVERITIES.join(', ')}`);
    }
  }
  if (problems.length > 0) throw new Error(`invalid rule groups:\n  ${problems.join('\n  ')}`);
}

/**
 * A PrometheusRule carrying `groups`, labelled so that this stack's Prometheus selects it
 * (`common.monitorSelector`).
 */
export function renderPrometheusRule(name: string, groups: readonly RuleGroup[], common: CommonConfig): KubeManifest {
  checkRuleGroups(groups);
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name, namespace: common.namespace, labels: { ...common.labels, ...common.monitorSelector } },
    spec: { groups: groups.map(toPrometheusGroup) },
  };
}
