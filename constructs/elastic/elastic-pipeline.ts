import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { EnvironmentSettings } from '../../config/schema/environment';
import type { CommonConfig } from '../core/common';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import type { KubeManifest } from '../core/manifest';
import { PinnedRelease } from '../core/pinned-release';
import type { HelmValues } from '../core/values';
import type { Tls } from '../tls/tls';
import { CHARTS, ELASTIC_STACK_VERSION } from '../versions';
import { renderEckOperatorValues } from './eck-operator.values';
import { renderElasticsearch } from './elasticsearch.render';
import { renderKibana } from './kibana.render';
import { esHttpService, esHttpUrl, esHttpCaSecret, kbHttpService, serviceDnsNames } from './names';

/** Helm release name of the ECK operator (a Terraform-visible name: do not change). */
export const DEFAULT_ECK_RELEASE_NAME = 'elastic-operator';

export interface ElasticPipelineProps {
  readonly common: CommonConfig;
  /** The environment's `elastic`, `elasticsearch`, `retention` and `tls` settings. */
  readonly settings: Pick<EnvironmentSettings, 'elastic' | 'elasticsearch' | 'retention' | 'tls'>;
  /** Where the ECK custom resources go (installed after the operator). */
  readonly resources: CustomResourceChart;
  /** TLS component; used when `elastic.httpCertificate` is `issuer`. @default - ECK's own CA */
  readonly tls?: Tls;
  /** Deep-merged last over the eck-operator values (the one escape hatch). @default - none */
  readonly valuesOverrides?: HelmValues;
  /** What the operator release waits for (the namespace; kube-prometheus-stack for the PodMonitor CRD). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The Elastic log pipeline through ECK: the operator (pinned chart, watching the stack
 * namespace, metrics scraped), an Elasticsearch cluster with node sets per tier, and Kibana.
 * Custom resources reach the cluster through the stack's generated chart, after the operator.
 */
export class ElasticPipeline extends Construct {
  /** The ECK operator release (its `release` is the helm_release escape hatch). */
  readonly operator: PinnedRelease;
  /** Name of the Elasticsearch and Kibana resources. */
  readonly name: string;
  /** The Elasticsearch custom resource as shipped. */
  readonly elasticsearch: KubeManifest;
  /** The Kibana custom resource as shipped. */
  readonly kibana: KubeManifest;

  constructor(scope: Construct, id: string, props: ElasticPipelineProps) {
    super(scope, id);
    const { common, settings: s } = props;
    const e = s.elastic;
    this.name = e.name;
    this.operator = new PinnedRelease(this, 'operator', {
      chart: CHARTS.eckOperator,
      releaseName: DEFAULT_ECK_RELEASE_NAME,
      namespace: common.namespace,
      values: renderEckOperatorValues({ common, resources: e.operator.resources }),
      ...(props.valuesOverrides ? { valuesOverrides: props.valuesOverrides } : {}),
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
    });
    const after = [this.operator.release];
    const issuer = e.httpCertificate === 'issuer' ? props.tls : undefined;
    if (e.httpCertificate === 'issuer' && !issuer) {
      throw new Error('elastic.httpCertificate is "issuer" but the stack has no tls component; please set: tls: { enabled: true, issuer: { kind: selfSigned } }');
    }
    const esCert = issuer?.certificateFor({ name: `${e.name}-es-http-tls`, dnsNames: serviceDnsNames(esHttpService(e.name), common.namespace) }).secretName;
    const kbCert = issuer?.certificateFor({ name: `${e.name}-kb-http-tls`, dnsNames: serviceDnsNames(kbHttpService(e.name), common.namespace) }).secretName;
    const tierOf = (t: 'warm' | 'cold') => {
      const x = e.tiers[t];
      return x ? { count: x.count, resources: x.resources, storage: x.storage, ...(x.jvmHeap ? { jvmHeap: x.jvmHeap } : {}) } : undefined;
    };
    const warm = tierOf('warm');
    const cold = tierOf('cold');
    this.elasticsearch = renderElasticsearch({
      name: e.name,
      namespace: common.namespace,
      labels: common.labels,
      version: ELASTIC_STACK_VERSION,
      hot: { count: s.elasticsearch.replicas, resources: s.elasticsearch.resources, storage: s.elasticsearch.storage, ...(e.jvmHeap ? { jvmHeap: e.jvmHeap } : {}) },
      tiers: { ...(warm ? { warm } : {}), ...(cold ? { cold } : {}) },
      antiAffinity: e.antiAffinity,
      ...(esCert ? { httpCertificateSecret: esCert } : {}),
    });
    this.kibana = renderKibana({
      name: e.name,
      namespace: common.namespace,
      labels: common.labels,
      version: ELASTIC_STACK_VERSION,
      elasticsearchName: e.name,
      count: e.kibana.count,
      resources: e.kibana.resources,
      ...(kbCert ? { httpCertificateSecret: kbCert } : {}),
    });
    props.resources.add(this.elasticsearch, after);
    props.resources.add(this.kibana, after);
  }

  /** The in-cluster HTTPS endpoint of Elasticsearch. */
  get url(): string {
    return esHttpUrl(this.name, this.elasticsearch.metadata.namespace ?? '');
  }

  /** The Secret with the CA clients use to verify Elasticsearch (`ca.crt`). */
  get caSecretName(): string {
    return esHttpCaSecret(this.name);
  }
}
