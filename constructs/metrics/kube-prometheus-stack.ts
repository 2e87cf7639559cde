import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { CommonConfig } from '../core/common';
import { PinnedRelease } from '../core/pinned-release';
import { deepMerge, type HelmValues } from '../core/values';
import type { Tls } from '../tls/tls';
import { CHARTS } from '../versions';
import { renderAlertmanagerConfig, type RemediationWebhook, type RenderedAlertmanagerConfig } from './alertmanager-config.render';
import { METRICS_DASHBOARDS } from './dashboards/stack-health';
import type { DashboardSpec } from '../contracts/dashboards';
import { addDashboards } from '../contracts/dashboard-config-maps';
import { renderGrafanaValues, type ElasticsearchDatasourceProps, type GrafanaLogSource } from './grafana.values';
import { KPS_FULLNAME, renderKubePrometheusStackValues, type UiIngressProps } from './kube-prometheus-stack.values';
import type { IngressSettings } from '../core/settings';
import type { LokiEndpoint } from '../loki/endpoint';
import { ALL_PORTS, KUBE_API_SERVER, type NetworkFlows, type NetworkPort, type ScrapeTarget, type Workload } from '../core/network';
import {
  alertingProblems,
  alertmanagerSettings,
  grafanaSettings,
  prometheusSettings,
  type AlertmanagerOptions,
  type AlertmanagerSettings,
  type GrafanaOptions,
  type GrafanaSettings,
  type InhibitRuleSettings,
  type PrometheusOptions,
  type PrometheusSettings,
  type ReceiverSettings,
} from './settings';
import { STATEFUL_REASONS } from '../core/stateful';
import { serviceUrl } from '../core/urls';

/** Helm release name of kube-prometheus-stack (a Terraform-visible name: do not change). */
export const DEFAULT_KPS_RELEASE_NAME = 'kube-prometheus-stack';

/** Container ports of the release's pods (pod ports, what NetworkPolicies match). */
export const KPS_PORTS = {
  prometheusWeb: 9090,
  alertmanagerWeb: 9093,
  /** Alertmanager cluster gossip (TCP and UDP). */
  alertmanagerMesh: 9094,
  /** The operator's config-reloader sidecar in Prometheus and Alertmanager pods (scraped). */
  reloaderWeb: 8080,
  grafana: 3000,
  kubeStateMetrics: 8080,
  /** The operator's admission webhook (HTTPS; also its metrics). */
  operatorWebhook: 10250,
} as const;

/** The release's pods, as the chart and the Prometheus Operator label them (the chart's own Services select them so). */
export interface KubePrometheusStackWorkloads {
  readonly prometheus: Workload;
  readonly alertmanager: Workload;
  readonly grafana: Workload;
  readonly kubeStateMetrics: Workload;
  readonly operator: Workload;
}

