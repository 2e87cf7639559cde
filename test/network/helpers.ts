/**
 * A small evaluator of NetworkPolicy ingress/egress semantics for one namespace, used to ask
 * "may pods labelled A open a connection to pods labelled B on port P?" of rendered policies.
 * It follows the API's rules: a pod not selected by any policy of a direction is open in that
 * direction; otherwise some rule of a selecting policy must match the peer and the port. Peers
 * in other namespaces are matched by their namespace labels; `from`/`to` absent means any peer.
 */
import type { KubeManifest } from '../../constructs/core/manifest';

export type Labels = Readonly<Record<string, string>>;

interface Selector {
  readonly matchLabels?: Labels;
}
interface PolicyPeer {
  readonly podSelector?: Selector;
  readonly namespaceSelector?: Selector;
  readonly ipBlock?: unknown;
}
interface PolicyPort {
  readonly port?: number | string;
  readonly protocol?: string;
}
interface PolicyRule {
  readonly from?: readonly PolicyPeer[];
  readonly to?: readonly PolicyPeer[];
  readonly ports?: readonly PolicyPort[];
}
export interface PolicySpec {
  readonly podSelector: Selector;
  readonly policyTypes: readonly ('Ingress' | 'Egress')[];
  readonly ingress?: readonly PolicyRule[];
  readonly egress?: readonly PolicyRule[];
}

/** A pod as a policy sees it: its labels and its namespace's labels. */
export interface Endpoint {
  readonly labels: Labels;
  /** Labels of the pod's namespace. */
  readonly namespace: Labels;
}

/** A destination port: the container port number and, when it has one, its name. */
export interface Port {
  readonly number: number;
  readonly name?: string;
  /** @default 'TCP' */
  readonly protocol?: string;
}

export const matches = (selector: Selector | undefined, labels: Labels): boolean =>
  Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

export function policiesOf(manifests: readonly KubeManifest[]): (KubeManifest & { spec: PolicySpec })[] {
  return manifests.filter((m) => m.kind === 'NetworkPolicy') as (KubeManifest & { spec: PolicySpec })[];
}

function peerMatches(peer: PolicyPeer, who: Endpoint, policyNamespace: Labels): boolean {
  if (peer.ipBlock) return false;
  const nsOk = peer.namespaceSelector ? matches(peer.namespaceSelector, who.namespace) : matches({ matchLabels: policyNamespace }, who.namespace);
  return nsOk && matches(peer.podSelector, who.labels);
}

function portMatches(ports: readonly PolicyPort[] | undefined, port: Port): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP') && (p.port === undefined || p.port === port.number || (port.name !== undefined && p.port === port.name)));
}

const NAME = 'kubernetes.io/metadata.name';

/**
 * Whether `from` may connect to `to` on `port` under `policies`. Each policy applies in its
 * `metadata.namespace` (the stack's namespace and the agents namespace), else in the namespace
 * whose labels are `namespace`. Checks both the egress side of `from` and the ingress side of `to`;
 * a pod of a namespace with no policy here is not this stack's to decide.
 */
export function isAllowed(
  policies: readonly { metadata?: { namespace?: string | undefined }; spec: PolicySpec }[],
  namespace: Labels,
  from: Endpoint,
  to: Endpoint,
  port: Port,
): boolean {
  const policyNs = (p: { metadata?: { namespace?: string | undefined } }): Labels => (p.metadata?.namespace ? { [NAME]: p.metadata.namespace } : namespace);
  const side = (dir: 'Ingress' | 'Egress', subject: Endpoint, peer: Endpoint): boolean => {
    const mine = policies.filter((p) => matches({ matchLabels: policyNs(p) }, subject.namespace));
    if (mine.length === 0) return true; // not this stack's policies to decide
    const selecting = mine.filter((p) => p.spec.policyTypes.includes(dir) && matches(p.spec.podSelector, subject.labels));
    if (selecting.length === 0) return true;
    return selecting.some((p) =>
      (dir === 'Ingress' ? p.spec.ingress : p.spec.egress)?.some((r) => {
        const peers = dir === 'Ingress' ? r.from : r.to;
        return (peers === undefined || peers.some((x) => peerMatches(x, peer, policyNs(p)))) && portMatches(r.ports, port);
      }) ?? false,
    );
  };
  return side('Egress', from, to) && side('Ingress', to, from);
}
