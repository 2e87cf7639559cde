import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { gpuSettings, type GpuOptions, type GpuSettings } from './settings';
import type { CommonConfig } from '../core/common';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import type { KubeManifest } from '../core/manifest';
import { renderPrometheusRule } from '../core/prometheus-rule';
import type { HelmValues } from '../core/values';
import { DcgmExporter } from './dcgm-exporter';
import { renderGpuRuleGroups } from './gpu-rules';
import { gpuFleetDashboard } from './dashboards';
import { GPU_REMEDIATION_MODULES } from './remediation-modes';
import { addDashboards } from '../contracts/dashboard-config-maps';

/** Name of the GPU PrometheusRule. */
export const DEFAULT_GPU_RULE_NAME = 'mlobs-gpu';

export interface GpuMonitoringProps {
  readonly common: CommonConfig;
  /** Exporter mode, its placement and the alert thresholds. @default - see {@link GpuOptions} (bundled exporter) */
  readonly gpu?: GpuOptions;
  /** The stack's custom-resource chart (ServiceMonitor, PrometheusRule). */
  readonly resources: CustomResourceChart;
  /** The release that installs the monitoring CRDs (kube-prometheus-stack). */
  readonly operatorRelease: ITerraformDependable;
  /** Whether a Loki datasource exists (for dashboards). @default false */
  readonly loki?: boolean;
  /** Deep-merged last over the bundled exporter's values. @default - none */
  readonly valuesOverrides?: HelmValues;
  /** Resources the exporter release and dashboards wait for. @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * GPU observability: the exporter (per mode), the GPU health PrometheusRule and the GPU fleet
 * dashboard. With `gpu.exporter: none` there are no GPU metrics, so no rules or dashboards.
 */
export class GpuMonitoring extends Construct {
  readonly exporter: DcgmExporter;
  /** The settings in use, every default applied. */
  readonly settings: GpuSettings;
  /** The GPU PrometheusRule (absent in `none` mode). */
  readonly rule?: KubeManifest;

  constructor(scope: Construct, id: string, props: GpuMonitoringProps) {
    super(scope, id);
    const { common } = props;
    this.settings = gpuSettings(props.gpu);
    this.exporter = new DcgmExporter(this, 'dcgm-exporter', {
      common,
      gpu: this.settings,
      resources: props.resources,
      operatorRelease: props.operatorRelease,
      ...(props.valuesOverrides ? { valuesOverrides: props.valuesOverrides } : {}),
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
    });
    // No exporter to scrape (mode `none`): no GPU metrics, so no rules or dashboards.
    if (!this.exporter.serviceMonitor) return;
    this.rule = renderPrometheusRule(DEFAULT_GPU_RULE_NAME, renderGpuRuleGroups(this.settings.alerts), common);
    props.resources.add(this.rule, [props.operatorRelease]);
    addDashboards(this, [gpuFleetDashboard(this.settings.alerts, GPU_REMEDIATION_MODULES[this.settings.remediation.mode].fleetPanels?.() ?? [])], common, { loki: props.loki ?? false, dependsOn: props.dependsOn });
  }
}
