/**
 * The three ways GPU metrics reach Prometheus, as modules with one contract (the config's
 * `gpu.exporter` picks one from {@link GPU_EXPORTER_MODULES}; no `if` chains). Pure: no cdktf.
 *
 * - `bundled`: the pinned dcgm-exporter chart as a DaemonSet on GPU nodes, in the agents
 *   namespace (`common.agentsNamespace`), + our ServiceMonitor (in the stack namespace).
 * - `gpu-operator`: the NVIDIA GPU Operator already runs dcgm-exporter on every GPU node; we
 *   deploy no second exporter (two on one node would fight over DCGM), only a ServiceMonitor and
 *   our counters as a ConfigMap in the operator's namespace: the operator's default counters
 *   comment out the ECC, NVLink and throttling fields the GPU alerts need. The ClusterPolicy's
 *   `spec.dcgmExporter.config.name` must name it ({@link clusterPolicyCountersPatch}).
 * - `none`: nothing.
 */
import type { GpuExporterMode, GpuSettings } from './settings';
import type { CommonConfig } from '../core/common';
import type { KubeManifest } from '../core/manifest';
import type { HelmValues } from '../core/values';
import { DEFAULT_DCGM_RELEASE_NAME, renderDcgmExporterValues } from './dcgm-exporter.values';
import { renderDcgmServiceMonitor } from './service-monitor.render';
import { renderCountersCsv } from './dcgm-fields';

/**
 * The key the GPU Operator mounts from the ConfigMap named by `spec.dcgmExporter.config.name`
 * (it then points DCGM_EXPORTER_COLLECTORS at it); read in the operator's
 * controllers/object_controls.go (MetricsConfigFileName), v26.3.3.
 */
export const GPU_OPERATOR_COUNTERS_KEY = 'dcgm-metrics.csv';

/** The one ClusterPolicy setting that makes the operator's exporter read our counters (a merge patch). */
export function clusterPolicyCountersPatch(countersConfigMap: string): { readonly spec: { readonly dcgmExporter: { readonly config: { readonly name: string } } } } {
  return { spec: { dcgmExporter: { config: { name: countersConfigMap } } } };
}

/** A ConfigMap a mode writes outside the stack namespace. */
export interface ForeignConfigMap {
  readonly name: string;
  readonly namespace: string;
  readonly data: Readonly<Record<string, string>>;
}

/** What a mode deploys. */
export interface GpuExporterPlan {
  /** Values of the pinned dcgm-exporter release, when the mode deploys one. */
  readonly release?: HelmValues;
  /** The ServiceMonitor Prometheus needs, when there is an exporter to scrape. */
  readonly serviceMonitor?: KubeManifest;
  /** The counters ConfigMap for an exporter the stack does not deploy (gpu-operator mode). */
  readonly countersConfigMap?: ForeignConfigMap;
}

export interface GpuExporterModule {
  readonly mode: GpuExporterMode;
  plan(common: CommonConfig, gpu: GpuSettings): GpuExporterPlan;
}

const bundled: GpuExporterModule = {
  mode: 'bundled',
  plan: (common, gpu) => ({
    release: renderDcgmExporterValues({
      common,
      nodeSelector: gpu.nodeSelector,
      tolerations: gpu.tolerations,
      profilingMetrics: gpu.profilingMetrics,
    }),
    serviceMonitor: renderDcgmServiceMonitor({
      common,
      name: DEFAULT_DCGM_RELEASE_NAME,
      serviceNamespace: common.agentsNamespace,
      // The chart's selector labels for release "dcgm-exporter".
      serviceLabels: { 'app.kubernetes.io/name': 'dcgm-exporter', 'app.kubernetes.io/instance': DEFAULT_DCGM_RELEASE_NAME },
      portName: 'metrics',
    }),
  }),
};

const gpuOperator: GpuExporterModule = {
  mode: 'gpu-operator',
  plan: (common, gpu) => ({
    serviceMonitor: renderDcgmServiceMonitor({
      common,
      name: 'gpu-operator-dcgm-exporter',
      serviceNamespace: gpu.operator.namespace,
      serviceLabels: gpu.operator.serviceLabels,
      portName: gpu.operator.portName,
    }),
    countersConfigMap: {
      name: gpu.operator.countersConfigMap,
      namespace: gpu.operator.namespace,
      data: { [GPU_OPERATOR_COUNTERS_KEY]: renderCountersCsv({ profiling: gpu.profilingMetrics }) },
    },
  }),
};

const none: GpuExporterModule = { mode: 'none', plan: () => ({}) };

export const GPU_EXPORTER_MODULES: Readonly<Record<GpuExporterMode, GpuExporterModule>> = {
  bundled,
  'gpu-operator': gpuOperator,
  none,
};
