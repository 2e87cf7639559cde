/**
 * mlobs as a library: the constructs, their props types and the config types. Importing this
 * module has no side effects (it reads no config and synthesizes nothing); the app entry is
 * `stacks/main.ts`.
 *
 * The composition and the main constructs are exported by name; each component's renderers,
 * defaults and helpers are under its namespace (`metrics`, `gpu`, `training`, `loki`, `elastic`,
 * `tls`, `mllogs`) so their names cannot collide.
 */
export * from './config';
export { ObservabilityStack, type ObservabilityStackProps } from './constructs/observability-stack';
export { EnvironmentStack } from './stacks/environment-stack';
export { commonConfigFor, observabilityPropsFor } from './stacks/environment-props';
export { buildApp, synthesizeAll, type SynthesizeOptions } from './stacks/app';
export { CHARTS, IMAGES, PROVIDERS, type PinnedChart, type ChartKey } from './constructs/versions';
export * from './constructs/core/common';
export * from './constructs/core/manifest';
export * from './constructs/core/values';
export * from './constructs/core/prometheus-rule';
export * from './constructs/core/network';
export { DEFAULT_INGRESS_CLASS, volumeOr, withDefaults, type IngressSettings, type Toleration, type VolumeSettings } from './constructs/core/settings';
export { PinnedRelease, type PinnedReleaseProps } from './constructs/core/pinned-release';
export { CustomResourceChart, type CustomResourceChartProps } from './constructs/core/custom-resource-chart';
export { Tls, type TlsProps } from './constructs/tls/tls';
export { KubePrometheusStack, type KubePrometheusStackProps } from './constructs/metrics/kube-prometheus-stack';
export { DcgmExporter } from './constructs/gpu/dcgm-exporter';
export { GpuMonitoring, type GpuMonitoringProps } from './constructs/gpu/gpu-monitoring';
export { TrainingMonitoring, type TrainingMonitoringProps } from './constructs/training/training-monitoring';
export { Loki, type LokiProps } from './constructs/loki/loki';
export { LokiPipeline, type LokiPipelineProps } from './constructs/loki/loki-pipeline';
export { ElasticPipeline, type ElasticPipelineProps } from './constructs/elastic/elastic-pipeline';
export { EckOperator, type EckOperatorProps } from './constructs/elastic/eck-operator';
export { ElasticsearchCluster, type ElasticsearchClusterProps } from './constructs/elastic/elasticsearch-cluster';
export { Logstash, type LogstashProps } from './constructs/elastic/logstash';
export { Filebeat, type FilebeatProps } from './constructs/elastic/filebeat';
export { KubernetesEvents, type KubernetesEventsProps } from './constructs/elastic/kubernetes-events';
export { ElasticsearchExporter, type ElasticsearchExporterProps } from './constructs/elastic/elasticsearch-exporter';
export { Pushgateway, type PushgatewayProps } from './constructs/metrics/pushgateway';
export * as tls from './constructs/tls';
export * as metrics from './constructs/metrics';
export * as gpu from './constructs/gpu';
export * as training from './constructs/training';
export * as loki from './constructs/loki';
export * as elastic from './constructs/elastic';
export * as mllogs from './constructs/mllogs';
