import { Construct } from 'constructs';
import type { LogDatasource } from '../metrics/grafana.values';
import type { ITerraformDependable } from 'cdktf';
import type { EnvironmentSettings } from '../../config/schema/environment';
import type { CommonConfig } from '../core/common';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import type { KubeManifest } from '../core/manifest';
import { PinnedRelease } from '../core/pinned-release';
import type { HelmValues } from '../core/values';
import type { Tls } from '../tls/tls';
import { CHARTS, ELASTIC_IMAGES, ELASTIC_STACK_VERSION } from '../versions';
import { renderEckOperatorValues } from './eck-operator.values';
import { renderElasticsearch } from './elasticsearch.render';
import { renderKibana } from './kibana.render';
import { esElasticUserSecret, esHttpService, esHttpUrl, esHttpCaSecret, kbHttpCaSecret, kbHttpService, kbHttpUrl, lsBeatsService, LS_BEATS_PORT, serviceDnsNames } from './names';
import { mappedFields, renderKibanaObjects, type KibanaObjects } from './kibana-objects.render';
import { renderIlmPolicy, renderIndexTemplate, type IlmPolicy } from './ilm.render';
import { renderSetupFiles } from './setup-job.render';
import { BEATS_TLS_DIR, DEFAULT_ES_ALIAS, renderLogstash, renderLogstashPipeline } from './logstash.render';
import { compileFilebeatMultiline, compileLogstashFilter } from '../mllogs';
import { renderFilebeat } from './filebeat.render';
import { renderEventCounterFilter, renderEventCounterOutput, renderEventMetricsPodMonitor, renderEventMetricsSidecar, renderStatsdMapping } from './log-event-metrics.render';
import { stringify } from 'yaml';
import { KUBE_API_SERVER, type NetworkFlows, type ScrapeTarget, type Workload } from '../core/network';
import { eckPods, ECK_WEBHOOK_PORT, ES_HTTP_PORT, ES_TRANSPORT_PORT, KB_HTTP_PORT } from './names';
import { DEFAULT_ECK_METRICS_PORT } from './eck-operator.values';
import { STATEFUL_REASONS } from '../core/stateful';

/** The pipeline's pods (ECK-managed ones by the labels ECK sets, see {@link eckPods}). */
export interface ElasticWorkloads {
  readonly operator: Workload;
  readonly elasticsearch: Workload;
  readonly kibana: Workload;
  readonly logstash: Workload;
  readonly filebeat: Workload;
  readonly setupJob: Workload;
}

/** Retries of the setup Job before Kubernetes gives up (each attempt also waits for the cluster). */
export const DEFAULT_SETUP_BACKOFF_LIMIT = 20;
/** Setup Job requests and limits. */
export const DEFAULT_SETUP_RESOURCES = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } } as const;

/** Helm release name of the ECK operator (a Terraform-visible name: do not change). */
export const DEFAULT_ECK_RELEASE_NAME = 'elastic-operator';

