import * as fs from 'node:fs';
import * as path from 'node:path';
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { CommonConfig } from '../core/common';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import type { NetworkFlows, Workload } from '../core/network';
import type { RemediationWebhook } from '../metrics/alertmanager-config.render';
import { RESPONDER_RUNTIME_FILES } from '../../responder/files';
import { DEFAULT_GPU_NODE_SELECTOR, DEFAULT_GPU_RESPONDER, type GpuResponderSettings } from './settings';
import { DEFAULT_RESPONDER_NAME, RESPONDER_PORT, renderQuarantineResponder, responderPodLabels, type RenderedQuarantineResponder } from './quarantine-responder.render';

/**
 * The package's compiled output (`dist/`): this file is `dist/constructs/gpu/quarantine-responder.js`,
 * in this repository and in an installed package alike (dist/ is what the package ships).
 */
export const COMPILED_ROOT = path.resolve(__dirname, '..', '..');

/** The compiled responder files (RESPONDER_RUNTIME_FILES) read from `root`, with a clear error when one is missing. */
export function readResponderFiles(root = COMPILED_ROOT): { key: string; path: string; content: string }[] {
  return RESPONDER_RUNTIME_FILES.map((f) => {
    const file = path.join(root, f.path);
    if (!fs.existsSync(file)) {
      throw new Error(`GpuQuarantineResponder: the compiled responder file ${file} is missing; build the package (npm run build) so that dist/${f.path} exists`);
    }
    return { ...f, content: fs.readFileSync(file, 'utf8') };
  });
}

/** Where Alertmanager is: its pods (for the NetworkPolicy) and the method that adds the route. */
export interface RemediationAlertmanager {
  readonly workloads: { readonly alertmanager: Workload };
  addRemediationWebhook(webhook: RemediationWebhook): void;
}

export interface GpuQuarantineResponderProps {
  readonly common: CommonConfig;
  /**
   * Safety settings and the token Secret (`tokenSecret` is required: Alertmanager authenticates with it).
   * @default - DEFAULT_GPU_RESPONDER, field by field (dry run, 2 nodes, 25%, one hour)
   * @see responder/README.md
   */
  readonly responder: Partial<GpuResponderSettings> & Pick<GpuResponderSettings, 'tokenSecret'>;
  /**
   * The GPU nodes' labels (the base of the percentage limit).
   * @default DEFAULT_GPU_NODE_SELECTOR
   */
  readonly gpuNodeSelector?: Readonly<Record<string, string>>;
  /** The stack's chart, which installs the responder's objects. */
  readonly resources: CustomResourceChart;
  /** Alertmanager: gets the route and receiver; the only workload admitted to the responder. */
  readonly alertmanager: RemediationAlertmanager;
  /** Where the flow Alertmanager → responder is recorded (its NetworkPolicy). @default - none recorded */
  readonly network?: NetworkFlows;
  /** Resources the chart waits for. @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** Where the compiled responder is read from. @default COMPILED_ROOT (this package's dist/) */
  readonly compiledRoot?: string;
}

/**
 * The GPU quarantine responder (`gpu.remediation.mode: responder`): a Deployment running the
 * compiled script of responder/ from a ConfigMap in the pinned official Node image, its
 * least-privilege RBAC and Service, the Alertmanager route and receiver that call it with a
 * bearer token, and a NetworkPolicy flow that admits only Alertmanager. It cordons and taints a
 * node whose GPU failed fatally; it never drains, resets, reboots or uncordons.
 */
export class GpuQuarantineResponder extends Construct {
  /** The rendered objects (installed by the stack's chart). */
  readonly rendered: RenderedQuarantineResponder;
  /** The settings in use, every default applied. */
  readonly settings: GpuResponderSettings;
  /** The responder's pods. */
  readonly workload: Workload;

  constructor(scope: Construct, id: string, props: GpuQuarantineResponderProps) {
    super(scope, id);
    const set = Object.fromEntries(Object.entries(props.responder).filter(([, v]) => v !== undefined)) as Partial<GpuResponderSettings>;
    this.settings = { ...DEFAULT_GPU_RESPONDER, ...set };
    const token = this.settings.tokenSecret;
    if (!token) {
      throw new Error(`${this.node.path}: props.responder.tokenSecret is required (Alertmanager authenticates with this token, never a literal); please set: responder: { tokenSecret: { name: mlobs-gpu-responder-token, key: token } }`);
    }
    this.rendered = renderQuarantineResponder({
      common: props.common,
      dryRun: this.settings.dryRun,
      maxNodes: this.settings.maxNodes,
      maxPercent: this.settings.maxPercent,
      windowSeconds: this.settings.windowSeconds,
      tokenSecret: token,
      resources: this.settings.resources,
      gpuNodeSelector: props.gpuNodeSelector ?? DEFAULT_GPU_NODE_SELECTOR,
      files: readResponderFiles(props.compiledRoot),
    });
    for (const m of this.rendered.manifests) props.resources.add(m, props.dependsOn ?? []);
    props.alertmanager.addRemediationWebhook(this.rendered.webhook);
    this.workload = { name: 'gpu-responder', podSelector: responderPodLabels(DEFAULT_RESPONDER_NAME) };
    props.network?.allow(props.alertmanager.workloads.alertmanager, this.workload, { port: RESPONDER_PORT }, 'Alertmanager calls the GPU quarantine responder');
  }
}
