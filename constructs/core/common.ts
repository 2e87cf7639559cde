/**
 * Settings shared by every component (kube-prometheus's `common`): passed down explicitly,
 * never read from globals. Pure: no cdktf import.
 */

/** A Kubernetes DNS-1123 label (a namespace or volume name): lowercase letters, digits and '-', at most 63 characters. */
export const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface CommonConfig {
  /** Namespace every component is deployed into, except the host agents. */
  readonly namespace: string;
  /**
   * Namespace of the DaemonSets that need host access (node-exporter, the bundled
   * dcgm-exporter): created and owned by the stack, Pod Security `privileged` enforced there,
   * so the main namespace enforces only what its own workloads need.
   */
  readonly agentsNamespace: string;
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

/** The namespace a stack uses when nothing says otherwise. */
export const DEFAULT_NAMESPACE = 'mlobs';

/** Suffix of the agents namespace when nothing says otherwise: `<namespace>-agents`. */
export const DEFAULT_AGENTS_NAMESPACE_SUFFIX = '-agents';

/** The agents namespace of a stack namespace when nothing says otherwise. */
export const defaultAgentsNamespace = (namespace: string): string => `${namespace}${DEFAULT_AGENTS_NAMESPACE_SUFFIX}`;

export interface CommonConfigProps {
  /** The environment's name: the `environment` label on metrics and alerts. */
  readonly environment: string;
  /** Namespace of the stack (created and owned by it). @default DEFAULT_NAMESPACE ('mlobs') */
  readonly namespace?: string;
  /**
   * Namespace of the host agents (created and owned by the stack, Pod Security `privileged`).
   * @default - `<namespace>-agents`
   * @see https://kubernetes.io/docs/concepts/security/pod-security-admission/
   */
  readonly agentsNamespace?: string | undefined;
  /** The `cluster` label. @default - the environment name */
  readonly clusterName?: string | undefined;
  /** Labels on every object. @default - none (plus `app.kubernetes.io/part-of: mlobs`) */
  readonly labels?: Readonly<Record<string, string>>;
}

/** The {@link CommonConfig} for an environment, namespace, cluster and labels. */
export function commonConfig(props: CommonConfigProps): CommonConfig {
  const namespace = props.namespace ?? DEFAULT_NAMESPACE;
  const agentsNamespace = props.agentsNamespace ?? defaultAgentsNamespace(namespace);
  if (!DNS_1123_LABEL.test(agentsNamespace)) {
    throw new Error(`agentsNamespace: "${agentsNamespace}" is not a valid namespace name (a DNS label: lowercase letters, digits and '-', at most 63 characters)${props.agentsNamespace === undefined ? `; it is the default for namespace "${namespace}": shorten namespace or set agentsNamespace` : ''}`);
  }
  if (agentsNamespace === namespace) {
    throw new Error(`agentsNamespace: must differ from the stack namespace (both are "${namespace}"): the agents namespace enforces Pod Security privileged, the stack namespace does not; leave agentsNamespace unset for "${defaultAgentsNamespace(namespace)}"`);
  }
  return {
    namespace,
    agentsNamespace,
    clusterName: props.clusterName ?? props.environment,
    environment: props.environment,
    labels: {
      ...props.labels,
      'app.kubernetes.io/part-of': 'mlobs',
    },
    monitorSelector: { [MONITOR_LABEL_KEY]: namespace },
  };
}
