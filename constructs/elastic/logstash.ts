import { redactionRules, type RedactionPattern } from '../contracts/redaction';
import { checkLogVolume, DEFAULT_LOG_VOLUME, type LogVolumeSettings } from '../contracts/log-volume';
import { Construct } from 'constructs';
import type { CommonConfig } from '../core/common';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import type { KubeManifest } from '../core/manifest';
import type { NetworkFlows, Workload } from '../core/network';
import type { Tls } from '../tls/tls';
import { compileLogstashFilter } from '../mllogs';
import { ELASTIC_IMAGES, ELASTIC_STACK_VERSION } from '../versions';
import type { EckOperator } from './eck-operator';
import type { ElasticsearchCluster } from './elasticsearch-cluster';
import {
  renderEventCounterFilter,
  renderJobFilter,
  renderEventCounterOutput,
  renderNotStoredFilter,
  renderNotStoredOutput,
  renderHeartbeatInput,
  renderFilebeatReportFilter,
  renderFilebeatReportOutput,
  renderSelfMonitoringOutput,
  HEARTBEAT_FIELD,
  renderEventMetricsPodMonitor,
  renderEventMetricsSidecar,
  renderStatsdMappingConfigMap,
} from './log-event-metrics.render';
import { BEATS_TLS_DIR, DEFAULT_ES_ALIAS, renderLogstash, renderLogstashPipeline, renderRedactionFilter, renderStaticFieldsFilter, renderTeamFieldsFilter, renderVolumeFilter, VOLUME_DROP_FIELD } from './logstash.render';
import { LOGSTASH_EVENTS_CONDITION, renderLogstashEventsFilter } from './events.render';
import { LOGSTASH_METRICS_MONITOR_SUFFIX } from '../contracts/logstash-monitoring';
import { eckPods, lsBeatsService, LS_BEATS_PORT, serviceDnsNames } from './names';
import { logstashSettings, type LogstashSettings } from './settings';

export interface LogstashProps {
  readonly common: CommonConfig;
  /** The ECK operator: the custom resources install after it. */
  readonly operator: EckOperator;
  /** Where the custom resources go (the stack's generated chart). */
  readonly resources: CustomResourceChart;
  /** The cluster Logstash writes the ML log data stream to. */
  readonly elasticsearch: ElasticsearchCluster;
  /** Instances, resources, JVM heap. @default - one instance, ELASTIC_DEFAULT_RESOURCES.logstash */
  readonly logstash?: Partial<LogstashSettings>;
  /** Pod label keys that name a pod's training job (`mlobs.job`, the metrics' `job`), tried in order. @default DEFAULT_JOB_LABEL_KEYS */
  readonly jobLabels?: readonly string[];
  /** Redaction patterns run after the built-in rules (contracts/redaction.ts), before anything is stored. @default - the built-in rules only */
  readonly redaction?: readonly RedactionPattern[];
  /** Volume control of what is stored (contracts/log-volume.ts): marked events skip the Elasticsearch output. @default DEFAULT_LOG_VOLUME */
  readonly volume?: LogVolumeSettings;
  /** Kubernetes events from Metricbeat (events.render.ts) arrive at the beats input: give them their branch. @default false */
  readonly kubernetesEvents?: boolean;
  /** TLS component: the beats input gets a certificate when it serves the `collectors` hop. @default - plain beats */
  readonly tls?: Tls;
  /** Where Logstash records its flows. @default - none recorded */
  readonly network?: NetworkFlows;
}

/**
 * Logstash through ECK: a beats input (TLS on the collectors hop), the ML log catalog's filter,
 * the cluster's data stream as output, and the catalog's event counters through a statsd_exporter
 * sidecar with its PodMonitor (the free-tier alert path). Filebeat ships to it.
 */
export class Logstash extends Construct {
  /** The Logstash custom resource as shipped. */
  readonly manifest: KubeManifest;
  /** The generated pipeline text. */
  readonly pipeline: string;
  /** The PodMonitor of the event counters (`mlobs_log_events_total`). */
  readonly eventMetricsPodMonitor: KubeManifest;
  /** Secret of the beats input certificate (its `ca.crt` is what shippers trust), when the collectors hop has TLS. */
  readonly beatsCertificateSecret?: string;
  /** Where shippers send Beats (`host:port`). */
  readonly beatsHost: string;
  readonly workload: Workload;
  readonly settings: LogstashSettings;
  /** Whether the pipeline has the Kubernetes events branch (`props.kubernetesEvents`). */
  readonly kubernetesEvents: boolean;
  private readonly network?: NetworkFlows;

