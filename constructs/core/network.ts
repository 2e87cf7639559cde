/**
 * The stack's network flows as data, and the NetworkPolicies (networking.k8s.io/v1) they render
 * to. Components describe their pods as {@link Workload}s (label selector + ports); a
 * relationship is recorded once, where two components are wired (`allow(from, to, port)`), and
 * renders both sides: the ingress rule on the target's policy and, when the source's egress is
 * restricted, the egress rule on the source's policy. Remove the `allow` and both sides go.
 * Pure: no cdktf import.
 *
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
import type { KubeManifest } from './manifest';

/** A label selector (`matchLabels`). An empty selector selects every pod (or namespace). */
export type LabelSelector = Readonly<Record<string, string>>;

export type NetworkProtocol = 'TCP' | 'UDP' | 'SCTP';

/** A port on the destination pod: its number or its container port name. */
export interface NetworkPort {
  /** Container port number or name (NetworkPolicy ports are pod ports, not Service ports). */
  readonly port: number | string;
  /** @default 'TCP' */
  readonly protocol?: NetworkProtocol;
}

/**
 * The pods of one component. In the stack's namespace unless `namespace` names another
 * namespace the stack owns (the agents namespace: its policy is written there), or
 * `namespaceSelector` is set (a workload elsewhere, e.g. the ingress controller: it can be a
 * source or an egress target, but this stack writes no policy for it).
 */
export interface Workload {
  /** Short, unique name; the policy of the workload is `<prefix>-<name>`. */
  readonly name: string;
  /** Labels every pod of the workload carries. */
  readonly podSelector: LabelSelector;
  /** Namespaces the pods live in (matchLabels on the Namespace). @default - the stack's namespace */
  readonly namespaceSelector?: LabelSelector;
  /**
   * Another namespace the stack owns (one of {@link NetworkFlowsProps.namespaces}) where the
   * pods live and their policy is written; peers in the other namespace select it by name.
   * @default - the stack's namespace
   */
  readonly namespace?: string;
}

/** A source or destination that is not a set of pods: anywhere (the API server calling a webhook, an external receiver). */
export interface AnyPeer {
  readonly anywhere: true;
  /** What it stands for, for people reading the policy (e.g. `kube-apiserver`). */
  readonly name: string;
}

export type NetworkPeer = Workload | AnyPeer;

/** Traffic from anywhere: the Kubernetes API server (it calls webhooks from outside the pod network). */
export const KUBE_API_SERVER: AnyPeer = { anywhere: true, name: 'kube-apiserver' };

/** Cluster DNS (CoreDNS / kube-dns in kube-system), what every egress-restricted pod must reach. */
export const DEFAULT_CLUSTER_DNS: Workload = {
  name: 'cluster-dns',
  podSelector: { 'k8s-app': 'kube-dns' },
  namespaceSelector: { 'kubernetes.io/metadata.name': 'kube-system' },
};

/** DNS ports. */
export const DNS_PORTS: readonly NetworkPort[] = [
  { port: 53, protocol: 'UDP' },
  { port: 53, protocol: 'TCP' },
];

/** Every port of the destination (for peers whose container ports this stack cannot know). */
export const ALL_PORTS = 'all-ports';
export type NetworkPorts = NetworkPort | readonly NetworkPort[] | typeof ALL_PORTS;

/** One recorded relationship. */
export interface NetworkFlow {
  readonly from: NetworkPeer;
  readonly to: NetworkPeer;
  /** The destination ports; empty means every port ({@link ALL_PORTS}). */
  readonly ports: readonly NetworkPort[];
  /** Why the flow exists (kept in the policy's annotations). */
  readonly reason: string;
}

export interface NetworkFlowsProps {
  /** The stack's namespace (where policies are written and unqualified workloads live). */
  readonly namespace: string;
  /** Labels on every policy. @default - none */
  readonly labels?: LabelSelector;
  /** Prefix of policy names. @default DEFAULT_POLICY_PREFIX */
  readonly prefix?: string;
  /** Where egress-restricted workloads resolve names. @default DEFAULT_CLUSTER_DNS */
  readonly dns?: Workload;
  /**
   * Other namespaces the stack owns (the agents namespace): each gets its own default deny of
   * ingress, and the policies of the workloads that live there.
   * @default - none
   */
  readonly namespaces?: readonly string[];
}

export const DEFAULT_POLICY_PREFIX = 'mlobs';

