/** A dashboard as a ConfigMap the Grafana sidecar loads. Pure: no cdktf import. */
import type { CommonConfig } from '../../core/common';
import type { KubeManifest } from '../../core/manifest';
import { DASHBOARD_LABEL, DATASOURCE_UIDS } from '../grafana.values';
import { buildDashboard, type DashboardSpec } from '../../contracts/dashboards';

export function renderDashboardConfigMap(spec: DashboardSpec, common: CommonConfig, opts: { readonly loki: boolean }): KubeManifest {
  const model = buildDashboard(spec, {
    prometheus: { type: 'prometheus', uid: DATASOURCE_UIDS.prometheus },
    ...(opts.loki ? { loki: { type: 'loki', uid: DATASOURCE_UIDS.loki } } : {}),
  });
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `dashboard-${spec.uid}`,
      namespace: common.namespace,
      labels: { ...common.labels, [DASHBOARD_LABEL.key]: DASHBOARD_LABEL.value },
    },
    data: { [`${spec.uid}.json`]: JSON.stringify(model, null, 2) },
  };
}
