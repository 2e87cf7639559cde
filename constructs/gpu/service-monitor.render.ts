/**
 * The ServiceMonitor that makes Prometheus scrape dcgm-exporter, in either mode. Pure.
 *
 * Relabelings: `node` from the exporter pod's node (alert routing and inhibition use it);
 * `job` fixed to DCGM_JOB (GpuLost watches `up{job=...}`); and the target's own
 * `namespace`/`pod`/`container` dropped, so that the exporter's labels for the *workload* using
 * each GPU are kept as they are (instead of being renamed `exported_*`).
 */
import type { CommonConfig } from '../core/common';
import type { KubeManifest } from '../core/manifest';
import { DCGM_JOB } from './gpu-rules';

/** Scrape interval of the GPU metrics. */
export const DEFAULT_DCGM_SCRAPE_INTERVAL = '15s';

export interface DcgmServiceMonitorProps {
  readonly common: CommonConfig;
  /** ServiceMonitor name. */
  readonly name: string;
  /** Namespace of the exporter's Service. */
  readonly serviceNamespace: string;
  /** Labels of the exporter's Service. */
  readonly serviceLabels: Readonly<Record<string, string>>;
  /** Name of the Service's metrics port. */
  readonly portName: string;
  /** @default DEFAULT_DCGM_SCRAPE_INTERVAL */
  readonly interval?: string;
}

export function renderDcgmServiceMonitor(p: DcgmServiceMonitorProps): KubeManifest {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: p.name, namespace: p.common.namespace, labels: { ...p.common.labels, ...p.common.monitorSelector } },
    spec: {
      selector: { matchLabels: { ...p.serviceLabels } },
      namespaceSelector: { matchNames: [p.serviceNamespace] },
      endpoints: [
        {
          port: p.portName,
          path: '/metrics',
          interval: p.interval ?? DEFAULT_DCGM_SCRAPE_INTERVAL,
          honorLabels: false,
          relabelings: [
            { action: 'replace', sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' },
            { action: 'replace', targetLabel: 'job', replacement: DCGM_JOB },
            { action: 'labeldrop', regex: '^(namespace|pod|container)$' },
          ],
        },
      ],
    },
  };
}
