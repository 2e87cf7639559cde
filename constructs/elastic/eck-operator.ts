import type { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { CommonConfig } from '../core/common';
import { KUBE_API_SERVER, type NetworkFlows, type ScrapeTarget, type Workload } from '../core/network';
import { PinnedRelease } from '../core/pinned-release';
import type { ResourceRequirements } from '../core/settings';
import { STATEFUL_REASONS } from '../core/stateful';
import type { HelmValues } from '../core/values';
import { CHARTS } from '../versions';
import { DEFAULT_ECK_METRICS_PORT, renderEckOperatorValues } from './eck-operator.values';
import { ECK_WEBHOOK_PORT } from './names';
import { ELASTIC_DEFAULT_RESOURCES } from './settings';

/** Helm release name of the ECK operator (a Terraform-visible name: do not change). */
export const DEFAULT_ECK_RELEASE_NAME = 'elastic-operator';

export interface EckOperatorProps {
  readonly common: CommonConfig;
  /** The operator's requests and limits. @default ELASTIC_DEFAULT_RESOURCES.operator */
  readonly resources?: ResourceRequirements;
  /** Deep-merged last over the eck-operator values (the one escape hatch). @default - none */
  readonly valuesOverrides?: HelmValues;
  /** What the release waits for (the namespace; kube-prometheus-stack for the PodMonitor CRD). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** Where the operator records its flows (the API server calls its webhook). @default - none recorded */
  readonly network?: NetworkFlows;
}

/**
 * The ECK operator from its pinned chart, watching the stack namespace, metrics scraped. It
 * owns the Elastic custom resources' lifecycle: uninstalling it orphans them (stateful).
 * Elasticsearch, Logstash and Filebeat take it as `operator` and install after it.
 */
export class EckOperator extends PinnedRelease {
  /** The operator's pods. */
  readonly workload: Workload;
  /** What the chart's PodMonitor scrapes. */
  readonly scrapeTargets: readonly ScrapeTarget[];
  /** What custom resources wait for: the operator's release (its CRDs and webhook). */
  readonly installed: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: EckOperatorProps) {
    const { common } = props;
    super(scope, id, {
      chart: CHARTS.eckOperator,
      releaseName: DEFAULT_ECK_RELEASE_NAME,
      stateful: STATEFUL_REASONS.eckOperator,
      namespace: common.namespace,
      values: renderEckOperatorValues({ common, resources: props.resources ?? ELASTIC_DEFAULT_RESOURCES.operator }),
      ...(props.valuesOverrides ? { valuesOverrides: props.valuesOverrides } : {}),
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
    });
    this.workload = { name: 'elastic-operator', podSelector: { 'app.kubernetes.io/name': 'elastic-operator', 'app.kubernetes.io/instance': DEFAULT_ECK_RELEASE_NAME } };
    this.scrapeTargets = [{ workload: this.workload, ports: [{ port: DEFAULT_ECK_METRICS_PORT }] }];
    this.installed = [this.release];
    props.network?.allow(KUBE_API_SERVER, this.workload, { port: ECK_WEBHOOK_PORT }, 'the API server calls the ECK validating webhook');
  }
}
