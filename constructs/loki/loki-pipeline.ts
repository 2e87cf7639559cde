import type { RedactionPattern } from '../contracts/redaction';
import type { LogFilesSettings } from '../contracts/log-files';
import { checkLogVolume, checkStaticFields, DEFAULT_LOG_VOLUME, NO_STATIC_FIELDS, type LogVolumeSettings, type StaticFields } from '../contracts/log-volume';
import { DEFAULT_JSON_FIELDS } from '../contracts/json-fields';
import { renderPrometheusRule } from '../core/prometheus-rule';
import type { KubeManifest } from '../core/manifest';
import { renderLogVolumeRuleGroups, LOG_VOLUME_RULE_NAME } from './volume-rules';
import { Construct } from 'constructs';
import type { LogDatasource } from '../metrics/grafana.values';
import { literalConfigMap } from '../core/config-map';
import type { ITerraformDependable } from 'cdktf';
import { durationToMs } from '../../config/quantity';
import type { CommonConfig } from '../core/common';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import { PinnedRelease } from '../core/pinned-release';
import type { HelmValues } from '../core/values';
import type { Tls } from '../tls/tls';
import { COLLECTOR_MODULES, type CollectorModule } from './collectors';
import { CHARTS } from '../versions';
import { DEFAULT_EVENTS, EVENTS_CONFIG_MAP, EVENTS_RELEASE, renderEventsAlloyConfig, renderEventsAlloyValues, type EventsSettings } from './events.render';
import { Loki } from './loki';
import { LOKI_RULES_FILE, renderLokiRuleGroups, renderLokiRulesFile } from './ruler.render';
import type { AlertRule } from '../core/prometheus-rule';
import type { JsonFieldType } from '../contracts/json-fields';
import type { NetworkFlows, Workload } from '../core/network';
import { LOKI_POD_PORTS } from './loki';
import { DEFAULT_LOKI, LOKI_MIN_RETENTION, lokiSettings, type CollectorName, type LokiOptions, type LokiSettings } from './settings';

/** Where the Loki ruler sends its alerts: an Alertmanager that says its own URL (`KubePrometheusStack`). */
export interface AlertmanagerTarget {
  readonly alertmanagerUrl: string;
}

export interface LokiPipelineProps {
  readonly common: CommonConfig;
  /** Loki: mode, storage, tenancy, retention. @default - see {@link LokiOptions} (monolithic, 50 GiB, 31 days) */
  readonly loki?: LokiOptions;
  /** The collector DaemonSet. @default DEFAULT_LOKI.collector ('alloy') */
  readonly collector?: CollectorName;
  /** Pod label keys that name a pod's training job (the streams' and metrics' `job` label), tried in order. @default DEFAULT_JOB_LABEL_KEYS */
  readonly jobLabels?: readonly string[];
  /** Top-level keys of JSON log lines kept queryable as structured metadata (never labels). @default DEFAULT_JSON_FIELDS */
  readonly jsonFields?: Readonly<Record<string, JsonFieldType>>;
  /** Redaction patterns run after the built-in rules (contracts/redaction.ts), before anything is stored. @default - the built-in rules only */
  readonly redaction?: readonly RedactionPattern[];
  /** Log files inside pods (contracts/log-files.ts). @default DEFAULT_LOG_FILES (off) */
  readonly files?: LogFilesSettings;
  /** Kubernetes events into Loki (a one-replica Alloy Deployment, events.render.ts). @default DEFAULT_EVENTS (on, every namespace) */
  readonly events?: EventsSettings;
  /**
   * Volume control of what is stored: levels dropped, progress-bar redraws sampled, a line limit
   * per stream on the collector, and Loki's ingestion limits derived from it (contracts/log-volume.ts).
   * @default DEFAULT_LOG_VOLUME (nothing dropped by level, one redraw per 30s, 200 lines/s per stream)
   * @see https://grafana.com/docs/alloy/latest/reference/components/loki/loki.process/#stagelimit
   */
  readonly volume?: LogVolumeSettings;
  /** Static fields per environment and per namespace, structured metadata on every line (never labels). @default - none */
  readonly staticFields?: StaticFields;
  /** Where the collector's PodMonitor goes (installed after the Prometheus Operator). */
  readonly resources: CustomResourceChart;
  /** TLS component. @default - no TLS */
  readonly tls?: Tls;
  /**
   * The Alertmanager that receives the Loki ruler's alerts (the `KubePrometheusStack` object).
   * @default - no ruler: the catalog's LogQL alerts are not evaluated
   */
  readonly alertmanager?: AlertmanagerTarget;
  /**
   * LogQL alerts the ruler evaluates, contributed by other components (`trainingLogRules()`,
   * `gpuLogRules()`; `ObservabilityStack` gathers them). Needs {@link alertmanager}.
   * @default - none
   */
  readonly logRules?: readonly AlertRule[];
  /** Deep-merged last over the Loki values. @default - none */
  readonly lokiValuesOverrides?: HelmValues;
  /** Deep-merged last over the collector values. @default - none */
  readonly collectorValuesOverrides?: HelmValues;
  /** @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** Where the pipeline records its flows (collector → Loki gateway, Loki's own). @default - none recorded */
  readonly network?: NetworkFlows;
}

