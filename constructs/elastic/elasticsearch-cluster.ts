import { Construct } from 'constructs';
import { checkStaticFields, NO_STATIC_FIELDS, staticFieldNames, type StaticFields } from '../contracts/log-volume';
import type { LogDatasource } from '../metrics/grafana.values';
import type { CommonConfig } from '../core/common';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import type { KubeManifest } from '../core/manifest';
import type { NetworkFlows, ScrapeTarget, Workload } from '../core/network';
import { serviceUrl } from '../core/urls';
import { checkJsonFields, DEFAULT_JSON_FIELDS, type JsonFieldType } from '../contracts/json-fields';
import type { Tls } from '../tls/tls';
import { ELASTIC_IMAGES, ELASTIC_STACK_VERSION } from '../versions';
import type { EckOperator } from './eck-operator';
import { renderElasticsearch, renderEsRoles } from './elasticsearch.render';
import { stringify } from 'yaml';
import { withDefaults } from '../core/settings';
import { renderIlmPolicy, renderIndexTemplate, type IlmPolicy } from './ilm.render';
import { mappedFields, renderKibanaObjects, type KibanaObjects } from './kibana-objects.render';
import { renderKibana, renderKibanaIngress } from './kibana.render';
import { eckPods, esHttpCaSecret, esHttpService, esHttpUrl, ES_HTTP_PORT, ES_TRANSPORT_PORT, kbHttpCaSecret, kbHttpService, kbHttpUrl, KB_HTTP_PORT, serviceDnsNames } from './names';
import { DEFAULT_ELASTIC_NAME, DEFAULT_ES_USERS, elasticsearchSettings, kibanaSettings, type ElasticUsers, type ElasticsearchOptions, type ElasticsearchSettings, type KibanaSettings } from './settings';
import { renderSetupFiles, renderSetupJob, SETUP_JOB_LABELS, SETUP_MOUNTS } from './setup-job.render';

/** What reading an existing Elasticsearch takes. */
export interface ElasticsearchAttributes {
  /** Its HTTPS URL, e.g. `https://logs-es-http.elastic.svc:9200`. */
  readonly url: string;
  /** Index pattern Grafana queries, e.g. `logs-ml-*`. */
  readonly index: string;
  /** Secret (in the stack namespace) whose `ca.crt` verifies the HTTP certificate. */
  readonly caSecretName: string;
  /** The basic-auth Secret (`username`, `password`) of the read-only user Grafana reads as. */
  readonly user: { readonly secretName: string };
}

/** An existing Elasticsearch, as wiring sees it (a Grafana log source). */
export interface ExistingElasticsearch {
  readonly grafanaLogDatasource: LogDatasource;
}

export interface ElasticsearchClusterProps {
  readonly common: CommonConfig;
  /** The ECK operator: the custom resources install after it. */
  readonly operator: EckOperator;
  /** Where the custom resources go (the stack's generated chart). */
  readonly resources: CustomResourceChart;
  /** Name of the Elasticsearch and Kibana resources; changing it recreates the cluster. @default DEFAULT_ELASTIC_NAME ('mlobs') */
  readonly name?: string;
  /** Node sets, HTTP certificate, data stream and ILM. @default - see {@link ElasticsearchOptions} */
  readonly elasticsearch?: ElasticsearchOptions;
  /** Kibana instances and resources. @default - one instance, ELASTIC_DEFAULT_RESOURCES.kibana */
  readonly kibana?: Partial<KibanaSettings>;
  /** The stack's own users' basic-auth Secrets (ECK file realm). @default DEFAULT_ES_USERS */
  readonly users?: Partial<ElasticUsers>;
  /** Team JSON fields mapped under `team.<name>` in the index template. @default DEFAULT_JSON_FIELDS */
  readonly jsonFields?: Readonly<Record<string, JsonFieldType>>;
  /** Static fields (contracts/log-volume.ts), mapped as `labels.<name>` keywords and set by Logstash. @default - none */
  readonly staticFields?: StaticFields;
  /** Kubernetes events are shipped into the data stream (KubernetesEvents): Kibana gets their saved searches and panel. @default false */
  readonly kubernetesEvents?: boolean;
  /** TLS component; required when `elasticsearch.httpCertificate` is 'issuer'. @default - ECK's own CA */
  readonly tls?: Tls;
  /** Where the cluster records its flows. @default - none recorded */
  readonly network?: NetworkFlows;
}

/**
 * Elasticsearch (node sets per tier) with Kibana through ECK, and the setup Job that applies the
 * ILM policy and index template and imports Kibana's saved objects (named after the hash of them,
 * so a change runs a new one). Clients join with {@link allowClient}; Grafana reads it as a
 * datasource through {@link grafanaLogDatasource}.
 */
