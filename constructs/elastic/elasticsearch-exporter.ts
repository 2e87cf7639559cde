import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { CommonConfig } from '../core/common';
import type { ScrapeTarget, Workload } from '../core/network';
import { PinnedRelease } from '../core/pinned-release';
import type { ResourceRequirements } from '../core/settings';
import type { HelmValues } from '../core/values';
import { CHARTS } from '../versions';
import type { ElasticsearchCluster } from './elasticsearch-cluster';
import { DEFAULT_ES_EXPORTER_RESOURCES } from './settings';

/** Helm release name of the Elasticsearch exporter (a Terraform-visible name: do not change). */
export const DEFAULT_ES_EXPORTER_RELEASE_NAME = 'elasticsearch-exporter';
/** The exporter's metrics port (the chart's `service.httpPort`). */
export const ES_EXPORTER_PORT = 9108;
/** Where the cluster's public HTTP CA Secret is mounted. */
const CA_DIR = '/ssl';

export interface EsExporterValuesProps {
  readonly common: CommonConfig;
  /** The cluster's HTTPS URL. */
  readonly url: string;
  /** Secret with the cluster's HTTP CA (`ca.crt`). */
  readonly caSecretName: string;
  /** The monitoring user's basic-auth Secret (`username`, `password`). */
  readonly userSecret: string;
  readonly resources?: ResourceRequirements;
}

/** Values of the pinned prometheus-elasticsearch-exporter chart: verified TLS with ECK's CA, its own user, a ServiceMonitor for the stack's Prometheus. */
export function renderEsExporterValues(p: EsExporterValuesProps): HelmValues {
  return {
    es: {
      uri: p.url,
      all: true,
      indices: true,
      shards: true,
      timeout: '30s',
      sslSkipVerify: false,
      ssl: { enabled: true, useExistingSecrets: true, ca: { path: `${CA_DIR}/ca.crt` }, client: { enabled: false } },
    },
    secretMounts: [{ name: 'es-ca', secretName: p.caSecretName, path: CA_DIR }],
    // The exporter reads ES_USERNAME/ES_PASSWORD (elasticsearch_exporter v1.11 main.go): never in the URI.
    extraEnvSecrets: { ES_USERNAME: { secret: p.userSecret, key: 'username' }, ES_PASSWORD: { secret: p.userSecret, key: 'password' } },
    resources: p.resources ?? DEFAULT_ES_EXPORTER_RESOURCES,
    serviceMonitor: { enabled: true, namespace: p.common.namespace, labels: { ...p.common.monitorSelector } },
  };
}

export interface ElasticsearchExporterProps {
  readonly common: CommonConfig;
  /** The cluster it reads. */
  readonly cluster: ElasticsearchCluster;
  /** @default DEFAULT_ES_EXPORTER_RESOURCES */
  readonly resources?: ResourceRequirements;
  /** The release waits for these (the namespace, the operator, kube-prometheus-stack for the ServiceMonitor CRD). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * prometheus-community's elasticsearch_exporter for the cluster: health, shards, node disk, the
 * series the stack's Elasticsearch alerts read. It reads as the `monitorUser` (role `mlobs_monitor`).
 */
export class ElasticsearchExporter extends Construct {
  readonly chart: PinnedRelease;
  readonly workload: Workload;
  readonly scrapeTargets: readonly ScrapeTarget[];

  constructor(scope: Construct, id: string, props: ElasticsearchExporterProps) {
    super(scope, id);
    const { common, cluster } = props;
    this.chart = new PinnedRelease(this, 'release', {
      chart: CHARTS.elasticsearchExporter,
      releaseName: DEFAULT_ES_EXPORTER_RELEASE_NAME,
      namespace: common.namespace,
      values: renderEsExporterValues({ common, url: cluster.url, caSecretName: cluster.caSecretName, userSecret: cluster.users.monitorUser, ...(props.resources ? { resources: props.resources } : {}) }),
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
    });
    this.workload = { name: 'elasticsearch-exporter', podSelector: { 'app.kubernetes.io/name': 'prometheus-elasticsearch-exporter', 'app.kubernetes.io/instance': DEFAULT_ES_EXPORTER_RELEASE_NAME } };
    this.scrapeTargets = [{ workload: this.workload, ports: [{ port: ES_EXPORTER_PORT }] }];
    cluster.allowClient(this.workload, 'the exporter reads cluster health and stats');
  }
}
