import type { RedactionPattern } from '../contracts/redaction';
import type { LogFilesSettings } from '../contracts/log-files';
import type { LogVolumeSettings, StaticFields } from '../contracts/log-volume';
import { Construct } from 'constructs';
import type { LogDatasource } from '../metrics/grafana.values';
import type { ITerraformDependable } from 'cdktf';
import type { CommonConfig } from '../core/common';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import type { KubeManifest } from '../core/manifest';
import type { NetworkFlows, ScrapeTarget, Workload } from '../core/network';
import type { ResourceRequirements } from '../core/settings';
import type { HelmValues } from '../core/values';
import type { Tls } from '../tls/tls';
import { EckOperator } from './eck-operator';
import { ElasticsearchCluster } from './elasticsearch-cluster';
import { Filebeat } from './filebeat';
import { KubernetesEvents } from './kubernetes-events';
import { DEFAULT_EVENTS, type EventsSettings } from '../contracts/k8s-events';
import { ElasticsearchExporter } from './elasticsearch-exporter';
import type { IlmPolicy } from './ilm.render';
import type { KibanaObjects } from './kibana-objects.render';
import { Logstash } from './logstash';
import type { ElasticUsers, ElasticsearchOptions, FilebeatSettings, KibanaSettings, LogstashSettings } from './settings';
import type { JsonFieldType } from '../contracts/json-fields';

export { DEFAULT_ECK_RELEASE_NAME } from './eck-operator';
export { DEFAULT_SETUP_BACKOFF_LIMIT, DEFAULT_SETUP_RESOURCES } from './setup-job.render';

/** The pipeline's pods (ECK-managed ones by the labels ECK sets, see `eckPods`). */
export interface ElasticWorkloads {
  readonly operator: Workload;
  readonly elasticsearch: Workload;
  readonly kibana: Workload;
  readonly logstash: Workload;
  readonly filebeat: Workload;
  readonly setupJob: Workload;
  /** The events shipper, when events are collected. */
  readonly events?: Workload;
}

export interface ElasticPipelineProps {
  readonly common: CommonConfig;
  /** Where the ECK custom resources go (installed after the operator). */
  readonly resources: CustomResourceChart;
  /** Name of the Elasticsearch, Kibana, Logstash and Filebeat resources. @default DEFAULT_ELASTIC_NAME ('mlobs') */
  readonly name?: string;
  /** Node sets, HTTP certificate, data stream and ILM. @default - see {@link ElasticsearchOptions} (one node, 100 GiB) */
  readonly elasticsearch?: ElasticsearchOptions;
  /** @default - one instance, ELASTIC_DEFAULT_RESOURCES.kibana */
  readonly kibana?: Partial<KibanaSettings>;
  /** @default - one instance, ELASTIC_DEFAULT_RESOURCES.logstash */
  readonly logstash?: Partial<LogstashSettings>;
  /** @default - ELASTIC_DEFAULT_RESOURCES.filebeat, DEFAULT_KERNEL_LOG_PATH */
  readonly filebeat?: Partial<FilebeatSettings>;
  /** Pod label keys that name a pod's training job (`mlobs.job`, the metrics' `job`), tried in order. @default DEFAULT_JOB_LABEL_KEYS */
  readonly jobLabels?: readonly string[];
  /** The stack's own Elasticsearch users' basic-auth Secrets (Grafana's reader, the setup Job's). @default DEFAULT_ES_USERS */
  readonly users?: Partial<ElasticUsers>;
  /** Top-level keys of JSON log lines mapped as `team.<name>` with these types. @default DEFAULT_JSON_FIELDS */
  readonly jsonFields?: Readonly<Record<string, JsonFieldType>>;
  /** Redaction patterns run after the built-in rules (contracts/redaction.ts), before anything is stored. @default - the built-in rules only */
  readonly redaction?: readonly RedactionPattern[];
  /** Log files inside pods (contracts/log-files.ts). @default DEFAULT_LOG_FILES (off) */
  readonly files?: LogFilesSettings;
  /** Volume control of what is stored: levels not stored, progress-bar redraws sampled (contracts/log-volume.ts). @default DEFAULT_LOG_VOLUME */
  readonly volume?: LogVolumeSettings;
  /** Static fields per environment and per namespace, stored as `labels.<name>` (keyword). @default - none */
  readonly staticFields?: StaticFields;
  /** Kubernetes events into the data stream (a one-replica Metricbeat through Logstash, {@link KubernetesEvents}). @default DEFAULT_EVENTS (on, every namespace) */
  readonly events?: EventsSettings;
  /** The ECK operator's resources. @default ELASTIC_DEFAULT_RESOURCES.operator */
  readonly operatorResources?: ResourceRequirements;
  /** TLS component; used when `elasticsearch.httpCertificate` is 'issuer' and for the collectors hop. @default - ECK's own CA, plain beats */
  readonly tls?: Tls;
  /** Deep-merged last over the eck-operator values (the one escape hatch). @default - none */
  readonly valuesOverrides?: HelmValues;
  /** What the operator release waits for (the namespace; kube-prometheus-stack for the PodMonitor CRD). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** Where the pipeline records its flows (Filebeat → Logstash → Elasticsearch ← Kibana, the setup Job, the operator). @default - none recorded */
  readonly network?: NetworkFlows;
}

