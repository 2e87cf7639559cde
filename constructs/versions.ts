/**
 * Every chart, image and provider version the toolkit deploys, in one place. Constructs never
 * hard-code a tag. A test holds CHARTS equal to ../shared/charts/pins.json.
 *
 * Pure data: no cdktf import, so renderers and validators can use it.
 */

export interface PinnedChart {
  /** Chart name in its repository. */
  readonly chart: string;
  /** Exact chart version (never a range). */
  readonly version: string;
  /** Helm repository URL (https or oci). */
  readonly repository: string;
  /** The app version the chart ships by default. */
  readonly appVersion: string;
  /** Set for subcharts: the parent chart and the values prefix they are configured under. */
  readonly subchartOf?: { readonly chart: string; readonly valuesPrefix: string };
  /** Upstream has deprecated the chart; we keep it as an alternative only. */
  readonly deprecated?: boolean;
  /** Vendored in ../shared marked `alternative` (for use, not pinned there yet); pinned here by the project. */
  readonly adoptedAlternative?: boolean;
}

export const CHARTS = {
  kubePrometheusStack: {
    chart: 'kube-prometheus-stack',
    version: '88.5.3',
    repository: 'https://prometheus-community.github.io/helm-charts',
    appVersion: 'v0.93.1',
  },
  grafana: {
    chart: 'grafana',
    version: '12.11.1',
    repository: 'https://grafana-community.github.io/helm-charts',
    appVersion: '13.2.0',
    subchartOf: { chart: 'kube-prometheus-stack', valuesPrefix: 'grafana' },
  },
  kubeStateMetrics: {
    chart: 'kube-state-metrics',
    version: '8.4.0',
    repository: 'https://prometheus-community.github.io/helm-charts',
    appVersion: '2.20.0',
    subchartOf: { chart: 'kube-prometheus-stack', valuesPrefix: 'kube-state-metrics' },
  },
  nodeExporter: {
    chart: 'prometheus-node-exporter',
    version: '4.56.1',
    repository: 'https://prometheus-community.github.io/helm-charts',
    appVersion: '1.12.1',
    subchartOf: { chart: 'kube-prometheus-stack', valuesPrefix: 'prometheus-node-exporter' },
  },
  loki: {
    chart: 'loki',
    version: '18.11.0',
    repository: 'https://grafana-community.github.io/helm-charts',
    appVersion: '3.7.6',
  },
  promtail: {
    chart: 'promtail',
    version: '6.17.1',
    repository: 'https://grafana.github.io/helm-charts',
    appVersion: '3.5.1',
    deprecated: true,
  },
  alloy: {
    chart: 'alloy',
    version: '1.11.1',
    repository: 'https://grafana.github.io/helm-charts',
    appVersion: 'v1.18.1',
  },
  eckOperator: {
    chart: 'eck-operator',
    version: '3.5.0',
    repository: 'https://helm.elastic.co',
    appVersion: '3.5.0',
  },
  dcgmExporter: {
    chart: 'dcgm-exporter',
    version: '4.8.2',
    repository: 'https://nvidia.github.io/dcgm-exporter/helm-charts',
    appVersion: '4.8.2',
  },
  certManager: {
    chart: 'cert-manager',
    version: 'v1.21.1',
    repository: 'https://charts.jetstack.io',
    appVersion: 'v1.21.1',
  },
  elasticsearchExporter: {
    chart: 'prometheus-elasticsearch-exporter',
    version: '7.4.0',
    repository: 'https://prometheus-community.github.io/helm-charts',
    appVersion: 'v1.11.0',
    adoptedAlternative: true,
  },
  pushgateway: {
    chart: 'prometheus-pushgateway',
    version: '3.8.0',
    repository: 'https://prometheus-community.github.io/helm-charts',
    appVersion: 'v1.11.3',
    adoptedAlternative: true,
  },
} as const satisfies Record<string, PinnedChart>;

export type ChartKey = keyof typeof CHARTS;

/** Container images whose tag we set ourselves (the rest come from the pinned charts). */
export const IMAGES = {
  /** dcgm-exporter: DCGM 4.5.3 + exporter 4.8.2, distroless (the chart's default tag). */
  dcgmExporter: { repository: 'nvcr.io/nvidia/k8s/dcgm-exporter', tag: '4.5.3-4.8.2-distroless' },
  /**
   * busybox in kube-prometheus-stack's CRD upgrade job (the chart defaults to `latest`, which
   * is not reproducible). The job's kubectl follows the cluster's version, as the chart does.
   */
  crdUpgradeBusybox: { registry: 'docker.io', repository: 'busybox', tag: '1.37.0' },
  /**
   * The official Node.js image that runs the GPU quarantine responder from its ConfigMap
   * (responder/README.md): Node 24 (LTS until 2028-04; Node 20 reached its end of life in
   * 2026-04), pinned by tag and by the multi-architecture index digest. The digest was read from
   * public repositories that pin this tag (no registry is reachable here to resolve it).
   */
  gpuResponderNode: { repository: 'docker.io/library/node', tag: '24.11.1-alpine3.22', digest: 'sha256:2867d550cf9d8bb50059a0fff528741f11a84d985c732e60e19e8e75c7239c43' },
} as const;

/**
 * Version of the Elastic Stack (Elasticsearch, Kibana, Logstash, Filebeat) that ECK deploys.
 * ECK 3.5 (CHARTS.eckOperator) manages 9.x; every Elastic custom resource uses this one value,
 * so the stack is upgraded in one place (ECK rolls the nodes).
 */
export const ELASTIC_STACK_VERSION = '9.4.4';

/** Images of the Elastic Stack at {@link ELASTIC_STACK_VERSION} (ECK picks the same by default). */
export const ELASTIC_IMAGES = {
  /** Runs the in-cluster ILM/index-template setup Job (it ships curl; already cached on ES nodes). */
  elasticsearch: { repository: 'docker.elastic.co/elasticsearch/elasticsearch', tag: ELASTIC_STACK_VERSION },
  /** Sidecar of Logstash turning its statsd event counts into Prometheus series (the free-tier alert path). */
  statsdExporter: { repository: 'quay.io/prometheus/statsd-exporter', tag: 'v0.28.0' },
} as const;

/**
 * Terraform providers, pinned exactly. Helm provider 3.0.2 embeds Helm v3.17.2, the same Helm
 * the offline render tests run, so what tests render is what deploy installs.
 */
export const PROVIDERS = {
  kubernetes: { source: 'hashicorp/kubernetes', version: '2.38.0' },
  helm: { source: 'hashicorp/helm', version: '3.0.2' },
} as const;
