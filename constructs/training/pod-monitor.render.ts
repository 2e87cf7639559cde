/**
 * The PodMonitor that scrapes training pods' own `/metrics`, for teams that can change their
 * code. A pod opts in with one label (default `mlobs.dev/scrape: training`, from config) and a
 * container port named `metrics` (configurable). Pure.
 */
import type { CommonConfig } from '../core/common';
import type { KubeManifest } from '../core/manifest';

export const DEFAULT_TRAINING_POD_MONITOR_NAME = 'mlobs-training-pods';
export const DEFAULT_TRAINING_SCRAPE_INTERVAL = '30s';

export interface TrainingPodMonitorProps {
  readonly common: CommonConfig;
  /** The opt-in label. */
  readonly scrapeLabel: { readonly key: string; readonly value: string };
  /** Name of the container port serving /metrics. */
  readonly metricsPort: string;
  /** @default DEFAULT_TRAINING_SCRAPE_INTERVAL */
  readonly interval?: string;
}

export function renderTrainingPodMonitor(p: TrainingPodMonitorProps): KubeManifest {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: DEFAULT_TRAINING_POD_MONITOR_NAME, namespace: p.common.namespace, labels: { ...p.common.labels, ...p.common.monitorSelector } },
    spec: {
      selector: { matchLabels: { [p.scrapeLabel.key]: p.scrapeLabel.value } },
      namespaceSelector: { any: true },
      podMetricsEndpoints: [
        {
          port: p.metricsPort,
          path: '/metrics',
          interval: p.interval ?? DEFAULT_TRAINING_SCRAPE_INTERVAL,
          relabelings: [{ action: 'replace', sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }],
        },
      ],
    },
  };
}