/**
 * The Elastic log pipeline through ECK, composed of its four parts the way the Loki pipeline is:
 * {@link EckOperator}, {@link ElasticsearchCluster} (with Kibana and the setup Job),
 * {@link Logstash} writing to the cluster and {@link Filebeat} shipping to Logstash; with events
 * on, {@link KubernetesEvents} ships the cluster's events to Logstash too. Each
 * relationship creates what it needs on both sides (the beats certificate, the flows). Teams
 * that want a different shape compose the four themselves.
 */
export class ElasticPipeline extends Construct {
  /** The ECK operator release (a PinnedRelease: its `release` is the helm_release escape hatch). */
  readonly operator: EckOperator;
  /** The four parts. */
  readonly cluster: ElasticsearchCluster;
  readonly logstashComponent: Logstash;
  readonly filebeatComponent: Filebeat;
  /** The Kubernetes events shipper, when `events.enabled`. */
  readonly eventsComponent?: KubernetesEvents;
  /** The metrics exporter of the cluster (health, shards, disk). */
  readonly exporter: ElasticsearchExporter;
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
  /** The setup Job (policy, template, Kibana objects), shipped with its ConfigMap after ECK. */
  readonly setupJob: KubeManifest;
  /** The pipeline's pods (for NetworkPolicies). */
  readonly workloads: ElasticWorkloads;
  /** What the operator's PodMonitor and the exporter's ServiceMonitor scrape (Logstash's PodMonitor is in the stack's chart). */
  readonly scrapeTargets: readonly ScrapeTarget[];
  /** UIs exposed through an Ingress (Kibana, when asked). */
  readonly ingressTargets: readonly ScrapeTarget[];

  /** Grafana reads this cluster's data stream (`KubePrometheusStack.addDatasource`). */
  get grafanaLogDatasource(): LogDatasource {
    return this.cluster.grafanaLogDatasource;
  }

  constructor(scope: Construct, id: string, props: ElasticPipelineProps) {
    super(scope, id);
    const { common, resources, network } = props;
    this.operator = new EckOperator(this, 'operator', {
      common,
      ...(props.operatorResources ? { resources: props.operatorResources } : {}),
      ...(props.valuesOverrides ? { valuesOverrides: props.valuesOverrides } : {}),
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
      ...(network ? { network } : {}),
    });
    const events = props.events ?? DEFAULT_EVENTS;
    const shared = { common, operator: this.operator, resources, ...(props.tls ? { tls: props.tls } : {}), ...(network ? { network } : {}) };
    this.cluster = new ElasticsearchCluster(this, 'elasticsearch', {
      ...shared,
      ...(props.name ? { name: props.name } : {}),
      ...(props.elasticsearch ? { elasticsearch: props.elasticsearch } : {}),
      ...(props.kibana ? { kibana: props.kibana } : {}),
      ...(props.jsonFields ? { jsonFields: props.jsonFields } : {}),
      ...(props.staticFields ? { staticFields: props.staticFields } : {}),
      ...(props.users ? { users: props.users } : {}),
      kubernetesEvents: events.enabled,
    });
    this.logstashComponent = new Logstash(this, 'logstash', { ...shared, elasticsearch: this.cluster, ...(props.logstash ? { logstash: props.logstash } : {}), ...(props.jobLabels ? { jobLabels: props.jobLabels } : {}), ...(props.redaction ? { redaction: props.redaction } : {}), ...(props.volume ? { volume: props.volume } : {}), kubernetesEvents: events.enabled });
    this.exporter = new ElasticsearchExporter(this, 'exporter', { common, cluster: this.cluster, dependsOn: [...(props.dependsOn ?? []), this.operator.release] });
    this.filebeatComponent = new Filebeat(this, 'filebeat', { common, operator: this.operator, resources, logstash: this.logstashComponent, ...(props.tls ? { tls: props.tls } : {}), ...(props.filebeat ? { filebeat: props.filebeat } : {}), ...(props.files ? { files: props.files } : {}), ...(props.volume ? { perStream: props.volume.perStream } : {}) });
    if (events.enabled) this.eventsComponent = new KubernetesEvents(this, 'events', { common, operator: this.operator, resources, logstash: this.logstashComponent, events });

    const c = this.cluster;
    this.name = c.name;
    this.elasticsearch = c.elasticsearch;
    this.kibana = c.kibana;
    this.ilmPolicy = c.ilmPolicy;
    this.indexTemplate = c.indexTemplate;
    this.dataStream = c.dataStream;
    this.kibanaObjects = c.kibanaObjects;
    this.setupJob = c.setupJob;
    this.logstash = this.logstashComponent.manifest;
    this.logstashPipeline = this.logstashComponent.pipeline;
    this.eventMetricsPodMonitor = this.logstashComponent.eventMetricsPodMonitor;
    if (this.logstashComponent.beatsCertificateSecret) this.beatsCertificateSecret = this.logstashComponent.beatsCertificateSecret;
    this.filebeat = this.filebeatComponent.manifest;
    this.workloads = {
      operator: this.operator.workload,
      ...c.workloads,
      logstash: this.logstashComponent.workload,
      filebeat: this.filebeatComponent.workload,
      ...(this.eventsComponent ? { events: this.eventsComponent.workload } : {}),
    };
    this.scrapeTargets = [...this.operator.scrapeTargets, ...this.exporter.scrapeTargets];
    this.ingressTargets = c.ingressTargets;
  }

  /** The in-cluster HTTPS endpoint of Elasticsearch. */
  get url(): string {
    return this.cluster.url;
  }

  /** The Secret with the CA clients use to verify Elasticsearch (`ca.crt`). */
  get caSecretName(): string {
    return this.cluster.caSecretName;
  }
}
