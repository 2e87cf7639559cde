import type { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import type { CommonConfig } from '../core/common';
import { renderedConfigMap } from '../core/config-map';
import { dashboardUid, renderDashboardConfigMap, type AnyDashboard } from './dashboard-variables';

/**
 * A component's dashboards as sidecar ConfigMaps, each with the construct ID `dashboard-<uid>` in
 * the component's scope (a Terraform address: do not change). Every component delivers its
 * dashboards through this one loop.
 */
export function addDashboards(
  scope: Construct,
  dashboards: readonly AnyDashboard[],
  common: CommonConfig,
  opts: { readonly loki: boolean; readonly dependsOn?: readonly ITerraformDependable[] | undefined },
): ConfigMapV1[] {
  return dashboards.map((d) => renderedConfigMap(scope, `dashboard-${dashboardUid(d)}`, renderDashboardConfigMap(d, common, { loki: opts.loki }), common.namespace, opts.dependsOn));
}
