/**
 * Settings shared by every component (kube-prometheus's `common`): passed down explicitly,
 * never read from globals. Pure: no cdktf import.
 */
import type { EnvironmentSettings } from '../../config/schema/environment';

export interface CommonConfig {
  /** Namespace every component is deployed into. */
  readonly namespace: string;
  /** The `cluster` label on every metric and alert. */
  readonly clusterName: string;
  /** The `environment` label on every metric and alert (the environment's name). */
  readonly environment: string;
  /**
   * Labels for every object we create (user labels + `app.kubernetes.io/part-of: mlobs`).
   * Not `app.kubernetes.io/managed-by`: Helm sets that on what it installs, and a second copy
   * makes a chart render duplicate keys.
   */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * The label that marks PrometheusRules, ServiceMonitors and PodMonitors for this stack's
   * Prometheus. Teams add it to their own monitors to have them picked up.
   */
  readonly monitorSelector: Readonly<Record<string, string>>;
}

/** The label teams put on their own ServiceMonitors/PodMonitors/PrometheusRules. */
export const MONITOR_LABEL_KEY = 'mlobs.dev/monitor';

export function commonConfigFor(environment: string, settings: EnvironmentSettings): CommonConfig {
  return {
    namespace: settings.namespace,
    clusterName: settings.cluster.name ?? environment,
    environment,
    labels: {
      ...settings.labels,
      'app.kubernetes.io/part-of': 'mlobs',
    },
    monitorSelector: { [MONITOR_LABEL_KEY]: settings.namespace },
  };
}
