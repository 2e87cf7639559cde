import * as fs from 'node:fs';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { Lazy, TerraformStack, dependable, type ITerraformDependable } from 'cdktf';
import { addCustomSynthesis } from 'cdktf/lib/synthesize/synthesizer';
import { Release } from '@cdktf/provider-helm/lib/release';
import type { KubeManifest } from './manifest';
import { tfLiteral } from './terraform-literal';
import { renderCustomResourceChart, type RenderedChart } from './custom-resource-chart.render';
import { STATEFUL_REASONS } from './stateful';
import { markStateful } from './stateful-mark';

export interface CustomResourceChartProps {
  /** Chart and release name. @default mlobs-resources */
  readonly name?: string;
  readonly namespace: string;
}

/**
 * Ships the stack's own custom resources as a local Helm chart generated at synth time and
 * installed by one `helm_release` after every operator release that owns their CRDs. This
 * makes `cdktf deploy <env>` work in one apply on an empty cluster (no CRD needed at plan).
 *
 * The chart is written to `cdktf.out/stacks/<env>/charts/<name>-<hash>/`; its path and
 * version change with its content, so Terraform sees every change to a resource.
 */
export class CustomResourceChart extends Construct {
  readonly release: Release;
  private readonly manifests: KubeManifest[] = [];
  private readonly after: ITerraformDependable[] = [];
  private readonly chartName: string;
  private cached?: RenderedChart;

  constructor(scope: Construct, id: string, props: CustomResourceChartProps) {
    super(scope, id);
    this.chartName = props.name ?? 'mlobs-resources';
    this.release = new Release(this, 'release', {
      ...tfLiteral({ name: this.chartName, namespace: props.namespace }),
      chart: Lazy.stringValue({ produce: () => this.chartPath() }),
      version: Lazy.stringValue({ produce: () => this.rendered().version }),
      atomic: true,
      cleanupOnFail: true,
      wait: true,
      timeout: 300,
      maxHistory: 10,
      createNamespace: false,
    });
    markStateful(this.release, STATEFUL_REASONS.customResources);
    addCustomSynthesis(this, {
      onSynthesize: (session) => {
        const stack = TerraformStack.of(this);
        const stackDir = path.join(session.manifest.outdir, session.manifest.forStack(stack).synthesizedStackPath, '..');
        this.writeTo(path.join(stackDir, this.chartPath()));
      },
    });
  }

  /**
   * Adds a custom resource. `after` names the releases (operators) that must be installed
   * first, typically the one that installs the resource's CRD.
   */
  add(manifest: KubeManifest, after: readonly ITerraformDependable[] = []): void {
    if (this.cached) throw new Error(`${this.node.path}: cannot add ${manifest.kind} "${manifest.metadata.name}" after the chart was rendered`);
    this.manifests.push(manifest);
    this.installAfter(...after);
  }

  /**
   * Installs the chart after these releases or resources (once each). `depends_on` gets bare
   * references (`helm_release.x`): Terraform and OpenTofu refuse `${...}` there.
   */
  installAfter(...after: readonly ITerraformDependable[]): void {
    for (const d of after) {
      if (this.after.includes(d)) continue;
      this.after.push(d);
      this.release.dependsOn = [...(this.release.dependsOn ?? []), dependable(d)];
    }
  }

  /** The manifests added so far (in order). */
  get resources(): readonly KubeManifest[] {
    return this.manifests;
  }

  /** The rendered chart (computed once, at synthesis). */
  rendered(): RenderedChart {
    this.cached ??= renderCustomResourceChart({
      name: this.chartName,
      description: 'Custom resources of the mlobs observability stack (generated; do not edit)',
      manifests: this.manifests,
    });
    return this.cached;
  }

  /** Path of the chart relative to the stack's Terraform working directory. */
  chartPath(): string {
    return `./charts/${this.chartName}-${this.rendered().hash.slice(0, 12)}`;
  }

  /** Writes the chart's files into `dir` (replacing it). */
  writeTo(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [rel, text] of Object.entries(this.rendered().files)) {
      const target = path.join(dir, rel);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, text);
    }
  }
}
