import { Construct } from 'constructs';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import type { EnvironmentSettings } from '../config/schema/environment';
import { commonConfigFor, type CommonConfig } from './core/common';
import { CustomResourceChart } from './core/custom-resource-chart';
import { Tls } from './tls/tls';
import { KubePrometheusStack } from './metrics/kube-prometheus-stack';
import { renderStackPrometheusRule } from './metrics/stack-rules';
import { GpuMonitoring } from './gpu/gpu-monitoring';
import { TrainingMonitoring } from './training/training-monitoring';
import { LokiPipeline } from './loki/loki-pipeline';
import { ElasticPipeline } from './elastic/elastic-pipeline';

export interface ObservabilityStackProps {
  /**
   * Name of the environment: the value of the `environment` label on metrics and alerts.
   * Behaviour never depends on it; it comes only from `settings`.
   */
  readonly environment: string;
  /** Validated environment settings (see config/schema). */
  readonly settings: EnvironmentSettings;
}

/**
 * The L3 composition: the whole ML observability stack for one environment, inside any
 * TerraformStack that has Kubernetes and Helm providers. Components are added here, each
 * from its own settings; the namespace and the shared {@link CommonConfig} flow down.
 */
export class ObservabilityStack extends Construct {
  readonly common: CommonConfig;
  readonly namespace: NamespaceV1;
  /** The generated chart that carries every custom resource of the stack. */
  readonly resources: CustomResourceChart;
  /** TLS (cert-manager and the issuer), when the environment enables it. */
  readonly tls?: Tls;
  /** Metrics and alerting: kube-prometheus-stack (Prometheus, Alertmanager, Grafana). */
  readonly metrics: KubePrometheusStack;
  /** GPU metrics (dcgm-exporter per `gpu.exporter`), GPU health alerts and dashboards. */
  readonly gpu: GpuMonitoring;
  /** Training jobs: PodMonitor, log-derived training alerts, job dashboard. */
  readonly training: TrainingMonitoring;
  /** The Loki log pipeline (Loki, the collector, ruler alerts), when `logs.pipelines` has loki. */
  readonly loki?: LokiPipeline;
  /** The Elastic log pipeline (ECK), when `logs.pipelines` has elastic. */
  readonly elastic?: ElasticPipeline;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id);
    const s = props.settings;
    this.common = commonConfigFor(props.environment, s);
    this.namespace = new NamespaceV1(this, 'namespace', {
      metadata: { name: this.common.namespace, labels: { ...this.common.labels, 'app.kubernetes.io/managed-by': 'terraform' } },
    });
    this.resources = new CustomResourceChart(this, 'resources', { namespace: this.common.namespace });
    this.resources.release.dependsOn = [this.namespace.fqn];
    if (s.tls.enabled) {
      this.tls = new Tls(this, 'tls', { common: this.common, tls: s.tls, certManager: s.certManager, resources: this.resources });
      this.tls.certManager?.release.addOverride('depends_on', [this.namespace.fqn]);
    }
    this.metrics = new KubePrometheusStack(this, 'metrics', {
      common: this.common,
      settings: s,
      ...(this.tls ? { tls: this.tls } : {}),
      dependsOn: [this.namespace],
    });
    // The stack's own alert rules (what kube-prometheus' defaults do not cover).
    this.resources.add(renderStackPrometheusRule({ common: this.common, retentionTime: s.retention.prometheus.time }), [this.metrics.chart.release]);
    if (s.logs.pipelines.includes('elastic')) {
      this.elastic = new ElasticPipeline(this, 'elastic', {
        common: this.common,
        settings: s,
        resources: this.resources,
        ...(this.tls ? { tls: this.tls } : {}),
        dependsOn: [this.namespace, this.metrics.chart.release],
      });
    }
    if (s.logs.pipelines.includes('loki')) {
      this.loki = new LokiPipeline(this, 'loki', {
        common: this.common,
        settings: s,
        resources: this.resources,
        ...(this.tls ? { tls: this.tls } : {}),
        dependsOn: [this.namespace],
      });
    }
    this.gpu = new GpuMonitoring(this, 'gpu', {
      common: this.common,
      gpu: s.gpu,
      resources: this.resources,
      operatorRelease: this.metrics.chart.release,
      loki: s.logs.pipelines.includes('loki'),
      dependsOn: [this.namespace],
    });
    this.training = new TrainingMonitoring(this, 'training', {
      common: this.common,
      training: s.training,
      resources: this.resources,
      operatorRelease: this.metrics.chart.release,
      loki: s.logs.pipelines.includes('loki'),
      dependsOn: [this.namespace],
    });
    // PrometheusRules/ServiceMonitors in the resources chart need the operator's CRDs first
    // (components that add custom resources already list it: no duplicate).
    const deps = this.resources.release.dependsOn ?? [];
    if (!deps.includes(this.metrics.chart.release.fqn)) this.resources.release.dependsOn = [...deps, this.metrics.chart.release.fqn];
  }
}
