/**
 * Dashboards with template variables (namespace, pod, node), on top of the metrics
 * component's builder, delivered as sidecar ConfigMaps like the metrics dashboards. Pure.
 */
import type { CommonConfig } from '../core/common';
import type { KubeManifest } from '../core/manifest';
import { buildDashboard, DASHBOARD_LABEL, DATASOURCE_UIDS, type DashboardSpec } from './dashboards';

/** A Grafana query variable over Prometheus label values. */
export interface DashboardVariable {
  /** Variable name, used as `$name` in queries. */
  readonly name: string;
  readonly label: string;
  /** Metric whose label values fill the variable. */
  readonly metric: string;
  /** The label. */
  readonly labelName: string;
  /** Allow several values and "All" (use `=~"$name"` in queries). @default false */
  readonly multi?: boolean;
}

export interface DashboardWithVariables {
  readonly spec: DashboardSpec;
  readonly variables: readonly DashboardVariable[];
}

/** The Grafana JSON model with its variables. */
export function buildDashboardWithVariables(d: DashboardWithVariables, opts: { readonly loki: boolean }): Record<string, unknown> {
  const prometheus = { type: 'prometheus' as const, uid: DATASOURCE_UIDS.prometheus };
  const model = buildDashboard(d.spec, { prometheus, ...(opts.loki ? { loki: { type: 'loki' as const, uid: DATASOURCE_UIDS.loki } } : {}) });
  const list = d.variables.map((v) => ({
    type: 'query',
    name: v.name,
    label: v.label,
    datasource: prometheus,
    query: { query: `label_values(${v.metric}, ${v.labelName})`, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    definition: `label_values(${v.metric}, ${v.labelName})`,
    refresh: 2,
    sort: 1,
    multi: v.multi ?? false,
    includeAll: v.multi ?? false,
    ...(v.multi ? { allValue: '.*' } : {}),
  }));
  return { ...model, templating: { list } };
}

/** A dashboard to deliver: a spec alone, or a spec with its template variables. */
export type AnyDashboard = DashboardSpec | DashboardWithVariables;
const withVariables = (d: AnyDashboard): d is DashboardWithVariables => 'spec' in d;
/** The uid a dashboard is delivered under. */
export const dashboardUid = (d: AnyDashboard): string => (withVariables(d) ? d.spec.uid : d.uid);

/**
 * Any dashboard as the ConfigMap the Grafana sidecar loads (label {@link DASHBOARD_LABEL}): the one
 * renderer every component's dashboards go through.
 */
export function renderDashboardConfigMap(d: AnyDashboard, common: CommonConfig, opts: { readonly loki: boolean }): KubeManifest {
  const uid = dashboardUid(d);
  const model = withVariables(d)
    ? buildDashboardWithVariables(d, opts)
    : buildDashboard(d, { prometheus: { type: 'prometheus', uid: DATASOURCE_UIDS.prometheus }, ...(opts.loki ? { loki: { type: 'loki', uid: DATASOURCE_UIDS.loki } } : {}) });
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `dashboard-${uid}`, namespace: common.namespace, labels: { ...common.labels, [DASHBOARD_LABEL.key]: DASHBOARD_LABEL.value } },
    data: { [`${uid}.json`]: JSON.stringify(model, null, 2) },
  };
}

/** @deprecated use {@link renderDashboardConfigMap} (same output). */
export function renderDashboardWithVariables(d: DashboardWithVariables, common: CommonConfig, opts: { readonly loki: boolean }): KubeManifest {
  return renderDashboardConfigMap(d, common, opts);
}