/** Pods a scraper reaches on some ports (what a ServiceMonitor or PodMonitor points at). */
export interface ScrapeTarget {
  readonly workload: Workload;
  readonly ports: readonly NetworkPort[];
}

/**
 * The pods and ports a PodMonitor scrapes in `namespace` or in one of the `owned` namespaces (its
 * `matchLabels` and endpoint port names; the workload names its namespace when not `namespace`);
 * undefined when it selects pods elsewhere or by expressions only.
 */
export function podMonitorTarget(podMonitor: KubeManifest, namespace: string, owned: readonly string[] = []): ScrapeTarget | undefined {
  if (podMonitor.kind !== 'PodMonitor') return undefined;
  const spec = podMonitor.spec as {
    selector?: { matchLabels?: Record<string, string> };
    namespaceSelector?: { any?: boolean; matchNames?: string[] };
    podMetricsEndpoints?: { port?: string; portNumber?: number }[];
  };
  const ns = spec.namespaceSelector;
  const own = podMonitor.metadata.namespace ?? namespace;
  // the one namespace the pods are in: the stack's, or another the stack owns (the agents namespace)
  const target = ns?.any === true ? undefined : ns?.matchNames ? (ns.matchNames.length === 1 ? ns.matchNames[0] : undefined) : own;
  const inNamespace = target === namespace || (target !== undefined && owned.includes(target));
  const labels = spec.selector?.matchLabels;
  if (!inNamespace || !labels || Object.keys(labels).length === 0) return undefined;
  const ports = (spec.podMetricsEndpoints ?? []).flatMap((e): NetworkPort[] => (e.port ? [{ port: e.port }] : e.portNumber ? [{ port: e.portNumber }] : []));
  if (ports.length === 0) return undefined;
  return { workload: { name: `metrics-${podMonitor.metadata.name}`, podSelector: labels, ...(target !== namespace ? { namespace: target } : {}) }, ports };
}

const isAnywhere = (p: NetworkPeer): p is AnyPeer => 'anywhere' in p;
const isLocal = (p: NetworkPeer): boolean => !isAnywhere(p) && p.namespaceSelector === undefined;
const isLocalWorkload = (p: NetworkPeer): p is Workload => isLocal(p);
const protocolOf = (p: NetworkPort): NetworkProtocol => p.protocol ?? 'TCP';
const portKey = (p: NetworkPort): string => `${protocolOf(p)}/${p.port}`;
const peerKey = (p: NetworkPeer): string => (isAnywhere(p) ? `*${p.name}` : p.name);
const sortedEntries = (s: LabelSelector): [string, string][] => Object.entries(s).sort(([a], [b]) => a.localeCompare(b));
/** The label Kubernetes sets on every Namespace to its name (selects one namespace portably). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const sameSelector = (a: LabelSelector | undefined, b: LabelSelector | undefined): boolean =>
  JSON.stringify(a === undefined ? null : sortedEntries(a)) === JSON.stringify(b === undefined ? null : sortedEntries(b));

/**
 * The registry: workloads and the flows between them, rendered once into NetworkPolicies.
 * Flows are deduplicated (the same from/to/port recorded twice is one rule), and a workload
 * name always means one selector (a second, different selector under the same name throws).
 */
export class NetworkFlows {
  readonly namespace: string;
  /** Every namespace the stack owns and writes policies in: its own first, then {@link NetworkFlowsProps.namespaces}. */
  readonly namespaces: readonly string[];
  private readonly labels: LabelSelector;
  private readonly prefix: string;
  private readonly dns: Workload;
  private readonly workloads = new Map<string, NetworkPeer>();
  private readonly flowList: NetworkFlow[] = [];
  private readonly flowKeys = new Set<string>();
  private readonly egressRestricted = new Map<string, Workload>();
  private sealedBy?: string;

  constructor(props: NetworkFlowsProps) {
    this.namespace = props.namespace;
    this.namespaces = [props.namespace, ...(props.namespaces ?? []).filter((n) => n !== props.namespace)];
    this.labels = props.labels ?? {};
    this.prefix = props.prefix ?? DEFAULT_POLICY_PREFIX;
    this.dns = props.dns ?? DEFAULT_CLUSTER_DNS;
  }

