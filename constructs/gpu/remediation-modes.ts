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
import { GpuQuarantineResponder, type RemediationAlertmanager } from './quarantine-responder';

/** Construct ID of the responder (a Terraform-visible scope: do not change). */
export const GPU_RESPONDER_ID = 'gpu-responder';

/** What a remediation module may use. */
export interface GpuRemediationContext {
  readonly common: CommonConfig;
  readonly gpu: GpuSettings;
  readonly resources: CustomResourceChart;
  readonly alertmanager: RemediationAlertmanager;
  readonly network?: NetworkFlows;
  readonly dependsOn?: readonly ITerraformDependable[];
}

export interface GpuRemediationModule {
  readonly mode: GpuRemediationMode;
  /** Deploys what the mode needs into `scope`; the responder when it deploys one. */
  deploy(scope: Construct, ctx: GpuRemediationContext): GpuQuarantineResponder | undefined;
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

/** NVSentinel runs outside the stack: accepted here, nothing deployed by this module. */
const nvsentinel: GpuRemediationModule = { mode: 'nvsentinel', deploy: () => undefined };

const none: GpuRemediationModule = { mode: 'none', deploy: () => undefined };

export const GPU_REMEDIATION_MODULES: Readonly<Record<GpuRemediationMode, GpuRemediationModule>> = { nvsentinel, responder, none };
