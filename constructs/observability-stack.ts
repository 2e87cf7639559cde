import { Construct } from 'constructs';
import { dependable } from 'cdktf';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { commonConfig, type CommonConfig, type CommonConfigProps } from './core/common';
import { tfLiteral } from './core/terraform-literal';
import { CustomResourceChart } from './core/custom-resource-chart';
import { podSecurityLabels } from './core/security-exceptions';
import { Tls, type TlsProps } from './tls/tls';
import { KubePrometheusStack, type KubePrometheusStackProps } from './metrics/kube-prometheus-stack';
import { renderStackPrometheusRule } from './metrics/stack-rules';
import { Pushgateway } from './metrics/pushgateway';
import type { PushgatewayOptions } from './metrics/settings';
import { GpuMonitoring } from './gpu/gpu-monitoring';
import { GPU_REMEDIATION_MODULES } from './gpu/remediation-modes';
import type { GpuQuarantineResponder } from './gpu/quarantine-responder';
import { TrainingMonitoring } from './training/training-monitoring';
import { LokiPipeline, type LokiPipelineProps } from './loki/loki-pipeline';
import { ElasticPipeline, type ElasticPipelineProps } from './elastic/elastic-pipeline';
import type { GpuOptions } from './gpu/settings';
import type { TrainingOptions } from './training/settings';
import { trainingLogRules } from './training/log-rules';
import { gpuLogRules } from './gpu/log-rules';
import { DEFAULT_CLUSTER_DNS, NetworkFlows, podMonitorTarget, type ScrapeTarget, type Workload } from './core/network';
import { KPS_PORTS } from './metrics/kube-prometheus-stack';
import { LOKI_POD_PORTS } from './loki/loki';
import { ES_HTTP_PORT } from './elastic/names';
import { STATEFUL_REASONS } from './core/stateful';
import { markStateful } from './core/stateful-mark';

/** The ingress controller's pods: every pod in the `ingress-nginx` namespace. */
export const DEFAULT_INGRESS_CONTROLLER: Workload = {
  name: 'ingress-controller',
  podSelector: {},
  namespaceSelector: { 'kubernetes.io/metadata.name': 'ingress-nginx' },
};

/** How the stack's NetworkPolicies are written. */
export interface StackNetworkProps {
  /**
   * Write the NetworkPolicies (default deny of ingress, then the stack's flows). They take
   * effect only where the cluster's CNI enforces NetworkPolicies.
   * @default true
   * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
   */
  readonly policies?: boolean;
  /**
   * The ingress controller's pods, which reach the UIs exposed through an Ingress and the
   * ACME HTTP-01 solver pods.
   * @default DEFAULT_INGRESS_CONTROLLER
   */
  readonly ingressController?: Workload;
  /** Cluster DNS, reachable from every egress-restricted pod. @default DEFAULT_CLUSTER_DNS */
  readonly dns?: Workload;
}

/** What a component's props are without what the composition wires itself. */
type Wired = 'common' | 'resources' | 'tls' | 'dependsOn' | 'network' | 'alertmanager' | 'loki';

export interface ObservabilityStackProps extends CommonConfigProps {
  /**
   * TLS with this issuer, hops and certificate settings (cert-manager installed unless told not to).
   * @default - no TLS
   */
  readonly tls?: Omit<TlsProps, 'common' | 'resources' | 'network'>;
  /** Prometheus, Alertmanager and Grafana (Grafana's admin Secret is required). */
  readonly metrics: Pick<KubePrometheusStackProps, 'prometheus' | 'alertmanager' | 'grafana' | 'valuesOverrides' | 'dashboards'>;
  /** The Loki log pipeline. @default - no Loki pipeline */
  readonly loki?: Omit<LokiPipelineProps, Exclude<Wired, 'loki'>>;
  /** The Elastic log pipeline. @default - no Elastic pipeline */
  readonly elastic?: Omit<ElasticPipelineProps, Wired>;
  /** GPU exporter mode and alert thresholds. @default - see GpuOptions (bundled dcgm-exporter) */
  readonly gpu?: GpuOptions;
  /** Training jobs' scraping and alert thresholds. @default - see TrainingOptions */
  readonly training?: TrainingOptions;
  /** A Pushgateway for batch jobs that cannot be scraped. @default - none */
  readonly pushgateway?: PushgatewayOptions;
  /** NetworkPolicies. @default - default deny of ingress and the stack's flows, ingress from `ingress-nginx` */
  readonly network?: StackNetworkProps;
}

