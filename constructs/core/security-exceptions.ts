/**
 * Pod security: the one list of workloads that may not run fully restricted, with what is
 * exempt and why, and the Pod Security Admission labels of the stack's namespace.
 *
 * Every container of every workload the stack configures runs non-root, with a read-only root
 * filesystem, no privilege escalation, all capabilities dropped, no host namespaces or hostPath
 * volumes, and memory requests and limits, except what is listed here.
 * test/security/pod-security.test.ts checks every environment against this list (and fails on an
 * entry that no longer matches anything); README "Security" lists the same entries.
 *
 * Pure data: no cdktf import.
 */

/** A Pod Security Standards level. */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** What the pod-security check looks at, and what an exception may exempt. */
export type SecurityField =
  /** runAsNonRoot true (pod or container) and runAsUser not 0. */
  | 'runAsNonRoot'
  | 'readOnlyRootFilesystem'
  | 'allowPrivilegeEscalation'
  /** Drop ALL, add nothing but NET_BIND_SERVICE. */
  | 'capabilities'
  | 'privileged'
  /** hostNetwork, hostPID, hostIPC. */
  | 'hostNamespaces'
  /** hostPath volumes (each exception states whether they are read-only). */
  | 'hostPath'
  /** Memory request and limit, CPU request. */
  | 'resources';

/**
 * Which of the stack's two namespaces a workload runs in: `stack` (the main namespace) or
 * `agents` (the DaemonSets that need host access; `CommonConfig.agentsNamespace`).
 */
export type StackNamespace = 'stack' | 'agents';

export interface SecurityException {
  /** The workload as `Kind/name` (an Elasticsearch node set: `Elasticsearch/<name>/<nodeSet>`). */
  readonly workload: string;
  /** The namespace the workload runs in; that namespace's `enforce` level admits it. */
  readonly namespace: StackNamespace;
  /**
   * Containers the exemption applies to (pod-level fields, hostNamespaces and hostPath, apply
   * to the pod whatever is listed). @default - every container of the workload
   */
  readonly containers?: readonly string[];
  /** The fields exempt from the check. */
  readonly exempt: readonly SecurityField[];
  /** The lowest Pod Security Standards level that admits this workload. */
  readonly requires: PodSecurityLevel;
  /** Why: what the workload does that needs it. Required, one sentence or more. */
  readonly reason: string;
}

const LEVEL_ORDER: readonly PodSecurityLevel[] = ['restricted', 'baseline', 'privileged'];

/**
 * Throws when an entry has no reason, exempts nothing, or names a workload twice for the same
 * containers: an exception is only as good as the reason written next to it.
 */
export function validateSecurityExceptions(list: readonly SecurityException[]): readonly SecurityException[] {
  const seen = new Set<string>();
  for (const [i, e] of list.entries()) {
    const where = `security exception #${i} (${e.workload || '<no workload>'})`;
    if (!/^[A-Za-z]+\/[a-z0-9.-]+(\/[a-z0-9-]+)?$/.test(e.workload)) {
      throw new Error(`${where}: workload must be Kind/name (e.g. DaemonSet/alloy), got "${e.workload}"`);
    }
    if (e.reason.trim().length < 20) {
      throw new Error(`${where}: reason is missing or too short (${JSON.stringify(e.reason)}); state what the workload does that needs ${e.exempt.join(', ') || 'the exemption'}`);
    }
    if (e.exempt.length === 0) throw new Error(`${where}: exempt is empty; remove the entry or list the fields it needs`);
    if (e.namespace !== 'stack' && e.namespace !== 'agents') throw new Error(`${where}: namespace must be stack or agents, got "${String(e.namespace)}"`);
    if (!LEVEL_ORDER.includes(e.requires)) throw new Error(`${where}: requires must be one of ${LEVEL_ORDER.join(', ')}, got "${String(e.requires)}"`);
    const key = `${e.workload}|${(e.containers ?? ['*']).join(',')}`;
    if (seen.has(key)) throw new Error(`${where}: duplicate entry for the same workload and containers; merge them`);
    seen.add(key);
  }
  return list;
}