export interface ElasticPipelineProps {
  readonly common: CommonConfig;
  /** The environment's `elastic`, `elasticsearch`, `retention` and `tls` settings. */
  readonly settings: Pick<EnvironmentSettings, 'elastic' | 'elasticsearch' | 'retention' | 'tls'>;
  /** Data stream namespace (logs-<dataset>-<namespace>). @default - `elastic.dataStream.namespace`, else the environment name with "-" as "_" */
  readonly dataStreamNamespace?: string;
  /** Where the ECK custom resources go (installed after the operator). */
  readonly resources: CustomResourceChart;
  /** TLS component; used when `elastic.httpCertificate` is `issuer`. @default - ECK's own CA */
  readonly tls?: Tls;
  /** Deep-merged last over the eck-operator values (the one escape hatch). @default - none */
  readonly valuesOverrides?: HelmValues;
  /** What the operator release waits for (the namespace; kube-prometheus-stack for the PodMonitor CRD). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** Where the pipeline records its flows (Filebeat → Logstash → Elasticsearch ← Kibana, the setup Job, the operator). @default - none recorded */
  readonly network?: NetworkFlows;
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
  /** The ILM policy applied by the setup Job. */
  readonly ilmPolicy: IlmPolicy;
  /** The index template applied by the setup Job. */
  readonly indexTemplate: Record<string, unknown>;
  /** The data stream Logstash writes to (logs-<dataset>-<namespace>). */
  readonly dataStream: string;
  /** Kibana's data view, saved searches and dashboard, imported by the setup Job. */
  readonly kibanaObjects: KibanaObjects;
  /** The Logstash custom resource as shipped. */
  readonly logstash: KubeManifest;
  /** The generated Logstash pipeline text (beats input, catalog filter, data stream output). */
  readonly logstashPipeline: string;
  /** The PodMonitor of Logstash's event counters (`mlobs_log_events_total`, the free-tier alert path). */
  readonly eventMetricsPodMonitor: KubeManifest;
  /** The Filebeat Beat custom resource (DaemonSet) as shipped. */
  readonly filebeat: KubeManifest;
  /** Secret of the beats input certificate (its `ca.crt` is what Filebeat trusts), when the collectors hop has TLS. */
  readonly beatsCertificateSecret?: string;
  /**
   * The Job that applies policy and template, then imports the Kibana objects (named after the
   * hash of all of them, so a change runs a new one). Shipped with its ConfigMap in the
   * custom-resource chart, installed after ECK.
   */
  readonly setupJob: KubeManifest;
  /** The pipeline's pods (for NetworkPolicies). */
  readonly workloads: ElasticWorkloads;
  /** What the operator chart's PodMonitor scrapes (Logstash's PodMonitor is in the stack's chart). */
  readonly scrapeTargets: readonly ScrapeTarget[];

  /** Grafana reads this cluster's data stream (`KubePrometheusStack.addDatasource`). */
  get grafanaLogDatasource(): LogDatasource {
    const user = esElasticUserSecret(this.name);
    return {
      kind: 'elasticsearch',
      elasticsearch: {
        url: esHttpUrl(this.name, this.namespace),
        index: `logs-${this.dataset}-*`,
        caSecretName: esHttpCaSecret(this.name),
        user: { secretName: user.name, key: user.key },
      },
    };
  }
  private readonly namespace: string;
  private readonly dataset: string;

