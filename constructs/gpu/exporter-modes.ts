/**
 * The three ways GPU metrics reach Prometheus, as modules with one contract (the config's
 * `gpu.exporter` picks one from {@link GPU_EXPORTER_MODULES}; no `if` chains). Pure: no cdktf.
 *
 * - `bundled`: the pinned dcgm-exporter chart as a DaemonSet on GPU nodes + our ServiceMonitor.
 * - `gpu-operator`: the NVIDIA GPU Operator already runs dcgm-exporter on every GPU node; we
 *   deploy no second exporter (two on one node would fight over DCGM), only a ServiceMonitor.
 * - `none`: nothing.
 */
import type { GpuExporterMode, GpuSettings } from './settings';
import type { CommonConfig } from '../core/common';
import type { KubeManifest } from '../core/manifest';
import type { HelmValues } from '../core/values';
import { DEFAULT_DCGM_RELEASE_NAME, renderDcgmExporterValues } from './dcgm-exporter.values';
import { renderDcgmServiceMonitor } from './service-monitor.render';

/** What a mode deploys. */
export interface GpuExporterPlan {
  /** Values of the pinned dcgm-exporter release, when the mode deploys one. */
  readonly release?: HelmValues;
  /** The ServiceMonitor Prometheus needs, when there is an exporter to scrape. */
  readonly serviceMonitor?: KubeManifest;
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
      serviceNamespace: common.namespace,
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
  }),
};

const none: GpuExporterModule = { mode: 'none', plan: () => ({}) };

export const GPU_EXPORTER_MODULES: Readonly<Record<GpuExporterMode, GpuExporterModule>> = {
  bundled,
  'gpu-operator': gpuOperator,
  none,
};