/** The exceptions. Keep README "Security" in step (a test compares them). */
export const SECURITY_EXCEPTIONS: readonly SecurityException[] = validateSecurityExceptions([
  {
    workload: 'DaemonSet/kube-prometheus-stack-prometheus-node-exporter',
    namespace: 'agents',
    exempt: ['hostNamespaces', 'hostPath'],
    requires: 'privileged',
    reason:
      "node-exporter reports the node's own network, processes and filesystems: it shares the host's network and PID namespaces and reads /proc, /sys and / through read-only hostPath mounts",
  },
  {
    workload: 'DaemonSet/alloy',
    namespace: 'agents',
    containers: ['alloy'],
    exempt: ['runAsNonRoot', 'readOnlyRootFilesystem', 'hostPath'],
    requires: 'privileged',
    reason:
      'the log collector reads every pod\'s log files and the node journal through read-only hostPath mounts (with logs.files, also the kubelet\'s pod directory, for the emptyDir log volumes of pods that opt in); the files belong to root, so it runs as root (no added capabilities, no escalation) and keeps its positions in its writable storage path',
  },
  {
    workload: 'Beat/mlobs',
    namespace: 'agents',
    containers: ['filebeat'],
    exempt: ['runAsNonRoot', 'capabilities', 'hostPath'],
    requires: 'privileged',
    reason:
      "Filebeat reads every pod's log files and the kernel log through read-only hostPath mounts (with logs.files, also the kubelet's pod directory, for the emptyDir log volumes of pods that opt in); it runs as root with only DAC_READ_SEARCH added, to read files other users own",
  },
  {
    workload: 'DaemonSet/dcgm-exporter',
    namespace: 'agents',
    containers: ['exporter'],
    exempt: ['runAsNonRoot', 'readOnlyRootFilesystem', 'capabilities', 'hostPath'],
    requires: 'privileged',
    reason:
      "dcgm-exporter talks to the GPU driver through NVIDIA's DCGM, which needs SYS_ADMIN and root, and maps GPUs to pods through the kubelet's pod-resources socket (hostPath); the embedded host engine writes its log and state files inside the container",
  },
  {
    workload: 'Logstash/mlobs',
    namespace: 'stack',
    containers: ['logstash'],
    exempt: ['readOnlyRootFilesystem'],
    requires: 'restricted',
    reason:
      'Logstash (JRuby) unpacks native libraries and writes temporary files under its home and /tmp, which ECK does not mount as volumes; it stays non-root with no escalation and no capabilities',
  },
]);

/** The lowest Pod Security Standards level that admits every listed workload of `namespace`. */
export function requiredPodSecurityLevel(namespace: StackNamespace, list: readonly SecurityException[] = SECURITY_EXCEPTIONS): PodSecurityLevel {
  return list.filter((e) => e.namespace === namespace).reduce<PodSecurityLevel>((acc, e) => (LEVEL_ORDER.indexOf(e.requires) > LEVEL_ORDER.indexOf(acc) ? e.requires : acc), 'restricted');
}

/** The Kubernetes version whose Pod Security Standards the labels pin (`*-version`). */
export const POD_SECURITY_VERSION = 'v1.32';

/**
 * Pod Security Admission labels of one of the stack's namespaces: enforce at the lowest level
 * its workloads need (see {@link SECURITY_EXCEPTIONS}), warn and audit at `restricted`, so every
 * pod that is not fully restricted shows up in `kubectl` warnings and the audit log.
 */
export function podSecurityLabels(namespace: StackNamespace, list: readonly SecurityException[] = SECURITY_EXCEPTIONS): Record<string, string> {
  const out: Record<string, string> = {};
  const levels: Record<'enforce' | 'warn' | 'audit', PodSecurityLevel> = { enforce: requiredPodSecurityLevel(namespace, list), warn: 'restricted', audit: 'restricted' };
  for (const [mode, level] of Object.entries(levels)) {
    out[`pod-security.kubernetes.io/${mode}`] = level;
    out[`pod-security.kubernetes.io/${mode}-version`] = POD_SECURITY_VERSION;
  }
  return out;
}