  constructor(scope: Construct, id: string, props: ElasticPipelineProps) {
    super(scope, id);
    const { common, settings: s } = props;
    const e = s.elastic;
    this.name = e.name;
    this.namespace = common.namespace;
    this.dataset = e.dataStream.dataset;
    this.operator = new PinnedRelease(this, 'operator', {
      chart: CHARTS.eckOperator,
      releaseName: DEFAULT_ECK_RELEASE_NAME,
      stateful: STATEFUL_REASONS.eckOperator,
      namespace: common.namespace,
      values: renderEckOperatorValues({ common, resources: e.operator.resources }),
      ...(props.valuesOverrides ? { valuesOverrides: props.valuesOverrides } : {}),
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
    });
    const after = [this.operator.release];
    const issuer = e.httpCertificate === 'issuer' ? props.tls : undefined;
    if (e.httpCertificate === 'issuer' && !issuer) {
      throw new Error(
        `${this.node.path}: props.settings.elastic.httpCertificate is "issuer" but props.tls is not set; pass tls: <the Tls component>, or set elastic.httpCertificate: eck (in an environment file: tls: { enabled: true, issuer: { kind: selfSigned } })`,
      );
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

    // ILM policy + index template, applied in-cluster by a Job named after their hash.
    // "-" separates the parts of a data stream name, so an environment like prod-eu writes to logs-ml-prod_eu.
    const dsNamespace = props.dataStreamNamespace ?? e.dataStream.namespace ?? common.environment.replace(/-/g, '_');
    this.dataStream = `logs-${e.dataStream.dataset}-${dsNamespace}`;
    const policyName = `${e.name}-logs-${e.dataStream.dataset}`;
    this.ilmPolicy = renderIlmPolicy(s.retention.elasticsearch, common.environment);
    const hotCount = s.elasticsearch.replicas;
    this.indexTemplate = renderIndexTemplate({
      dataset: e.dataStream.dataset,
      policyName,
      replicas: Math.min(1, hotCount - 1),
      totalFieldsLimit: e.totalFieldsLimit,
    });
    this.kibanaObjects = renderKibanaObjects({ dataStream: this.dataStream, fields: mappedFields(this.indexTemplate) });
    const configDir = '/etc/mlobs/es-setup';
    const caDir = '/etc/mlobs/es-ca';
    const kbCaDir = '/etc/mlobs/kb-ca';
    const setup = renderSetupFiles({
      url: esHttpUrl(e.name, common.namespace),
      policyName,
      policy: this.ilmPolicy,
      templateName: policyName,
      template: this.indexTemplate,
      caFile: `${caDir}/ca.crt`,
      configDir,
      kibana: { url: kbHttpUrl(e.name, common.namespace), caFile: `${kbCaDir}/ca.crt`, ndjson: this.kibanaObjects.ndjson },
    });
    const jobName = `${e.name}-es-setup-${setup.hash.slice(0, 10)}`;
    const labels = { ...common.labels, 'app.kubernetes.io/name': 'es-setup', 'app.kubernetes.io/component': 'elastic' };
    const files: KubeManifest = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: jobName, namespace: common.namespace, labels },
      data: { ...setup.files },
    };
    const user = esElasticUserSecret(e.name);
    this.setupJob = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: jobName, namespace: common.namespace, labels },
      spec: {
        backoffLimit: DEFAULT_SETUP_BACKOFF_LIMIT,
        // Finished Jobs are removed a day later; the next content change runs a new one.
        ttlSecondsAfterFinished: 86400,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'OnFailure',
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'apply',
                image: `${ELASTIC_IMAGES.elasticsearch.repository}:${ELASTIC_IMAGES.elasticsearch.tag}`,
                command: ['/bin/sh', `${configDir}/apply.sh`],
                env: [{ name: 'ELASTIC_PASSWORD', valueFrom: { secretKeyRef: { name: user.name, key: user.key } } }],
                volumeMounts: [
                  { name: 'files', mountPath: configDir, readOnly: true },
                  { name: 'ca', mountPath: caDir, readOnly: true },
                  { name: 'kb-ca', mountPath: kbCaDir, readOnly: true },
                ],
                resources: { requests: { ...DEFAULT_SETUP_RESOURCES.requests }, limits: { ...DEFAULT_SETUP_RESOURCES.limits } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              },
            ],
            volumes: [
              { name: 'files', configMap: { name: jobName } },
              { name: 'ca', secret: { secretName: esHttpCaSecret(e.name) } },
              // Optional: ECK creates it only once Kibana is reconciled; the Elasticsearch step must not wait for it
              // (the kubelet fills the volume when the Secret appears; until then the Kibana wait loop retries).
              { name: 'kb-ca', secret: { secretName: kbHttpCaSecret(e.name), optional: true } },
            ],
          },
        },
      },
    };
    props.resources.add(files, after);
    props.resources.add(this.setupJob, after);

    // Logstash: beats input (TLS on the collectors hop), the catalog's filter, the data stream.
    const tls = props.tls;
    if (tls?.enabledFor('collectors')) {
      // The beats input (Netty) reads only PKCS#8 keys; cert-manager writes PKCS#1/SEC1 unless asked.
      this.beatsCertificateSecret = tls.certificateFor({
        name: `${e.name}-ls-beats-tls`,
        dnsNames: serviceDnsNames(lsBeatsService(e.name), common.namespace),
        keyEncoding: 'PKCS8',
      }).secretName;
    }
    this.logstashPipeline = renderLogstashPipeline({
      catalogFilter: compileLogstashFilter(),
      ...(this.beatsCertificateSecret ? { beatsTls: { certificateFile: `${BEATS_TLS_DIR}/tls.crt`, keyFile: `${BEATS_TLS_DIR}/tls.key` } } : {}),
      esAlias: DEFAULT_ES_ALIAS,
      dataStream: { dataset: e.dataStream.dataset, namespace: dsNamespace },
      extraFilter: renderEventCounterFilter(),
      extraOutput: renderEventCounterOutput(),
    });
    // Event counters for the training alerts (Kibana's connectors are not free): a
    // statsd_exporter sidecar, its mapping, and a PodMonitor for the stack's Prometheus.
    const mappingName = `${e.name}-ls-event-metrics`;
    const sidecar = renderEventMetricsSidecar({
      image: `${ELASTIC_IMAGES.statsdExporter.repository}:${ELASTIC_IMAGES.statsdExporter.tag}`,
      mappingConfigMap: mappingName,
    });
    const metricsPodLabel = { 'mlobs.dev/event-metrics': `${e.name}-logstash` };
    props.resources.add(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: mappingName, namespace: common.namespace, labels: { ...common.labels } }, data: { 'mapping.yaml': stringify(renderStatsdMapping()) } },
      after,
    );
    this.eventMetricsPodMonitor = renderEventMetricsPodMonitor({ common, name: mappingName, podSelector: metricsPodLabel });
    props.resources.add(this.eventMetricsPodMonitor, after);
    this.logstash = renderLogstash({
      name: e.name,
      namespace: common.namespace,
      labels: common.labels,
      version: ELASTIC_STACK_VERSION,
      count: e.logstash.count,
      resources: e.logstash.resources,
      ...(e.logstash.jvmHeap ? { jvmHeap: e.logstash.jvmHeap } : {}),
      elasticsearchName: e.name,
      esAlias: DEFAULT_ES_ALIAS,
      pipeline: this.logstashPipeline,
      ...(this.beatsCertificateSecret ? { beatsCertificateSecret: this.beatsCertificateSecret } : {}),
      sidecars: [sidecar.container],
      extraVolumes: [sidecar.volume],
      podLabels: metricsPodLabel,
    });
    props.resources.add(this.logstash, after);

    // Filebeat on every node: container and kernel logs to Logstash (TLS with the beats CA).
    const filebeat = renderFilebeat({
      name: e.name,
      namespace: common.namespace,
      labels: common.labels,
      version: ELASTIC_STACK_VERSION,
      resources: e.filebeat.resources,
      multiline: compileFilebeatMultiline(),
      kernelLogPath: e.filebeat.kernelLogPath,
      logstashHost: `${lsBeatsService(e.name)}.${common.namespace}.svc:${LS_BEATS_PORT}`,
      ...(this.beatsCertificateSecret ? { logstashCaSecret: this.beatsCertificateSecret } : {}),
    });
    this.filebeat = filebeat.beat;
    for (const m of filebeat.rbac) props.resources.add(m, after);
    props.resources.add(this.filebeat, after);

    const w: ElasticWorkloads = {
      operator: { name: 'elastic-operator', podSelector: { 'app.kubernetes.io/name': 'elastic-operator', 'app.kubernetes.io/instance': DEFAULT_ECK_RELEASE_NAME } },
      elasticsearch: eckPods.elasticsearch(e.name),
      kibana: eckPods.kibana(e.name),
      logstash: eckPods.logstash(e.name),
      filebeat: eckPods.beat(e.name),
      setupJob: { name: 'es-setup', podSelector: { 'app.kubernetes.io/name': labels['app.kubernetes.io/name'], 'app.kubernetes.io/component': labels['app.kubernetes.io/component'] } },
    };
    this.workloads = w;
    this.scrapeTargets = [{ workload: w.operator, ports: [{ port: DEFAULT_ECK_METRICS_PORT }] }];
    const net = props.network;
    if (net) {
      const es = { port: ES_HTTP_PORT };
      net.allow(KUBE_API_SERVER, w.operator, { port: ECK_WEBHOOK_PORT }, 'the API server calls the ECK validating webhook');
      net.allow(w.operator, w.elasticsearch, es, 'the ECK operator manages Elasticsearch through its API');
      net.allow(w.elasticsearch, w.elasticsearch, { port: ES_TRANSPORT_PORT }, 'Elasticsearch nodes form a cluster (transport)');
      net.allow(w.kibana, w.elasticsearch, es, 'Kibana reads and writes Elasticsearch');
      net.allow(w.logstash, w.elasticsearch, es, 'Logstash writes the log data stream');
      net.allow(w.filebeat, w.logstash, { port: LS_BEATS_PORT }, 'Filebeat ships logs to Logstash (beats input)');
      net.allow(w.setupJob, w.elasticsearch, es, 'the setup Job applies the ILM policy and index template');
      net.allow(w.setupJob, w.kibana, { port: KB_HTTP_PORT }, 'the setup Job imports the Kibana saved objects');
      // Every destination of these is known: DNS and the flows above.
      for (const x of [w.logstash, w.kibana, w.setupJob]) net.restrictEgress(x);
    }
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