/** Workloads of kube-prometheus-stack for its release name and `fullnameOverride: mlobs`. */
export function kubePrometheusStackWorkloads(releaseName = DEFAULT_KPS_RELEASE_NAME): KubePrometheusStackWorkloads {
  return {
    prometheus: { name: 'prometheus', podSelector: { 'app.kubernetes.io/name': 'prometheus', 'operator.prometheus.io/name': 'mlobs-prometheus' } },
    alertmanager: { name: 'alertmanager', podSelector: { 'app.kubernetes.io/name': 'alertmanager', alertmanager: 'mlobs-alertmanager' } },
    grafana: { name: 'grafana', podSelector: { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/instance': releaseName } },
    kubeStateMetrics: { name: 'kube-state-metrics', podSelector: { 'app.kubernetes.io/name': 'kube-state-metrics', 'app.kubernetes.io/instance': releaseName } },
    operator: { name: 'prometheus-operator', podSelector: { app: `${releaseName}-operator`, release: releaseName } },
  };
}

/**
 * Where Alertmanager's receivers are, as egress destinations: external hosts on their ports
 * (HTTPS for Slack, PagerDuty, Teams, Opsgenie, WeChat and the heartbeat, the smarthost's port,
 * the webhook URL's port) and in-cluster webhooks by namespace. Undefined when a destination
 * cannot be known from the config (a webhook URL kept in a Secret): then Alertmanager's egress
 * stays open.
 */
export function receiverDestinations(
  receivers: readonly ReceiverSettings[],
  opts: { readonly heartbeat?: boolean } = {},
): { readonly external: readonly NetworkPort[]; readonly namespaces: readonly string[] } | undefined {
  const external = new Map<number, NetworkPort>();
  const namespaces = new Set<string>();
  // The heartbeat services (healthchecks.io, Dead Man's Snitch, Opsgenie/Grafana heartbeats) are HTTPS.
  if (opts.heartbeat) external.set(443, { port: 443 });
  for (const r of receivers) {
    if (r.type === 'slack' || r.type === 'pagerduty' || r.type === 'msteams' || r.type === 'wechat' || r.type === 'opsgenie') external.set(443, { port: 443 });
    else if (r.type === 'email') {
      const port = Number(r.smarthost.split(':').pop());
      external.set(port, { port });
    } else {
      if (!r.url) return undefined;
      const u = new URL(r.url);
      const svc = /^[^.]+\.([^.]+)\.svc(\.cluster\.local)?$/.exec(u.hostname);
      if (svc?.[1]) namespaces.add(svc[1]);
      else {
        const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
        external.set(port, { port });
      }
    }
  }
  return { external: [...external.values()], namespaces: [...namespaces].sort() };
}

export interface KubePrometheusStackProps {
  readonly common: CommonConfig;
  /** Prometheus: replicas, resources, volume, scrape interval, retention, Ingress. @default - see {@link PrometheusOptions} */
  readonly prometheus?: PrometheusOptions;
  /** Alertmanager: its pods, receivers and routing. @default - see {@link AlertmanagerOptions} (no receivers: alerts are dropped) */
  readonly alertmanager?: AlertmanagerOptions;
  /** Grafana: the admin Secret (required), replicas, resources, Ingress. Log datasources come from {@link KubePrometheusStack.addDatasource}. */
  readonly grafana: GrafanaOptions;
  /** Whether the dashboards carry Loki log panels (a Loki pipeline is added as a datasource). @default false */
  readonly loki?: boolean;
  /** TLS component; UIs with an ingress get a certificate when it serves the `ui` hop. @default - no TLS */
  readonly tls?: Tls;
  /** Dashboards delivered through the Grafana sidecar. @default METRICS_DASHBOARDS */
  readonly dashboards?: readonly DashboardSpec[];
  /** Deep-merged last over the chart values (the one escape hatch). @default - none */
  readonly valuesOverrides?: HelmValues;
  /** Resources the release waits for (e.g. the namespace). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** Where the release records its network flows (its own, and Alertmanager's egress to receivers). @default - none recorded */
  readonly network?: NetworkFlows;
}

/**
 * Metrics and alerting: kube-prometheus-stack (Prometheus Operator with its CRDs kept current
 * by the chart's upgrade job, Prometheus, Alertmanager with our routes, Grafana, node-exporter,
 * kube-state-metrics) and the dashboards as sidecar ConfigMaps.
 */
export class KubePrometheusStack extends Construct {
  /** The pinned release (its `release` is the helm_release escape hatch). */
  readonly chart: PinnedRelease;
  /** The rendered Alertmanager configuration and the Secrets it reads (responders added with {@link addRemediationWebhook} included). */
  get alertmanagerConfig(): RenderedAlertmanagerConfig {
    const am = this.settings.alertmanager;
    const inhibitRules = [...(am.inhibitRules ?? []), ...this.extraInhibitRules];
    return renderAlertmanagerConfig({ alerting: { ...am, inhibitRules }, remediation: [...this.remediation] });
  }
  /** The release's pods (for NetworkPolicies). */
  readonly workloads: KubePrometheusStackWorkloads;
  /** What the release's own ServiceMonitors scrape in the namespace (node-exporter runs on the host network: no policy applies). */
  readonly scrapeTargets: readonly ScrapeTarget[];
  /** UIs exposed through an Ingress: the ingress controller must reach them. */
  readonly ingressTargets: readonly ScrapeTarget[];
  /** The settings in use, every default applied. */
  readonly settings: { readonly prometheus: PrometheusSettings; readonly alertmanager: AlertmanagerSettings; readonly grafana: GrafanaSettings };
  /** Alertmanager's in-cluster URL (its Service from the chart's fullnameOverride, the web port): where other rulers send alerts. */
  readonly alertmanagerUrl: string;
  /** Grafana's log datasources, from the pipelines given to {@link addDatasource}. */
  private readonly logDatasources: { loki?: LokiEndpoint; elasticsearch?: ElasticsearchDatasourceProps } = {};
  /** Automated responders Alertmanager calls (see {@link addRemediationWebhook}). */
  private readonly remediation: RemediationWebhook[] = [];
  /** Inhibit rules other components contribute (see {@link addInhibitRules}). */
  private readonly extraInhibitRules: InhibitRuleSettings[] = [];
  /** Chart values other components contribute (see {@link addChartValues}). */
  private readonly extraValues: HelmValues[] = [];

  /**
   * Inhibit rules a component contributes (NVSentinel's quarantine muting the GPU pages of its
   * node), after the environment's own; checked like them.
   */
  addInhibitRules(rules: readonly InhibitRuleSettings[]): void {
    const problems = alertingProblems({ ...this.settings.alertmanager, inhibitRules: [...rules] }).filter((p) => p.path[0] === 'inhibitRules');
    if (problems.length > 0) throw new Error(`${this.node.path}: addInhibitRules: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
    this.extraInhibitRules.push(...rules);
  }

  /**
   * A values fragment a component contributes to the chart (kube-state-metrics exposing the node
   * labels NVSentinel writes), deep-merged over the rendered values, before `valuesOverrides`.
   * Allowlists are lists: a second fragment setting the same list replaces it, so one is allowed.
   */
  addChartValues(fragment: HelmValues): void {
    this.extraValues.push(fragment);
  }

  /**
   * Routes alerts to an automated responder (the GPU quarantine responder): a first route with
   * `continue: true` (human receivers are still notified) to a webhook receiver authenticating
   * with a bearer token from a Secret, which Alertmanager mounts. Network flows are the caller's
   * (it knows its pods and port).
   */
  addRemediationWebhook(webhook: RemediationWebhook): void {
    const taken = [...this.settings.alertmanager.receivers.map((r) => r.name), ...this.remediation.map((r) => r.receiver)];
    if (taken.includes(webhook.receiver)) {
      throw new Error(`${this.node.path}: addRemediationWebhook: a receiver named "${webhook.receiver}" already exists; rename the alertmanager receiver "${webhook.receiver}" (the name is reserved for the responder)`);
    }
    if (webhook.alertNames.length === 0) throw new Error(`${this.node.path}: addRemediationWebhook "${webhook.receiver}": needs at least one alert name`);
    this.remediation.push(webhook);
  }

  /**
   * Adds a log pipeline as a Grafana datasource (one per kind), read from the pipeline itself:
   * Grafana queries Loki or Elasticsearch where, and as, that construct serves it.
   */
  addDatasource(source: GrafanaLogSource): void {
    const d = source.grafanaLogDatasource;
    if (d.kind === 'loki') {
      if (this.logDatasources.loki) throw new Error(`${this.node.path}: addDatasource: a Loki datasource is already added (one per kind)`);
      this.logDatasources.loki = d.endpoint;
    } else {
      if (this.logDatasources.elasticsearch) throw new Error(`${this.node.path}: addDatasource: an Elasticsearch datasource is already added (one per kind)`);
      this.logDatasources.elasticsearch = d.elasticsearch;
    }
  }

  /**
   * An Alertmanager this stack did not create, for rulers to send to (the Loki ruler's
   * `alertmanager` prop): `KubePrometheusStack.alertmanagerFromAttributes({ url })`.
   */
  static alertmanagerFromAttributes(attrs: { readonly url: string }): { readonly alertmanagerUrl: string } {
    serviceUrl(attrs.url, 'KubePrometheusStack.alertmanagerFromAttributes: attrs.url');
    return { alertmanagerUrl: attrs.url.replace(/\/+$/, '') };
  }

  constructor(scope: Construct, id: string, props: KubePrometheusStackProps) {
    super(scope, id);
    const { common } = props;
    const s = { prometheus: prometheusSettings(props.prometheus), alertmanager: alertmanagerSettings(props.alertmanager), grafana: grafanaSettings(props.grafana) };
    this.settings = s;
    const problems = alertingProblems(s.alertmanager);
    if (problems.length > 0) {
      throw new Error(`${this.node.path}: ${problems.map((p) => `props.alertmanager.${p.path.join('.')}: ${p.message}`).join('; ')}`);
    }
    const ui = (name: string, i: IngressSettings | undefined): UiIngressProps | undefined => {
      if (!i) return undefined;
      const tlsOn = props.tls?.enabledFor('ui') ?? false;
      const secretName = tlsOn && props.tls ? props.tls.certificateFor({ name, dnsNames: [i.host] }).secretName : undefined;
      return { host: i.host, className: i.className, ...(secretName ? { tlsSecretName: secretName } : {}) };
    };
    this.alertmanagerUrl = `http://${KPS_FULLNAME}-alertmanager.${common.namespace}.svc:${KPS_PORTS.alertmanagerWeb}`;
    const grafanaIngress = ui('grafana', s.grafana.ingress);
    const promIngress = ui('prometheus', s.prometheus.ingress);
    const amIngress = ui('alertmanager', s.alertmanager.ingress);
    // Rendered at synthesis: the datasources are the pipelines added with addDatasource().
    const values = (): HelmValues => {
      const am = this.alertmanagerConfig;
      return this.extraValues.reduce((v, extra) => deepMerge(v, extra), renderKubePrometheusStackValues({
      common,
      prometheus: {
        replicas: s.prometheus.replicas,
        resources: s.prometheus.resources,
        storage: s.prometheus.storage,
        scrapeInterval: s.prometheus.scrapeInterval,
        retentionTime: s.prometheus.retentionTime,
        retentionSizeGiB: s.prometheus.retentionSizeGiB,
        ...(promIngress ? { ingress: promIngress } : {}),
      },
      alertmanager: {
        replicas: s.alertmanager.replicas,
        resources: s.alertmanager.resources,
        storage: s.alertmanager.storage,
        config: am.config,
        secretNames: am.secretNames,
        templateFiles: am.templateFiles,
        ...(amIngress ? { ingress: amIngress } : {}),
      },
      grafana: renderGrafanaValues({
        common,
        replicas: s.grafana.replicas,
        resources: s.grafana.resources,
        adminCredentials: s.grafana.adminCredentials,
        logDatasources: { ...this.logDatasources },
        ...(grafanaIngress ? { ingress: grafanaIngress } : {}),
      }),
      }));
    };
    this.chart = new PinnedRelease(this, 'release', {
      chart: CHARTS.kubePrometheusStack,
      releaseName: DEFAULT_KPS_RELEASE_NAME,
      namespace: common.namespace,
      values,
      stateful: STATEFUL_REASONS.kubePrometheusStack,
      ...(props.valuesOverrides ? { valuesOverrides: props.valuesOverrides } : {}),
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
    });
    const w = kubePrometheusStackWorkloads();
    this.workloads = w;
    this.scrapeTargets = [
      { workload: w.prometheus, ports: [{ port: KPS_PORTS.prometheusWeb }, { port: KPS_PORTS.reloaderWeb }] },
      { workload: w.alertmanager, ports: [{ port: KPS_PORTS.alertmanagerWeb }, { port: KPS_PORTS.reloaderWeb }] },
      { workload: w.grafana, ports: [{ port: KPS_PORTS.grafana }] },
      { workload: w.kubeStateMetrics, ports: [{ port: KPS_PORTS.kubeStateMetrics }] },
      { workload: w.operator, ports: [{ port: KPS_PORTS.operatorWebhook }] },
    ];
    this.ingressTargets = [
      ...(grafanaIngress ? [{ workload: w.grafana, ports: [{ port: KPS_PORTS.grafana }] }] : []),
      ...(promIngress ? [{ workload: w.prometheus, ports: [{ port: KPS_PORTS.prometheusWeb }] }] : []),
      ...(amIngress ? [{ workload: w.alertmanager, ports: [{ port: KPS_PORTS.alertmanagerWeb }] }] : []),
    ];
    const net = props.network;
    if (net) {
      net.allow(w.prometheus, w.alertmanager, { port: KPS_PORTS.alertmanagerWeb }, 'Prometheus sends alerts to Alertmanager');
      net.allow(w.alertmanager, w.alertmanager, [{ port: KPS_PORTS.alertmanagerMesh }, { port: KPS_PORTS.alertmanagerMesh, protocol: 'UDP' }], 'Alertmanager replicas gossip');
      net.allow(w.grafana, w.prometheus, { port: KPS_PORTS.prometheusWeb }, 'Grafana queries its Prometheus datasource');
      net.allow(w.grafana, w.alertmanager, { port: KPS_PORTS.alertmanagerWeb }, 'Grafana reads its Alertmanager datasource');
      net.allow(KUBE_API_SERVER, w.operator, { port: KPS_PORTS.operatorWebhook }, 'the API server calls the Prometheus Operator admission webhook');
      const receivers = receiverDestinations(s.alertmanager.receivers, { heartbeat: s.alertmanager.heartbeat !== undefined });
      if (receivers) {
        net.restrictEgress(w.alertmanager);
        if (receivers.external.length > 0) net.allow(w.alertmanager, { anywhere: true, name: 'alert-receivers' }, receivers.external, 'Alertmanager notifies its receivers');
        for (const ns of receivers.namespaces) {
          net.allow(w.alertmanager, { name: `receivers-in-${ns}`, podSelector: {}, namespaceSelector: { 'kubernetes.io/metadata.name': ns } }, ALL_PORTS, `Alertmanager notifies in-cluster webhooks in ${ns}`);
        }
      }
    }
    addDashboards(this, props.dashboards ?? METRICS_DASHBOARDS, common, { loki: props.loki ?? false, dependsOn: props.dependsOn });
  }
}
