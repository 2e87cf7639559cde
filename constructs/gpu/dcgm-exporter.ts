import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { GpuSettings } from './settings';
import type { CommonConfig } from '../core/common';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import { PinnedRelease } from '../core/pinned-release';
import type { HelmValues } from '../core/values';
import type { KubeManifest } from '../core/manifest';
import { CHARTS } from '../versions';
import { DCGM_METRICS_PORT, DEFAULT_DCGM_RELEASE_NAME } from './dcgm-exporter.values';
import type { ScrapeTarget } from '../core/network';
import { clusterPolicyCountersPatch, GPU_EXPORTER_MODULES } from './exporter-modes';
import { literalConfigMap } from '../core/config-map';
import type { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';

export interface DcgmExporterProps {
  readonly common: CommonConfig;
  /** The environment's `gpu` settings; `exporter` picks the mode. */
  readonly gpu: GpuSettings;
  /** The stack's custom-resource chart (carries the ServiceMonitor). */
  readonly resources: CustomResourceChart;
  /** The release that installs the ServiceMonitor CRD (kube-prometheus-stack). */
  readonly operatorRelease: ITerraformDependable;
  /**
   * Deep-merged last over the chart values (bundled mode only).
   * @default - none
   * @see https://github.com/NVIDIA/dcgm-exporter/blob/main/deployment/values.yaml
   */
  readonly valuesOverrides?: HelmValues;
  /** Resources the release waits for (e.g. the namespace). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * GPU metrics for Prometheus: dcgm-exporter deployed (`bundled`), reused from the NVIDIA GPU
 * Operator (`gpu-operator`), or nothing (`none`); see exporter-modes.ts.
 */
export class DcgmExporter extends Construct {
  /** The bundled release (bundled mode only; its `release` is the helm_release escape hatch). */
  readonly chart?: PinnedRelease;
  /** The ServiceMonitor, when there is an exporter to scrape. */
  readonly serviceMonitor?: KubeManifest;
  /** gpu-operator mode: our counters in the operator's namespace, and the ClusterPolicy merge patch that makes its exporter read them. */
  readonly operatorCounters?: { readonly configMap: ConfigMapV1; readonly clusterPolicyPatch: ReturnType<typeof clusterPolicyCountersPatch> };
  /** The bundled exporter's pods and metrics port (for NetworkPolicies); none when the exporter lives elsewhere. */
  readonly scrapeTargets: readonly ScrapeTarget[];

  constructor(scope: Construct, id: string, props: DcgmExporterProps) {
    super(scope, id);
    const plan = GPU_EXPORTER_MODULES[props.gpu.exporter].plan(props.common, props.gpu);
    if (plan.release) {
      this.chart = new PinnedRelease(this, 'release', {
        chart: CHARTS.dcgmExporter,
        releaseName: DEFAULT_DCGM_RELEASE_NAME,
        // A host agent (SYS_ADMIN, hostPath): in the agents namespace, Pod Security privileged.
        namespace: props.common.agentsNamespace,
        values: plan.release,
        ...(props.valuesOverrides ? { valuesOverrides: props.valuesOverrides } : {}),
        ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
      });
    }
    this.scrapeTargets = plan.release
      ? [{ workload: { name: 'dcgm-exporter', namespace: props.common.agentsNamespace, podSelector: { 'app.kubernetes.io/name': 'dcgm-exporter', 'app.kubernetes.io/instance': DEFAULT_DCGM_RELEASE_NAME } }, ports: [{ port: DCGM_METRICS_PORT }] }]
      : [];
    if (plan.countersConfigMap) {
      const c = plan.countersConfigMap;
      const configMap = literalConfigMap(this, 'operator-counters', {
        name: c.name,
        namespace: c.namespace,
        labels: { ...props.common.labels },
        data: { ...c.data },
      });
      this.operatorCounters = { configMap, clusterPolicyPatch: clusterPolicyCountersPatch(c.name) };
    }
    if (plan.serviceMonitor) {
      this.serviceMonitor = plan.serviceMonitor;
      props.resources.add(plan.serviceMonitor, [props.operatorRelease]);
    }
  }
}