export class ElasticsearchCluster extends Construct {
  /**
   * An Elasticsearch this stack did not create, for Grafana to read:
   * `metrics.addDatasource(ElasticsearchCluster.fromAttributes({ url, index, caSecretName, user }))`.
   */
  static fromAttributes(attrs: ElasticsearchAttributes): ExistingElasticsearch {
    serviceUrl(attrs.url, 'ElasticsearchCluster.fromAttributes: attrs.url');
    const elasticsearch = { url: attrs.url.replace(/\/+$/, ''), index: attrs.index, caSecretName: attrs.caSecretName, user: { secretName: attrs.user.secretName } };
    return { grafanaLogDatasource: { kind: 'elasticsearch', elasticsearch } };
  }

  /** Name of the Elasticsearch and Kibana resources. */
  readonly name: string;
  readonly namespace: string;
  /** The settings in use, every default applied. */
  readonly settings: ElasticsearchSettings;
  /** The Elasticsearch and Kibana custom resources as shipped. */
  readonly elasticsearch: KubeManifest;
  readonly kibana: KubeManifest;
  readonly ilmPolicy: IlmPolicy;
  readonly indexTemplate: Record<string, unknown>;
  /** The data stream writers write to (logs-<dataset>-<namespace>) and its parts. */
  readonly dataStream: string;
  readonly dataStreamParts: { readonly dataset: string; readonly namespace: string };
  readonly kibanaObjects: KibanaObjects;
  readonly setupJob: KubeManifest;
  /** The cluster's pods: Elasticsearch, Kibana, the setup Job. */
  readonly workloads: { readonly elasticsearch: Workload; readonly kibana: Workload; readonly setupJob: Workload };
  /** UIs exposed through an Ingress (Kibana, when asked): the ingress controller must reach them. */
  readonly ingressTargets: readonly ScrapeTarget[];
  /** The in-cluster HTTPS endpoint of Elasticsearch. */
  readonly url: string;
  /** The stack's own users' Secrets (Grafana's reader, the setup Job's). */
  readonly users: ElasticUsers;
  /** The team JSON fields the index template maps (writers copy them to `team.<name>`). */
  readonly jsonFields: Readonly<Record<string, JsonFieldType>>;
  /** The static fields the index maps and Logstash sets. */
  readonly staticFields: StaticFields;
  /** The Secret with the CA clients use to verify Elasticsearch (`ca.crt`). */
  readonly caSecretName: string;
  private readonly network?: NetworkFlows;

