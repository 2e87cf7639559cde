/**
 * A team that runs its own training cluster composes only what it needs from mlobs into its
 * own TerraformStack: Prometheus/Alertmanager/Grafana, the Loki log pipeline with the ML log
 * catalog's alerts, and the GPU health alerts scraped from the NVIDIA GPU Operator's exporter.
 * No Elastic, no TLS, no bundled exporter. Settings go through mlobs' schema, so defaults and
 * validation are the same as in the mlobs app.
 *
 * Synthesize: npm run synth  (output in $CDKTF_OUTDIR or ./cdktf.out)
 */
import { App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import {
  CustomResourceChart,
  GpuMonitoring,
  KubePrometheusStack,
  LokiPipeline,
  commonConfigFor,
  parseEnvironment,
  type EnvironmentConfig,
} from 'mlobs';

/** The team's stack: its providers, its namespace, and three mlobs components. */
export class TeamMlStack extends TerraformStack {
  readonly metrics: KubePrometheusStack;
  readonly logs: LokiPipeline;
  readonly gpu: GpuMonitoring;

  constructor(scope: Construct, id: string, env: EnvironmentConfig) {
    super(scope, id);
    const kubeconfig = process.env.KUBECONFIG ?? '~/.kube/config';
    new KubernetesProvider(this, 'kubernetes', { configPath: kubeconfig });
    new HelmProvider(this, 'helm', { kubernetes: { configPath: kubeconfig } });

    const common = commonConfigFor(env.name, env.settings);
    const namespace = new NamespaceV1(this, 'namespace', { metadata: { name: common.namespace, labels: { ...common.labels } } });
    // One chart carries the custom resources (ServiceMonitor, PrometheusRule, PodMonitor).
    const resources = new CustomResourceChart(this, 'resources', { namespace: common.namespace });
    // After the namespace; depends_on takes references, which installAfter writes (not `${...}`).
    resources.installAfter(namespace);

    this.metrics = new KubePrometheusStack(this, 'metrics', { common, settings: env.settings, dependsOn: [namespace] });
    // The Loki ruler sends the catalog's LogQL alerts to this stack's Alertmanager.
    this.logs = new LokiPipeline(this, 'loki', { common, settings: env.settings, resources, dependsOn: [namespace], alertmanager: this.metrics });
    // Grafana reads Loki where (and as) the pipeline serves it.
    this.metrics.addDatasource(this.logs);
    this.gpu = new GpuMonitoring(this, 'gpu', {
      common,
      gpu: env.settings.gpu,
      resources,
      operatorRelease: this.metrics.chart.release,
      loki: true,
      dependsOn: [namespace],
    });
  }
}

const env = parseEnvironment('team-ml', {
  namespace: 'team-ml-observability',
  grafana: { adminCredentials: { secretName: 'grafana-admin' } },
  logs: { pipelines: ['loki'] },
  gpu: { exporter: 'gpu-operator' },
});
const app = new App({ outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out' });
new TeamMlStack(app, env.name, env);
app.synth();
