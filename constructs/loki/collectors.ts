/**
 * The collector modules of the Loki pipeline, one per `logs.collector` value, behind one small
 * interface (k8s-monitoring's "features as modules"). Pure: no cdktf import.
 */
import type { RedactionPattern } from '../contracts/redaction';
import type { LogFilesSettings } from '../contracts/log-files';
import type { LogVolumeSettings, StaticFields } from '../contracts/log-volume';
import type { COLLECTORS } from './settings';
import type { CommonConfig } from '../core/common';
import type { KubeManifest } from '../core/manifest';
import type { HelmValues } from '../core/values';
import { CHARTS, type PinnedChart } from '../versions';
import { ALLOY_CONFIG_MAP, ALLOY_HTTP_PORT_NAME, renderAlloyConfig, renderAlloyValues } from './alloy.render';
import type { LokiEndpoint } from './endpoint';
import { inheritedJobRelabeling } from '../contracts/jobs';
import type { JsonFieldType } from '../contracts/json-fields';
import { PROMTAIL_HTTP_PORT, renderPromtailValues } from './promtail.render';

export type Collector = (typeof COLLECTORS)[number];

export interface CollectorRenderProps {
  readonly common: CommonConfig;
  /** Where and how to push (URL, tenant, TLS). */
  readonly loki: LokiEndpoint;
  /** Pod label keys that name a pod's training job. @default DEFAULT_JOB_LABEL_KEYS */
  readonly jobLabels?: readonly string[];
  /** Team JSON fields kept as structured metadata. @default DEFAULT_JSON_FIELDS */
  readonly jsonFields?: Readonly<Record<string, JsonFieldType>>;
  /** Redaction patterns run after the built-in rules (contracts/redaction.ts), before anything is stored. @default - the built-in rules only */
  readonly redaction?: readonly RedactionPattern[];
  /** Log files inside pods (contracts/log-files.ts). @default DEFAULT_LOG_FILES (off) */
  readonly files?: LogFilesSettings;
  /** Volume control of what is stored (contracts/log-volume.ts). @default DEFAULT_LOG_VOLUME */
  readonly volume?: LogVolumeSettings;
  /** Static fields, structured metadata on every line (contracts/log-volume.ts). @default - none */
  readonly staticFields?: StaticFields;
}

export interface CollectorOutput {
  /** Values of the collector's pinned chart. */
  readonly values: HelmValues;
  /** Custom resources (e.g. the PodMonitor that scrapes the log-derived metrics). */
  readonly manifests: readonly KubeManifest[];
  /** ConfigMaps the collector reads (name → data), created before its release. */
  readonly configMaps: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface CollectorModule {
  readonly name: Collector;
  readonly chart: PinnedChart;
  /** Helm release name (Terraform-visible: do not change). */
  readonly releaseName: string;
  /** Labels of the collector's pods (the chart's selector labels for its release). */
  readonly podSelector: Readonly<Record<string, string>>;
  /** Set when upstream has deprecated the collector. */
  readonly deprecated?: { readonly endOfLife: string; readonly note: string };
  render(props: CollectorRenderProps): CollectorOutput;
}

/** A PodMonitor for the collector pods' metrics port (log-derived metrics included). */
export function collectorPodMonitor(common: CommonConfig, name: string, podLabels: Readonly<Record<string, string>>, port: string): KubeManifest {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name, namespace: common.namespace, labels: { ...common.labels, ...common.monitorSelector } },
    spec: {
      selector: { matchLabels: { ...podLabels } },
      // the collectors run in the agents namespace
      namespaceSelector: { matchNames: [common.agentsNamespace] },
      podMetricsEndpoints: [
        // honorLabels: the log-derived series keep the workload's namespace/pod/container,
        // not the collector pod's.
        { port, path: '/metrics', interval: '30s', honorLabels: true, metricRelabelings: [inheritedJobRelabeling(common.namespace, name)] },
      ],
    },
  };
}

export const ALLOY_MODULE: CollectorModule = {
  name: 'alloy',
  chart: CHARTS.alloy,
  releaseName: 'alloy',
  podSelector: { 'app.kubernetes.io/name': 'alloy', 'app.kubernetes.io/instance': 'alloy' },
  render: (p) => ({
    values: renderAlloyValues(p),
    configMaps: { [ALLOY_CONFIG_MAP.name]: { [ALLOY_CONFIG_MAP.key]: renderAlloyConfig(p) } },
    manifests: [collectorPodMonitor(p.common, 'alloy', ALLOY_MODULE.podSelector, ALLOY_HTTP_PORT_NAME)],
  }),
};

/**
 * Promtail, the alternative collector: same pipeline from the same catalog (promtail.render.ts).
 *
 * DEPRECATED UPSTREAM, end of life 2026-03-02: kept for clusters that already run Promtail;
 * prefer the default `logs.collector: alloy`.
 */
export const PROMTAIL_MODULE: CollectorModule = {
  name: 'promtail',
  chart: CHARTS.promtail,
  releaseName: 'promtail',
  podSelector: { 'app.kubernetes.io/name': 'promtail', 'app.kubernetes.io/instance': 'promtail' },
  deprecated: { endOfLife: '2026-03-02', note: 'Promtail is deprecated upstream (end of life 2026-03-02); please set: logs.collector: alloy' },
  render: (p) => ({
    values: renderPromtailValues(p),
    // The chart creates its own ConfigMap from `config.file` (escaped for its `tpl`).
    configMaps: {},
    manifests: [collectorPodMonitor(p.common, 'promtail', PROMTAIL_MODULE.podSelector, PROMTAIL_HTTP_PORT.name)],
  }),
};

/** Every collector, by `logs.collector`. */
export const COLLECTOR_MODULES: { readonly [C in Collector]: CollectorModule } = {
  alloy: ALLOY_MODULE,
  promtail: PROMTAIL_MODULE,
};