  constructor(scope: Construct, id: string, props: LogstashProps) {
    super(scope, id);
    const { common, elasticsearch: es } = props;
    const s = logstashSettings(props.logstash);
    this.settings = s;
    this.kubernetesEvents = props.kubernetesEvents ?? false;
    const name = es.name;
    const after = props.operator.installed;
    if (props.network) this.network = props.network;
    if (props.tls?.enabledFor('collectors')) {
      // The beats input (Netty) reads only PKCS#8 keys; cert-manager writes PKCS#1/SEC1 unless asked.
      this.beatsCertificateSecret = props.tls.certificateFor({ name: `${name}-ls-beats-tls`, dnsNames: serviceDnsNames(lsBeatsService(name), common.namespace), keyEncoding: 'PKCS8' }).secretName;
    }
    this.beatsHost = `${lsBeatsService(name)}.${common.namespace}.svc:${LS_BEATS_PORT}`;
    const redaction = renderRedactionFilter(redactionRules(props.redaction, `${this.node.path}: props.redaction`));
    const staticFields = renderStaticFieldsFilter(es.staticFields);
    this.pipeline = renderLogstashPipeline({
      // The team JSON fields the cluster maps, copied where the template maps them.
      // Redaction first: nothing after it (catalog, team fields, the stored document) sees a secret.
      catalogFilter:
        [redaction, compileLogstashFilter().replace(/\n$/, ''), renderTeamFieldsFilter(es.jsonFields), staticFields]
          .filter((x) => x !== '')
          .join('\n') + '\n',
      ...(this.beatsCertificateSecret ? { beatsTls: { certificateFile: `${BEATS_TLS_DIR}/tls.crt`, keyFile: `${BEATS_TLS_DIR}/tls.key` } } : {}),
      esAlias: DEFAULT_ES_ALIAS,
      dataStream: es.dataStreamParts,
      // volume control last: the event counters' labels are set on every event, marked ones are only not stored
      extraFilter: `${renderJobFilter(props.jobLabels)}\n${renderEventCounterFilter()}\n${renderVolumeFilter(checkLogVolume(props.volume ?? DEFAULT_LOG_VOLUME, `${this.node.path}: props.volume`))}\n${renderNotStoredFilter(VOLUME_DROP_FIELD)}\n${renderFilebeatReportFilter(common.agentsNamespace)}`,
      extraOutput: `${renderEventCounterOutput()}\n${renderNotStoredOutput(VOLUME_DROP_FIELD)}\n${renderSelfMonitoringOutput()}\n${renderFilebeatReportOutput()}`,
      skipStoreField: VOLUME_DROP_FIELD,
      extraInput: renderHeartbeatInput(),
      neverStoreField: HEARTBEAT_FIELD,
      // events carry the environment's and their namespace's static fields too
      ...(props.kubernetesEvents ? { events: { condition: LOGSTASH_EVENTS_CONDITION, filter: [renderLogstashEventsFilter(redaction), staticFields].filter((x) => x !== '').join('\n') } } : {}),
    });
    // Event counters for the training alerts (Kibana's connectors are not free): a
    // statsd_exporter sidecar, its mapping, and a PodMonitor for the stack's Prometheus.
    const mappingName = `${name}${LOGSTASH_METRICS_MONITOR_SUFFIX}`;
    const sidecar = renderEventMetricsSidecar({ image: `${ELASTIC_IMAGES.statsdExporter.repository}:${ELASTIC_IMAGES.statsdExporter.tag}`, mappingConfigMap: mappingName });
    const metricsPodLabel = { 'mlobs.dev/event-metrics': `${name}-logstash` };
    props.resources.add(renderStatsdMappingConfigMap(common, mappingName), after);
    this.eventMetricsPodMonitor = renderEventMetricsPodMonitor({ common, name: mappingName, podSelector: metricsPodLabel });
    props.resources.add(this.eventMetricsPodMonitor, after);
    this.manifest = renderLogstash({
      name,
      namespace: common.namespace,
      labels: common.labels,
      version: ELASTIC_STACK_VERSION,
      count: s.count,
      resources: s.resources,
      ...(s.jvmHeap ? { jvmHeap: s.jvmHeap } : {}),
      elasticsearchName: es.name,
      esAlias: DEFAULT_ES_ALIAS,
      pipeline: this.pipeline,
      ...(this.beatsCertificateSecret ? { beatsCertificateSecret: this.beatsCertificateSecret } : {}),
      sidecars: [sidecar.container],
      extraVolumes: [sidecar.volume],
      podLabels: metricsPodLabel,
    });
    props.resources.add(this.manifest, after);
    this.workload = eckPods.logstash(name);
    // Writing to Elasticsearch: the flow is the cluster's to record; Logstash's egress has no other destination.
    es.allowClient(this.workload, 'Logstash writes the log data stream');
    props.network?.restrictEgress(this.workload);
  }

  /** Lets a shipper (Filebeat) reach the beats input. */
  allowShipper(shipper: Workload, reason: string): void {
    this.network?.allow(shipper, this.workload, { port: LS_BEATS_PORT }, reason);
  }
}
