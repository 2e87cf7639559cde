/**
 * The PodMonitor that scrapes training pods' own `/metrics`, for teams that can change their
 * code. A pod opts in with one label (default `mlobs.dev/scrape: training`, from config) and a
 * container port named `metrics` (configurable). Pure.
 */
import type { CommonConfig } from '../core/common';
import type { KubeManifest } from '../core/manifest';
import { JOB_LABEL, inheritedJobRelabeling, jobRelabeling } from '../contracts/jobs';

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
  /** Pod label keys that name the pod's training job (the `job` label). @default DEFAULT_JOB_LABEL_KEYS */
  readonly jobLabels?: readonly string[];
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
          // The contract's series of a pod outside any job must not carry the scrape job as its `job`.
          metricRelabelings: [inheritedJobRelabeling(p.common.namespace, DEFAULT_TRAINING_POD_MONITOR_NAME)],
          relabelings: [
            { action: 'replace', sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' },
            // The training job (first workload-controller label present); pods without one keep the scrape job.
            (() => {
              const j = jobRelabeling(p.jobLabels);
              return { action: 'replace', sourceLabels: [...j.sourceLabels], separator: j.separator, regex: j.regex, targetLabel: JOB_LABEL };
            })(),
          ],
        },
      ],
    },
  };
}
