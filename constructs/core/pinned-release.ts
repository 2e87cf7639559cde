import { Construct } from 'constructs';
import { Lazy, type ITerraformDependable } from 'cdktf';
import { Release } from '@cdktf/provider-helm/lib/release';
import type { PinnedChart } from '../versions';
import { tfLiteral } from './terraform-literal';
import { deepMerge, toHelmValuesYaml, type HelmValues } from './values';
import { markStateful } from './stateful-mark';

export interface PinnedReleaseProps {
  /** The pinned chart (from `CHARTS`). */
  readonly chart: PinnedChart;
  /** Helm release name. */
  readonly releaseName: string;
  readonly namespace: string;
  /**
   * Values rendered by the component's pure renderer, or a function that renders them at
   * synthesis (for values that depend on objects wired after construction, e.g. datasources).
   */
  readonly values: HelmValues | (() => HelmValues);
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
  /**
   * Why the release holds data, if it does (its volumes, or the CRDs whose removal deletes
   * data): declared in the synthesized JSON for the preview and the construct-ID guard.
   * @default - not stateful
   */
  readonly stateful?: string;
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
  /** The Helm release name. */
  readonly releaseName: string;
  private readonly props: PinnedReleaseProps;

  constructor(scope: Construct, id: string, props: PinnedReleaseProps) {
    super(scope, id);
    this.props = props;
    this.releaseName = props.releaseName;
    this.release = new Release(this, 'release', {
      // Literal text for Terraform: `${...}` in values (Go templates, Alloy syntax) is not evaluated.
      ...tfLiteral({
        name: props.releaseName,
        namespace: props.namespace,
        repository: props.chart.repository,
        chart: props.chart.chart,
        version: props.chart.version,
      }),
      // Rendered at synthesis, when everything wired into the component is known.
      values: [Lazy.stringValue({ produce: () => tfLiteral(toHelmValuesYaml(this.values)) })],
      atomic: true,
      cleanupOnFail: true,
      wait: true,
      timeout: props.timeoutSeconds ?? DEFAULT_RELEASE_TIMEOUT_SECONDS,
      maxHistory: 10,
      createNamespace: false,
      dependencyUpdate: false,
      ...(props.dependsOn ? { dependsOn: [...props.dependsOn] } : {}),
    });
    if (props.stateful) markStateful(this.release, props.stateful);
  }

  /** The values as deployed (after overrides), for tests and wiring; rendered when read. */
  get values(): HelmValues {
    const v = this.props.values;
    return deepMerge(typeof v === 'function' ? v() : v, this.props.valuesOverrides);
  }
}
