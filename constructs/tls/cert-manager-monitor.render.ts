/**
 * The PodMonitor through which the stack's Prometheus scrapes the cert-manager it installs (the
 * chart's own ServiceMonitor is off: it would need the Prometheus Operator's CRDs before cert-manager,
 * which installs first). Pure: no cdktf import.
 *
 * honorLabels: cert-manager's certificate metrics carry the Certificate's own `name` and `namespace`
 * (internal/collectors/certificate_collector.go in v1.21.1); kept as they are, the certificate alerts
 * (metrics/stack-rules.ts, group `mlobs.certificates`) select the stack's namespace by that label.
 */
import type { CommonConfig } from '../core/common';
import type { KubeManifest } from '../core/manifest';

/** Name of the PodMonitor (and, through the network registry, of the scraped workload). */
export const CERT_MANAGER_POD_MONITOR_NAME = 'cert-manager';
/** The controller container's metrics port (`http-metrics`, 9402, in the pinned chart's deployment.yaml). */
export const CERT_MANAGER_METRICS_PORT_NAME = 'http-metrics';
/** Scrape interval of cert-manager's metrics (certificate expiry changes slowly). */
export const DEFAULT_CERT_MANAGER_SCRAPE_INTERVAL = '60s';

/** Labels of the cert-manager controller pods for a release name (the chart's deployment.yaml). */
export function certManagerControllerSelector(releaseName: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'cert-manager', 'app.kubernetes.io/instance': releaseName, 'app.kubernetes.io/component': 'controller' };
}

export function renderCertManagerPodMonitor(common: CommonConfig, releaseName: string): KubeManifest {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: CERT_MANAGER_POD_MONITOR_NAME, namespace: common.namespace, labels: { ...common.labels, ...common.monitorSelector } },
    spec: {
      selector: { matchLabels: certManagerControllerSelector(releaseName) },
      namespaceSelector: { matchNames: [common.namespace] },
      podMetricsEndpoints: [{ port: CERT_MANAGER_METRICS_PORT_NAME, path: '/metrics', interval: DEFAULT_CERT_MANAGER_SCRAPE_INTERVAL, honorLabels: true }],
    },
  };
}
