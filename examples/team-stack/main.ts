/**
 * A team that runs its own training cluster composes only what it needs from mlobs into its
 * own TerraformStack: Prometheus/Alertmanager/Grafana, the Loki log pipeline with the ML log
 * catalog's alerts, and the GPU health alerts scraped from the NVIDIA GPU Operator's exporter.
 * No Elastic, no TLS, no bundled exporter, no environment file: each component takes its own
 * typed props, every one it leaves out has a documented default (the same defaults the mlobs
 * app's environment files get).
 *
 * Synthesize: npm run synth  (output in $CDKTF_OUTDIR or ./cdktf.out)
 */
import { App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { CustomResourceChart, GpuMonitoring, KubePrometheusStack, LokiPipeline, commonConfig, gpu, training } from 'mlobs';

/** The team's stack: its providers, its namespace, and three mlobs components. */
export class TeamMlStack extends TerraformStack {
  readonly metrics: KubePrometheusStack;
  readonly logs: LokiPipeline;
  readonly gpu: GpuMonitoring;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const kubeconfig = process.env.KUBECONFIG ?? '~/.kube/config';
    new KubernetesProvider(this, 'kubernetes', { configPath: kubeconfig });
    new HelmProvider(this, 'helm', { kubernetes: { configPath: kubeconfig } });

    const common = commonConfig({ environment: id, namespace: 'team-ml-observability' });
    const namespace = new NamespaceV1(this, 'namespace', { metadata: { name: common.namespace, labels: { ...common.labels } } });
    // One chart carries the custom resources (ServiceMonitor, PrometheusRule, PodMonitor).
    const resources = new CustomResourceChart(this, 'resources', { namespace: common.namespace });
    // After the namespace; depends_on takes references, which installAfter writes (not `${...}`).
    resources.installAfter(namespace);

    this.metrics = new KubePrometheusStack(this, 'metrics', {
      common,
      // The admin user comes from an existing Secret (never a literal password).
      grafana: { adminCredentials: { secretName: 'grafana-admin' } },
      prometheus: { retentionTime: '7d', retentionSizeGiB: 20, storage: { sizeGiB: 30 } },
      loki: true,
      dependsOn: [namespace],
    });
    // The Loki ruler evaluates the training and GPU components' LogQL alerts and sends them to this stack's Alertmanager.
    this.logs = new LokiPipeline(this, 'loki', {
      common,
      resources,
      dependsOn: [namespace],
      alertmanager: this.metrics,
      logRules: [...training.trainingLogRules(), ...gpu.gpuLogRules()],
      loki: { retentionPeriod: '336h' },
    });
    // Grafana reads Loki where (and as) the pipeline serves it.
    this.metrics.addDatasource(this.logs);
    this.gpu = new GpuMonitoring(this, 'gpu', {
      common,
      gpu: { exporter: 'gpu-operator', alerts: { temperatureWarningCelsius: 80 } },
      resources,
      operatorRelease: this.metrics.chart.release,
      loki: true,
      dependsOn: [namespace],
    });
  }
}

const app = new App({ outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out' });
new TeamMlStack(app, 'team-ml');
app.synth();
