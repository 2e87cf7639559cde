/**
 * What acts on a node whose GPU failed fatally, as modules with one contract (the config's
 * `gpu.remediation.mode` picks one from {@link GPU_REMEDIATION_MODULES}; no `if` chains).
 *
 * - `responder`: the stack deploys its quarantine responder ({@link GpuQuarantineResponder}) and
 *   routes the fatal GPU alerts to it.
 * - `nvsentinel`: NVIDIA NVSentinel, installed by the team beside the stack, quarantines and
 *   remediates; it is not deployed by the stack, and this module deploys nothing. What the stack
 *   adds for it (scraping, its alerts and inhibitions) is composed separately.
 * - `none`: nothing acts; the alerts page humans only.
 */
import type { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { CommonConfig } from '../core/common';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import type { NetworkFlows } from '../core/network';
import type { GpuRemediationMode, GpuSettings } from './settings';
import type { HelmValues } from '../core/values';
import type { InhibitRuleSettings } from '../metrics/settings';
import type { PanelSpec } from '../contracts/dashboards';
import { renderPrometheusRule } from '../core/prometheus-rule';
import { GpuQuarantineResponder, type RemediationAlertmanager } from './quarantine-responder';
import { nvsentinelInhibitRules, nvsentinelKubeStateMetricsValues, nvsentinelPanels, renderNvsentinelPodMonitor, renderNvsentinelRuleGroups, NVSENTINEL_RULE_GROUP } from './nvsentinel';
import { renderGpuRuleGroups } from './gpu-rules';

/** Construct ID of the responder (a Terraform-visible scope: do not change). */
export const GPU_RESPONDER_ID = 'gpu-responder';

/** What a remediation module may use. */
export interface GpuRemediationContext {
  readonly common: CommonConfig;
  readonly gpu: GpuSettings;
  readonly resources: CustomResourceChart;
  readonly alertmanager: RemediationAlertmanager & {
    /** Inhibit rules the mode contributes (KubePrometheusStack.addInhibitRules). */
    addInhibitRules(rules: readonly InhibitRuleSettings[]): void;
    /** Chart values the mode contributes (KubePrometheusStack.addChartValues). */
    addChartValues(fragment: HelmValues): void;
  };
  /** What the custom resources wait for (the Prometheus Operator's CRDs). */
  readonly operatorRelease: ITerraformDependable;
  readonly network?: NetworkFlows;
  readonly dependsOn?: readonly ITerraformDependable[];
}

export interface GpuRemediationModule {
  readonly mode: GpuRemediationMode;
  /** Deploys what the mode needs into `scope`; the responder when it deploys one. */
  deploy(scope: Construct, ctx: GpuRemediationContext): GpuQuarantineResponder | undefined;
  /** Panels the mode adds to the GPU fleet dashboard. @default - none */
  readonly fleetPanels?: () => readonly PanelSpec[];
}

const responder: GpuRemediationModule = {
  mode: 'responder',
  deploy: (scope, ctx) =>
    new GpuQuarantineResponder(scope, GPU_RESPONDER_ID, {
      common: ctx.common,
      responder: ctx.gpu.remediation.responder,
      gpuNodeSelector: ctx.gpu.nodeSelector,
      resources: ctx.resources,
      alertmanager: ctx.alertmanager,
      ...(ctx.network ? { network: ctx.network } : {}),
      ...(ctx.dependsOn ? { dependsOn: ctx.dependsOn } : {}),
    }),
};

/**
 * NVSentinel runs outside the stack (the team installs it): the stack scrapes its modules, makes
 * kube-state-metrics expose the node labels and annotations it writes, alerts on its node states,
 * mutes the GPU health pages of a node it quarantined, and marks such nodes on the fleet dashboard.
 */
const nvsentinel: GpuRemediationModule = {
  mode: 'nvsentinel',
  deploy: (_scope, ctx) => {
    ctx.resources.add(renderPrometheusRule(NVSENTINEL_RULE_GROUP, renderNvsentinelRuleGroups(), ctx.common), [ctx.operatorRelease]);
    ctx.resources.add(renderNvsentinelPodMonitor({ common: ctx.common }), [ctx.operatorRelease]);
    ctx.alertmanager.addInhibitRules(nvsentinelInhibitRules(renderGpuRuleGroups(ctx.gpu.alerts)));
    ctx.alertmanager.addChartValues(nvsentinelKubeStateMetricsValues());
    return undefined;
  },
  fleetPanels: () => nvsentinelPanels(),
};

const none: GpuRemediationModule = { mode: 'none', deploy: () => undefined };

export const GPU_REMEDIATION_MODULES: Readonly<Record<GpuRemediationMode, GpuRemediationModule>> = { nvsentinel, responder, none };