  /**
   * Records that `from` may open connections to `to` on `ports`. Renders the ingress rule on
   * `to`'s policy (when `to` lives in the stack's namespace) and the egress rule on `from`'s
   * policy (when {@link restrictEgress} was called for it, before or after).
   */
  allow(from: NetworkPeer, to: NetworkPeer, ports: NetworkPorts, reason: string): this {
    this.assertOpen(`allow ${peerKey(from)} -> ${peerKey(to)}`);
    if (isAnywhere(from) && isAnywhere(to)) throw new Error(`network flow "${reason}": from and to cannot both be anywhere`);
    this.register(from);
    this.register(to);
    if (ports === ALL_PORTS) {
      const key = `${peerKey(from)}|${peerKey(to)}|${ALL_PORTS}`;
      if (!this.flowKeys.has(key)) this.flowList.push({ from, to, ports: [], reason });
      this.flowKeys.add(key);
      return this;
    }
    const list = (Array.isArray(ports) ? ports : [ports]) as readonly NetworkPort[];
    if (list.length === 0) throw new Error(`network flow ${peerKey(from)} -> ${peerKey(to)} ("${reason}"): needs at least one port, or ALL_PORTS`);
    const fresh = list.filter((p) => {
      const key = `${peerKey(from)}|${peerKey(to)}|${portKey(p)}`;
      if (this.flowKeys.has(key)) return false;
      this.flowKeys.add(key);
      return true;
    });
    if (fresh.length > 0) this.flowList.push({ from, to, ports: fresh, reason });
    return this;
  }

  /**
   * The workload already recorded with exactly this selector (and namespace), else `fallback`:
   * lets a selector read from a monitor reuse the component's own workload and policy.
   */
  workloadFor(podSelector: LabelSelector, fallback: Workload): Workload {
    for (const w of this.workloads.values()) {
      if (isLocalWorkload(w) && this.nsOf(w) === this.nsOf(fallback) && sameSelector(w.podSelector, podSelector)) return w;
    }
    return fallback;
  }

  /**
   * Denies every outgoing connection of `workload` except DNS and the flows recorded from it.
   * Use it only where every destination is known (the API server and node IPs cannot be
   * selected portably, so operators and scrapers keep open egress).
   */
  restrictEgress(workload: Workload): this {
    this.assertOpen(`restrict egress of ${workload.name}`);
    if (!isLocal(workload)) throw new Error(`workload "${workload.name}" is not in namespace ${this.namespace}: its egress is not this stack's to restrict`);
    this.register(workload);
    this.egressRestricted.set(workload.name, workload);
    return this;
  }

  /** Every recorded flow, in recording order. */
  get flows(): readonly NetworkFlow[] {
    return this.flowList;
  }

  /** Whether `workload`'s egress is restricted. */
  isEgressRestricted(workload: Workload): boolean {
    return this.egressRestricted.has(workload.name);
  }

  /** Name of the policy of a workload. */
  policyName(workload: Workload): string {
    return `${this.prefix}-${workload.name}`;
  }

  /** Name of the namespace-wide default-deny policy. */
  get defaultDenyName(): string {
    return `${this.prefix}-default-deny-ingress`;
  }