/**
 * The Loki log path: Loki, the collector chosen by `props.collector` (one module from
 * {@link COLLECTOR_MODULES}: Alloy by default, or deprecated Promtail), and the ruler's LogQL
 * alerts for the catalog's critical events.
 */
export class LokiPipeline extends Construct {
  readonly loki: Loki;
  /** Loki's settings in use, every default applied. */
  readonly settings: LokiSettings;
  /** The collector module in use. */
  readonly collectorModule: CollectorModule;
  /** The collector's release (DaemonSet). */
  readonly collector: PinnedRelease;
  /** The collector's pods (for NetworkPolicies). */
  readonly collectorWorkload: Workload;
  /** The Kubernetes events collector's release, when events are collected. */
  readonly eventsCollector?: PinnedRelease;
  /** Its pods. */
  readonly eventsWorkload?: Workload;
  /** Volume settings in use, every default applied. */
  readonly volume: LogVolumeSettings;
  /** Static fields in use (structured metadata on every line). */
  readonly staticFields: StaticFields;
  /** The PrometheusRule alerting on streams the collector keeps rate-limiting. */
  readonly volumeRule: KubeManifest;

  /** Grafana reads Loki where this pipeline serves it (`KubePrometheusStack.addDatasource`). */
  get grafanaLogDatasource(): LogDatasource {
    return { kind: 'loki', endpoint: this.loki.endpoint };
  }