/**
 * The L3 composition: the whole ML observability stack for one environment, inside any
 * TerraformStack that has Kubernetes and Helm providers. Components are added here, each
 * from its own settings; the namespace and the shared {@link CommonConfig} flow down.
 */
export class ObservabilityStack extends Construct {
  readonly common: CommonConfig;
  readonly namespace: NamespaceV1;
  /**
   * The agents namespace (`common.agentsNamespace`): the DaemonSets that need host access
   * (node-exporter, the bundled dcgm-exporter), Pod Security `privileged` enforced.
   */
  readonly agentsNamespace: NamespaceV1;
  /** The generated chart that carries every custom resource of the stack. */
  readonly resources: CustomResourceChart;
  /** TLS (cert-manager and the issuer), when the environment enables it. */
  readonly tls?: Tls;
  /** Metrics and alerting: kube-prometheus-stack (Prometheus, Alertmanager, Grafana). */
  readonly metrics: KubePrometheusStack;
  /** GPU metrics (dcgm-exporter per `gpu.exporter`), GPU health alerts and dashboards. */
  readonly gpu: GpuMonitoring;
  /** The GPU quarantine responder, in `gpu.remediation.mode: responder`. */
  readonly gpuResponder?: GpuQuarantineResponder;
  /** Training jobs: PodMonitor, log-derived training alerts, job dashboard. */
  readonly training: TrainingMonitoring;
  /** The Loki log pipeline (Loki, the collector, ruler alerts), when `logs.pipelines` has loki. */
  readonly loki?: LokiPipeline;
  /** The Elastic log pipeline (ECK), when `logs.pipelines` has elastic. */
  readonly elastic?: ElasticPipeline;
  /** The Pushgateway, when enabled. */
  readonly pushgateway?: Pushgateway;
  /**
   * The stack's network flows, recorded where components are wired; rendered as
   * NetworkPolicies into {@link resources} at the end of the constructor.
   */
  readonly network: NetworkFlows;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id);
    this.common = commonConfig(props);
    this.namespace = new NamespaceV1(this, 'namespace', {
      // Pod Security Admission: enforce the lowest level the named exceptions of each namespace
      // need, warn and audit at restricted (see core/security-exceptions.ts, README "Security").
      metadata: tfLiteral({ name: this.common.namespace, labels: { ...this.common.labels, 'app.kubernetes.io/managed-by': 'terraform', ...podSecurityLabels('stack') } }),
    });
    markStateful(this.namespace, STATEFUL_REASONS.namespace);
    this.agentsNamespace = new NamespaceV1(this, 'agents-namespace', {
      metadata: tfLiteral({ name: this.common.agentsNamespace, labels: { ...this.common.labels, 'app.kubernetes.io/managed-by': 'terraform', ...podSecurityLabels('agents') } }),
    });
    markStateful(this.agentsNamespace, STATEFUL_REASONS.namespace);
    const namespaces = [this.namespace, this.agentsNamespace];
    this.resources = new CustomResourceChart(this, 'resources', { namespace: this.common.namespace });
    this.resources.installAfter(...namespaces);
    const network = new NetworkFlows({
      namespace: this.common.namespace,
      namespaces: [this.common.agentsNamespace],
      labels: this.common.labels,
      dns: props.network?.dns ?? DEFAULT_CLUSTER_DNS,
    });
    this.network = network;
    if (props.tls) {
      this.tls = new Tls(this, 'tls', { ...props.tls, common: this.common, resources: this.resources, network });
      if (this.tls.certManager) this.tls.certManager.release.dependsOn = [dependable(this.namespace)];
    }
    this.metrics = new KubePrometheusStack(this, 'metrics', {
      ...props.metrics,
      common: this.common,
      loki: props.loki !== undefined,
      ...(this.tls ? { tls: this.tls } : {}),
      // node-exporter is rendered into the agents namespace.
      dependsOn: namespaces,
      network,
    });
    // The stack's own alert rules (what kube-prometheus' defaults do not cover).
    this.resources.add(renderStackPrometheusRule({ common: this.common, retentionTime: this.metrics.settings.prometheus.retentionTime }), [this.metrics.chart.release]);
    // The training job of a pod, named the same way on every path (streams, log-derived and scraped metrics).
    const jobLabels = props.training?.jobLabels;
    if (props.elastic) {
      this.elastic = new ElasticPipeline(this, 'elastic', {
        ...(jobLabels ? { jobLabels } : {}),
        ...props.elastic,
        common: this.common,
        resources: this.resources,
        ...(this.tls ? { tls: this.tls } : {}),
        dependsOn: [this.namespace, this.metrics.chart.release],
        network,
      });
      this.metrics.addDatasource(this.elastic);
    }
    if (props.loki) {
      this.loki = new LokiPipeline(this, 'loki', {
        ...(jobLabels ? { jobLabels } : {}),
        ...props.loki,
        common: this.common,
        resources: this.resources,
        ...(this.tls ? { tls: this.tls } : {}),
        // the collector is installed into the agents namespace
        dependsOn: namespaces,
        network,
        alertmanager: this.metrics,
        // Each component's LogQL alerts, gathered here (the mixin pattern).
        logRules: [...trainingLogRules(), ...gpuLogRules(), ...(props.loki.logRules ?? [])],
      });
      this.metrics.addDatasource(this.loki);
    }
    this.gpu = new GpuMonitoring(this, 'gpu', {
      common: this.common,
      ...(props.gpu ? { gpu: props.gpu } : {}),
      resources: this.resources,
      operatorRelease: this.metrics.chart.release,
      loki: this.loki !== undefined,
      // The bundled dcgm-exporter is installed into the agents namespace.
      dependsOn: namespaces,
    });
    // What acts on a fatal GPU failure (gpu.remediation.mode), one module per mode.
    this.gpuResponder = GPU_REMEDIATION_MODULES[this.gpu.settings.remediation.mode].deploy(this, {
      common: this.common,
      gpu: this.gpu.settings,
      resources: this.resources,
      alertmanager: this.metrics,
      operatorRelease: this.metrics.chart.release,
      network,
      dependsOn: [this.namespace],
    });
    this.training = new TrainingMonitoring(this, 'training', {
      common: this.common,
      ...(props.training ? { training: props.training } : {}),
      resources: this.resources,
      operatorRelease: this.metrics.chart.release,
      loki: this.loki !== undefined,
      events: this.loki?.eventsCollector !== undefined,
      dependsOn: [this.namespace],
    });
    if (props.pushgateway) {
      this.pushgateway = new Pushgateway(this, 'pushgateway', { common: this.common, pushgateway: props.pushgateway, dependsOn: [this.namespace, this.metrics.chart.release], network });
    }
    // PrometheusRules/ServiceMonitors in the resources chart need the operator's CRDs first
    // (components that add custom resources already list it: no duplicate).
    this.resources.installAfter(this.metrics.chart.release);

    // Flows between components, recorded here where they are wired (each component records its own).
    const { prometheus, grafana, alertmanager } = this.metrics.workloads;
    const scrapeTargets: ScrapeTarget[] = [
      ...this.metrics.scrapeTargets,
      ...(this.loki?.loki.scrapeTargets ?? []),
      ...(this.elastic?.scrapeTargets ?? []),
      ...this.gpu.exporter.scrapeTargets,
      ...(this.pushgateway?.scrapeTargets ?? []),
    ];
    for (const t of scrapeTargets) network.allow(prometheus, t.workload, t.ports, `Prometheus scrapes ${t.workload.name}`);
    // PodMonitors in the stack's chart, read back: the scraped pods reuse the component's workload when the selector is the same.
    for (const m of this.resources.resources) {
      const t = podMonitorTarget(m, this.common.namespace, [this.common.agentsNamespace]);
      if (t) network.allow(prometheus, network.workloadFor(t.workload.podSelector, t.workload), t.ports, `Prometheus scrapes PodMonitor ${m.metadata.name}`);
    }
    if (this.loki) {
      network.allow(grafana, this.loki.loki.workloads.gateway, { port: LOKI_POD_PORTS.gateway }, 'Grafana queries its Loki datasource');
      network.allow(this.loki.loki.workloads.ruler, alertmanager, { port: KPS_PORTS.alertmanagerWeb }, 'the Loki ruler sends alerts to Alertmanager');
    }
    if (this.elastic) network.allow(grafana, this.elastic.workloads.elasticsearch, { port: ES_HTTP_PORT }, 'Grafana queries its Elasticsearch datasource');
    const ingressController = props.network?.ingressController ?? DEFAULT_INGRESS_CONTROLLER;
    for (const t of [...this.metrics.ingressTargets, ...(this.elastic?.ingressTargets ?? []), ...(this.tls?.ingressTargets ?? [])]) {
      network.allow(ingressController, t.workload, t.ports, `the ingress controller serves ${t.workload.name}`);
    }
    const policies = network.render(`${this.node.path} (ObservabilityStack)`);
    if (props.network?.policies ?? true) for (const p of policies) this.resources.add(p);
  }
}