  /**
   * The NetworkPolicies: default deny of ingress for the namespace, then one policy per local
   * workload with inbound flows or restricted egress. Later `allow` calls throw (the policies
   * are already placed), naming `by`.
   */
  render(by = 'render()'): KubeManifest[] {
    this.sealedBy = by;
    const out: KubeManifest[] = this.namespaces.map((ns) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: this.metadata(this.defaultDenyName, 'Deny all ingress to pods of this namespace; the other policies allow only the flows the stack needs.', ns),
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    }));
    const targets = [...this.workloads.values()].filter(isLocalWorkload).sort((a, b) => a.name.localeCompare(b.name));
    for (const w of targets) {
      const ns = this.nsOf(w);
      const inbound = this.flowList.filter((f) => !isAnywhere(f.to) && f.to.name === w.name);
      const egress = this.egressRestricted.has(w.name);
      if (inbound.length === 0 && !egress) continue;
      const outbound = egress ? this.flowList.filter((f) => !isAnywhere(f.from) && f.from.name === w.name) : [];
      const reasons = [...new Set([...inbound, ...outbound].map((f) => f.reason))];
      const spec: Record<string, unknown> = {
        podSelector: renderSelector(w.podSelector),
        policyTypes: [...(inbound.length > 0 ? ['Ingress'] : []), ...(egress ? ['Egress'] : [])],
      };
      const peer = (p: Workload): Record<string, unknown> => this.peer(p, ns);
      if (inbound.length > 0) spec.ingress = groupRules(inbound, (f) => f.from, 'from', peer);
      if (egress) {
        spec.egress = [
          { to: [peer(this.dns)], ports: DNS_PORTS.map(renderPort) },
          ...groupRules(outbound, (f) => f.to, 'to', peer),
        ];
      }
      out.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: this.metadata(this.policyName(w), reasons.join('; '), ns), spec });
    }
    return out;
  }

  /** The namespace a workload this stack owns lives in. */
  private nsOf(w: Workload): string {
    return w.namespace ?? this.namespace;
  }

  /** `p` as a peer of a policy written in `policyNamespace`: a pod of another owned namespace is selected with its namespace's name. */
  private peer(p: Workload, policyNamespace: string): Record<string, unknown> {
    if (p.namespaceSelector === undefined && this.nsOf(p) !== policyNamespace) {
      return renderPeer({ ...p, namespaceSelector: { [NAMESPACE_NAME_LABEL]: this.nsOf(p) } });
    }
    return renderPeer(p);
  }

  private metadata(name: string, description: string, namespace: string): KubeManifest['metadata'] {
    return { name, namespace, labels: { ...this.labels }, annotations: { 'mlobs.dev/flows': description } };
  }

  private register(p: NetworkPeer): void {
    if (!isAnywhere(p) && p.namespace !== undefined) {
      if (p.namespaceSelector !== undefined) throw new Error(`workload "${p.name}": set namespace (a namespace this stack owns) or namespaceSelector (pods elsewhere), not both`);
      if (!this.namespaces.includes(p.namespace)) {
        throw new Error(`workload "${p.name}" is in namespace "${p.namespace}", which this stack does not own (owned: ${this.namespaces.join(', ')}); add it to NetworkFlows' namespaces or use namespaceSelector`);
      }
    }
    const key = peerKey(p);
    const known = this.workloads.get(key);
    if (!known) {
      this.workloads.set(key, p);
      return;
    }
    if (isAnywhere(known) || isAnywhere(p)) return;
    if (!sameSelector(known.podSelector, p.podSelector) || !sameSelector(known.namespaceSelector, p.namespaceSelector) || known.namespace !== p.namespace) {
      throw new Error(
        `workload "${key}" is recorded with two selectors: ${JSON.stringify(known.podSelector)} and ${JSON.stringify(p.podSelector)}; give each set of pods its own name`,
      );
    }
  }

  private assertOpen(what: string): void {
    if (this.sealedBy) throw new Error(`cannot ${what}: the NetworkPolicies were already rendered by ${this.sealedBy}; record flows before that`);
  }
}

function renderPort(p: NetworkPort): Record<string, unknown> {
  return { port: p.port, protocol: protocolOf(p) };
}

/**
 * A label selector as the API server stores it: an empty one is `{}` (the server drops an empty
 * `matchLabels`, so writing it would read back differently).
 */
function renderSelector(labels: LabelSelector): Record<string, unknown> {
  return Object.keys(labels).length === 0 ? {} : { matchLabels: { ...labels } };
}

function renderPeer(p: Workload): Record<string, unknown> {
  return {
    ...(p.namespaceSelector !== undefined ? { namespaceSelector: renderSelector(p.namespaceSelector) } : {}),
    podSelector: renderSelector(p.podSelector),
  };
}

/** One rule per peer with all its ports (sorted, so the output does not depend on recording order). */
function groupRules(
  flows: readonly NetworkFlow[],
  peerOf: (f: NetworkFlow) => NetworkPeer,
  side: 'from' | 'to',
  render: (p: Workload) => Record<string, unknown>,
): Record<string, unknown>[] {
  const byPeer = new Map<string, { peer: NetworkPeer; ports: Map<string, NetworkPort>; all: boolean }>();
  for (const f of flows) {
    const peer = peerOf(f);
    const key = peerKey(peer);
    const entry = byPeer.get(key) ?? { peer, ports: new Map<string, NetworkPort>(), all: false };
    if (f.ports.length === 0) entry.all = true;
    for (const p of f.ports) entry.ports.set(portKey(p), p);
    byPeer.set(key, entry);
  }
  return [...byPeer.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, { peer, ports, all }]) => ({
      // No `from`/`to`: any source or destination (what the API server needs to call a webhook).
      ...(isAnywhere(peer) ? {} : { [side]: [render(peer)] }),
      // No `ports`: every port.
      ...(all ? {} : { ports: [...ports.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, p]) => renderPort(p)) }),
    }));
}