  constructor(scope: Construct, id: string, props: ElasticsearchClusterProps) {
    super(scope, id);
    const { common } = props;
    const s = elasticsearchSettings(props.elasticsearch);
    const kb = kibanaSettings(props.kibana);
    const name = props.name ?? DEFAULT_ELASTIC_NAME;
    const ns = common.namespace;
    this.settings = s;
    this.name = name;
    this.namespace = ns;
    this.url = esHttpUrl(name, ns);
    this.caSecretName = esHttpCaSecret(name);
    if (props.network) this.network = props.network;
    const after = props.operator.installed;
    const issuer = s.httpCertificate === 'issuer' ? props.tls : undefined;
    if (s.httpCertificate === 'issuer' && !issuer) {
      throw new Error(
        `${this.node.path}: props.elasticsearch.httpCertificate is "issuer" but props.tls is not set; pass tls: <the Tls component>, or set httpCertificate: 'eck' (in an environment file: tls: { enabled: true, issuer: { kind: selfSigned } })`,
      );
    }
    const esCert = issuer?.certificateFor({ name: `${name}-es-http-tls`, dnsNames: serviceDnsNames(esHttpService(name), ns) }).secretName;
    const kbCert = issuer?.certificateFor({ name: `${name}-kb-http-tls`, dnsNames: serviceDnsNames(kbHttpService(name), ns) }).secretName;
    const { warm, cold } = s.tiers;
    // The stack's own users and roles: nothing it runs uses the elastic superuser.
    const users = withDefaults<ElasticUsers>(DEFAULT_ES_USERS, props.users);
    this.users = users;
    const rolesSecret = `${name}-es-roles`;
    this.elasticsearch = renderElasticsearch({
      auth: { roles: [rolesSecret], fileRealm: [users.grafanaUser, users.setupUser, users.monitorUser] },
      name,
      namespace: ns,
      labels: common.labels,
      version: ELASTIC_STACK_VERSION,
      hot: { count: s.replicas, resources: s.resources, storage: s.storage, ...(s.jvmHeap ? { jvmHeap: s.jvmHeap } : {}) },
      tiers: { ...(warm ? { warm } : {}), ...(cold ? { cold } : {}) },
      antiAffinity: s.antiAffinity,
      ...(esCert ? { httpCertificateSecret: esCert } : {}),
    });
    this.kibana = renderKibana({
      name,
      namespace: ns,
      labels: common.labels,
      version: ELASTIC_STACK_VERSION,
      elasticsearchName: name,
      count: kb.count,
      resources: kb.resources,
      ...(kbCert ? { httpCertificateSecret: kbCert } : {}),
    });
    props.resources.add(
      // `data` (base64), as the API server stores it: `stringData` would not read back the same.
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: rolesSecret, namespace: ns, labels: { ...common.labels } }, type: 'Opaque', data: { 'roles.yml': Buffer.from(stringify(renderEsRoles(s.dataStream.dataset))).toString('base64') } },
      after,
    );
    props.resources.add(this.elasticsearch, after);
    props.resources.add(this.kibana, after);
    if (kb.ingress) {
      const host = kb.ingress.host;
      const uiTls = props.tls?.enabledFor('ui') ? props.tls.certificateFor({ name: `${name}-kibana-ui`, dnsNames: [host] }).secretName : undefined;
      props.resources.add(renderKibanaIngress({ name, namespace: ns, labels: common.labels, host, className: kb.ingress.className, ...(uiTls ? { tlsSecretName: uiTls } : {}) }));
    }

    // ILM policy + index template, applied in-cluster by a Job named after their hash.
    // "-" separates the parts of a data stream name, so an environment like prod-eu writes to logs-ml-prod_eu.
    const dataset = s.dataStream.dataset;
    const dsNamespace = s.dataStream.namespace ?? common.environment.replace(/-/g, '_');
    this.dataStreamParts = { dataset, namespace: dsNamespace };
    this.dataStream = `logs-${dataset}-${dsNamespace}`;
    const policyName = `${name}-logs-${dataset}`;
    this.ilmPolicy = renderIlmPolicy(s.retention, common.environment);
    this.jsonFields = checkJsonFields(props.jsonFields ?? DEFAULT_JSON_FIELDS, `${this.node.path}: props.jsonFields`);
    this.staticFields = checkStaticFields(props.staticFields ?? NO_STATIC_FIELDS, `${this.node.path}: props.staticFields`, Object.keys(this.jsonFields));
    this.indexTemplate = renderIndexTemplate({ dataset, policyName, replicas: Math.min(1, s.replicas - 1), totalFieldsLimit: s.totalFieldsLimit, jsonFields: this.jsonFields, staticFields: staticFieldNames(this.staticFields) });
    this.kibanaObjects = renderKibanaObjects({ dataStream: this.dataStream, fields: mappedFields(this.indexTemplate), kubernetesEvents: props.kubernetesEvents ?? false });
    const setup = renderSetupFiles({
      url: this.url,
      policyName,
      policy: this.ilmPolicy,
      templateName: policyName,
      template: this.indexTemplate,
      caFile: `${SETUP_MOUNTS.caDir}/ca.crt`,
      configDir: SETUP_MOUNTS.configDir,
      kibana: { url: kbHttpUrl(name, ns), caFile: `${SETUP_MOUNTS.kbCaDir}/ca.crt`, ndjson: this.kibanaObjects.ndjson },
    });
    const job = renderSetupJob({
      name: `${name}-es-setup-${setup.hash.slice(0, 10)}`,
      namespace: ns,
      labels: common.labels,
      image: `${ELASTIC_IMAGES.elasticsearch.repository}:${ELASTIC_IMAGES.elasticsearch.tag}`,
      userSecret: users.setupUser,
      esCaSecret: esHttpCaSecret(name),
      kbCaSecret: kbHttpCaSecret(name),
      files: setup.files,
    });
    this.setupJob = job.job;
    props.resources.add(job.configMap, after);
    props.resources.add(job.job, after);

    this.workloads = {
      elasticsearch: eckPods.elasticsearch(name),
      kibana: eckPods.kibana(name),
      setupJob: { name: 'es-setup', podSelector: { ...SETUP_JOB_LABELS } },
    };
    this.ingressTargets = kb.ingress ? [{ workload: this.workloads.kibana, ports: [{ port: KB_HTTP_PORT }] }] : [];
    const net = props.network;
    if (net) {
      const w = this.workloads;
      const es = { port: ES_HTTP_PORT };
      net.allow(props.operator.workload, w.elasticsearch, es, 'the ECK operator manages Elasticsearch through its API');
      net.allow(w.elasticsearch, w.elasticsearch, { port: ES_TRANSPORT_PORT }, 'Elasticsearch nodes form a cluster (transport)');
      net.allow(w.kibana, w.elasticsearch, es, 'Kibana reads and writes Elasticsearch');
      net.allow(w.setupJob, w.elasticsearch, es, 'the setup Job applies the ILM policy and index template');
      net.allow(w.setupJob, w.kibana, { port: KB_HTTP_PORT }, 'the setup Job imports the Kibana saved objects');
      // Every destination of these is known: DNS and the flows above.
      for (const x of [w.kibana, w.setupJob]) net.restrictEgress(x);
    }
  }

  /** Lets a client (Logstash writing, the exporter reading) reach Elasticsearch's HTTP API: the flow is recorded on the cluster's side. */
  allowClient(client: Workload, reason: string): void {
    this.network?.allow(client, this.workloads.elasticsearch, { port: ES_HTTP_PORT }, reason);
  }

  /** Grafana reads this cluster's data stream (`KubePrometheusStack.addDatasource`). */
  get grafanaLogDatasource(): LogDatasource {
    return {
      kind: 'elasticsearch',
      elasticsearch: { url: this.url, index: `logs-${this.dataStreamParts.dataset}-*`, caSecretName: this.caSecretName, user: { secretName: this.users.grafanaUser } },
    };
  }
}
