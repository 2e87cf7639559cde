/**
 * Values for the pinned eck-operator chart. Pure: no cdktf import.
 *
 * - Watches only the stack's namespaces (`managedNamespaces`: the stack's, and the agents
 *   namespace where the Filebeat DaemonSet runs), so several stacks or teams can run their own ECK
 *   without fighting over resources.
 * - CRDs come with the release (`installCRDs`), so one apply works on an empty cluster.
 * - Metrics on a plain port, scraped through the chart's PodMonitor labelled with the stack's
 *   monitor selector (kube-prometheus-stack's Prometheus picks it up).
 */
import type { CommonConfig } from '../core/common';
import type { HelmValues } from '../core/values';

/** Port of the operator's /metrics endpoint. */
export const DEFAULT_ECK_METRICS_PORT = 9090;
/** Scrape interval of the operator's PodMonitor (the chart defaults to 5m). */
export const DEFAULT_ECK_SCRAPE_INTERVAL = '60s';

export interface EckOperatorValuesProps {
  readonly common: CommonConfig;
  /** Operator requests and limits. */
  readonly resources: { readonly requests: Readonly<Record<string, string>>; readonly limits: Readonly<Record<string, string>> };
  /** Namespaces the operator manages. @default - the stack's namespace and its agents namespace */
  readonly managedNamespaces?: readonly string[];
}

export function renderEckOperatorValues(props: EckOperatorValuesProps): HelmValues {
  return {
    managedNamespaces: [...(props.managedNamespaces ?? [props.common.namespace, props.common.agentsNamespace])],
    installCRDs: true,
    createClusterScopedResources: true,
    resources: props.resources,
    // Pod Security `restricted` wants a seccomp profile; the chart's podSecurityContext has only
    // runAsNonRoot (its container securityContext already drops every capability, no escalation).
    podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    statefulsetLabels: { ...props.common.labels },
    podLabels: { ...props.common.labels },
    config: { metrics: { port: String(DEFAULT_ECK_METRICS_PORT) } },
    podMonitor: {
      enabled: true,
      labels: { ...props.common.monitorSelector },
      interval: DEFAULT_ECK_SCRAPE_INTERVAL,
      scrapeTimeout: '30s',
    },
  };
}
