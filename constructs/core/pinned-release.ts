import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { Release } from '@cdktf/provider-helm/lib/release';
import type { PinnedChart } from '../versions';
import { tfLiteral } from './terraform-literal';
import { deepMerge, toHelmValuesYaml, type HelmValues } from './values';

export interface PinnedReleaseProps {
  /** The pinned chart (from `CHARTS`). */
  readonly chart: PinnedChart;
  /** Helm release name. */
  readonly releaseName: string;
  readonly namespace: string;
  /** Values rendered by the component's pure renderer. */
  readonly values: HelmValues;
  /**
   * Deep-merged last over `values`: the one escape hatch for settings the typed props do not
   * cover. Maps merge; lists and scalars replace; `null` removes a key.
   * @default - no overrides
   */
  readonly valuesOverrides?: HelmValues;
  /**
   * Seconds Helm waits for the release's resources to become ready.
   * @default 600
   */
  readonly timeoutSeconds?: number;
  /** Releases or resources that must exist first. @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

export const DEFAULT_RELEASE_TIMEOUT_SECONDS = 600;

/**
 * A `helm_release` of a pinned chart with the settings an operator expects: exact version,
 * wait for readiness, roll back a failed upgrade (`atomic`), bounded history, never create
 * the namespace (the stack owns it) and never update dependencies at deploy time.
 */
export class PinnedRelease extends Construct {
  /** The underlying helm_release (escape hatch). */
  readonly release: Release;
  /** The values as deployed (after overrides), for tests and wiring. */
  readonly values: HelmValues;
  /** The Helm release name. */
  readonly releaseName: string;

  constructor(scope: Construct, id: string, props: PinnedReleaseProps) {
    super(scope, id);
    this.values = deepMerge(props.values, props.valuesOverrides);
    this.releaseName = props.releaseName;
    this.release = new Release(this, 'release', {
      // Literal text for Terraform: `${...}` in values (Go templates, Alloy syntax) is not evaluated.
      ...tfLiteral({
        name: props.releaseName,
        namespace: props.namespace,
        repository: props.chart.repository,
        chart: props.chart.chart,
        version: props.chart.version,
        values: [toHelmValuesYaml(this.values)],
      }),
      atomic: true,
      cleanupOnFail: true,
      wait: true,
      timeout: props.timeoutSeconds ?? DEFAULT_RELEASE_TIMEOUT_SECONDS,
      maxHistory: 10,
      createNamespace: false,
      dependencyUpdate: false,
      ...(props.dependsOn ? { dependsOn: [...props.dependsOn] } : {}),
    });
  }
}
