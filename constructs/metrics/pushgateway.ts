import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { CommonConfig } from '../core/common';
import type { NetworkFlows, ScrapeTarget, Workload } from '../core/network';
import { PinnedRelease } from '../core/pinned-release';
import type { HelmValues } from '../core/values';
import { CHARTS } from '../versions';
import { DEFAULT_PUSHGATEWAY, type PushgatewayOptions } from './settings';

/** Helm release name of the Pushgateway (a Terraform-visible name: do not change). */
export const DEFAULT_PUSHGATEWAY_RELEASE_NAME = 'pushgateway';
/** The Pushgateway's HTTP port (pushes and /metrics). */
export const PUSHGATEWAY_PORT = 9091;

/** Values of the pinned prometheus-pushgateway chart: one replica, restricted, scraped with honor_labels. */
export function renderPushgatewayValues(common: CommonConfig, options: PushgatewayOptions = {}): HelmValues {
  return {
    fullnameOverride: 'mlobs-pushgateway',
    replicaCount: 1,
    resources: options.resources ?? DEFAULT_PUSHGATEWAY.resources,
    securityContext: { runAsNonRoot: true, runAsUser: 65534, fsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
    containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    // Pushed metrics live in memory only: a restart loses them (README: limits of the Pushgateway).
    persistentVolume: { enabled: false },
    serviceMonitor: {
      enabled: true,
      namespace: common.namespace,
      additionalLabels: { ...common.monitorSelector },
      // The pushed series keep their own job and instance (they name the batch job, not the Pushgateway).
      honorLabels: true,
    },
  };
}

export interface PushgatewayProps {
  readonly common: CommonConfig;
  /** @default - see {@link PushgatewayOptions} */
  readonly pushgateway?: PushgatewayOptions;
  /** Deep-merged last over the chart values. @default - none */
  readonly valuesOverrides?: HelmValues;
  /** The release waits for these (the namespace; kube-prometheus-stack for the ServiceMonitor CRD). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** Where it records its flows (pushers from any namespace). @default - none recorded */
  readonly network?: NetworkFlows;
}

/**
 * The Prometheus Pushgateway for batch and short-lived jobs that end before they can be scraped:
 * they push their final metrics, Prometheus scrapes the Pushgateway with `honor_labels`. Not a
 * replacement for scraping long-running training jobs (README: its limits).
 */
export class Pushgateway extends Construct {
  readonly chart: PinnedRelease;
  readonly workload: Workload;
  readonly scrapeTargets: readonly ScrapeTarget[];
  /** The in-cluster URL jobs push to (`<url>/metrics/job/<job>`). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: PushgatewayProps) {
    super(scope, id);
    const { common } = props;
    this.chart = new PinnedRelease(this, 'release', {
      chart: CHARTS.pushgateway,
      releaseName: DEFAULT_PUSHGATEWAY_RELEASE_NAME,
      namespace: common.namespace,
      values: renderPushgatewayValues(common, props.pushgateway),
      ...(props.valuesOverrides ? { valuesOverrides: props.valuesOverrides } : {}),
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
    });
    this.workload = { name: 'pushgateway', podSelector: { 'app.kubernetes.io/name': 'prometheus-pushgateway', 'app.kubernetes.io/instance': DEFAULT_PUSHGATEWAY_RELEASE_NAME } };
    this.scrapeTargets = [{ workload: this.workload, ports: [{ port: PUSHGATEWAY_PORT }] }];
    this.url = `http://mlobs-pushgateway.${common.namespace}.svc:${PUSHGATEWAY_PORT}`;
    // Batch jobs push from their own namespaces.
    props.network?.allow({ name: 'pushers', podSelector: {}, namespaceSelector: {} }, this.workload, { port: PUSHGATEWAY_PORT }, 'batch jobs push their metrics to the Pushgateway');
  }
}