  constructor(scope: Construct, id: string, props: LokiPipelineProps) {
    super(scope, id);
    const { common } = props;
    this.settings = lokiSettings(props.loki);
    checkLokiSettings(this.settings, this.node.path);
    this.volume = checkLogVolume(props.volume ?? DEFAULT_LOG_VOLUME, `${this.node.path}: props.volume`);
    const staticFields = (this.staticFields = checkStaticFields(props.staticFields ?? NO_STATIC_FIELDS, `${this.node.path}: props.staticFields`, Object.keys(props.jsonFields ?? DEFAULT_JSON_FIELDS)));
    if ((props.logRules?.length ?? 0) > 0 && !props.alertmanager) {
      throw new Error(`${this.node.path}: props.logRules are given but props.alertmanager is not: the ruler would have nowhere to send them; pass alertmanager: <a KubePrometheusStack> (or KubePrometheusStack.alertmanagerFromAttributes({ url }))`);
    }
    this.loki = new Loki(this, 'loki', {
      common,
      loki: this.settings,
      volume: this.volume,
      tls: props.tls,
      ...(props.alertmanager ? { ruler: { alertmanagerUrl: props.alertmanager.alertmanagerUrl, ruleFiles: { [LOKI_RULES_FILE]: renderLokiRulesFile(renderLokiRuleGroups(props.logRules ?? [])) } } } : {}),
      ...(props.lokiValuesOverrides ? { valuesOverrides: props.lokiValuesOverrides } : {}),
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
      ...(props.network ? { network: props.network } : {}),
    });
    this.collectorModule = COLLECTOR_MODULES[props.collector ?? DEFAULT_LOKI.collector];
    // The collector runs in the agents namespace (host access, Pod Security privileged there); it
    // verifies the gateway with a trust bundle in that namespace (the gateway's own Secret is in the stack's).
    const agents = common.agentsNamespace;
    const endpoint = this.loki.endpoint;
    const collectorEndpoint = endpoint.tls && props.tls ? { ...endpoint, caSecretName: props.tls.trustBundleIn(agents).secretName } : endpoint;
    const out = this.collectorModule.render({ common, loki: collectorEndpoint, ...(props.jobLabels ? { jobLabels: props.jobLabels } : {}), ...(props.jsonFields ? { jsonFields: props.jsonFields } : {}), ...(props.redaction ? { redaction: props.redaction } : {}), ...(props.files ? { files: props.files } : {}), volume: this.volume, staticFields });
    const configMaps = Object.entries(out.configMaps).map(
      ([name, data]) =>
        literalConfigMap(this, `${this.collectorModule.name}-config-${name}`, {
          name,
          namespace: agents,
          labels: { ...common.labels },
          data: { ...data },
          ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
        }),
    );
    this.collector = new PinnedRelease(this, this.collectorModule.name, {
      chart: this.collectorModule.chart,
      releaseName: this.collectorModule.releaseName,
      namespace: agents,
      values: out.values,
      ...(props.collectorValuesOverrides ? { valuesOverrides: props.collectorValuesOverrides } : {}),
      dependsOn: [...(props.dependsOn ?? []), this.loki.chart.release, ...configMaps],
    });
    for (const m of out.manifests) props.resources.add(m);
    this.volumeRule = renderPrometheusRule(LOG_VOLUME_RULE_NAME, renderLogVolumeRuleGroups(agents, this.collectorModule.name), common);
    props.resources.add(this.volumeRule);
    this.collectorWorkload = { name: this.collectorModule.name, podSelector: this.collectorModule.podSelector, namespace: agents };
    props.network?.allow(this.collectorWorkload, this.loki.workloads.gateway, { port: LOKI_POD_PORTS.gateway }, `${this.collectorModule.name} pushes logs to the Loki gateway`);

    const events = props.events ?? DEFAULT_EVENTS;
    if (events.enabled) {
      const rendered = { common, loki: this.loki.endpoint, events };
      const configMap = literalConfigMap(this, 'events-config', {
        name: EVENTS_CONFIG_MAP.name,
        namespace: common.namespace,
        labels: { ...common.labels },
        data: { [EVENTS_CONFIG_MAP.key]: renderEventsAlloyConfig(rendered) },
        ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
      });
      this.eventsCollector = new PinnedRelease(this, 'events', {
        chart: CHARTS.alloy,
        releaseName: EVENTS_RELEASE,
        namespace: common.namespace,
        values: renderEventsAlloyValues(rendered),
        dependsOn: [...(props.dependsOn ?? []), this.loki.chart.release, configMap],
      });
      this.eventsWorkload = { name: EVENTS_RELEASE, podSelector: { 'app.kubernetes.io/name': 'alloy', 'app.kubernetes.io/instance': EVENTS_RELEASE } };
      props.network?.allow(this.eventsWorkload, this.loki.workloads.gateway, { port: LOKI_POD_PORTS.gateway }, 'the events collector pushes Kubernetes events to the Loki gateway');
    }
  }
}

/**
 * What a Loki with these settings could not do, said in the props' words (an environment file
 * gets the same checks from the schema, in its own words, before it gets here).
 */
function checkLokiSettings(l: LokiSettings, where: string): void {
  const problems: string[] = [];
  const min = durationToMs(LOKI_MIN_RETENTION);
  if (durationToMs(l.retentionPeriod) < min) problems.push(`props.loki.retentionPeriod "${l.retentionPeriod}" is shorter than Loki's minimum (${LOKI_MIN_RETENTION})`);
  if (durationToMs(l.debugRetention) < min) problems.push(`props.loki.debugRetention "${l.debugRetention}" is shorter than Loki's minimum (${LOKI_MIN_RETENTION})`);
  else if (durationToMs(l.debugRetention) >= durationToMs(l.retentionPeriod)) {
    problems.push(`props.loki.debugRetention "${l.debugRetention}" must be shorter than props.loki.retentionPeriod "${l.retentionPeriod}"`);
  }
  if (l.deploymentMode === 'scalable' && !l.objectStorage) problems.push('props.loki.objectStorage is required when props.loki.deploymentMode is "scalable" (its targets share chunks only through object storage)');
  if (l.deploymentMode === 'monolithic' && !l.objectStorage && l.replicas > 1) {
    problems.push(`props.loki.replicas ${l.replicas} of a monolithic Loki on a filesystem volume would each keep their own chunks; use 1, or set props.loki.objectStorage`);
  }
  if (l.tenant !== undefined && !l.authEnabled) problems.push(`props.loki.tenant "${l.tenant}" is ignored when props.loki.authEnabled is false`);
  if (problems.length > 0) throw new Error(`${where}: ${problems.join('; ')}`);
}
