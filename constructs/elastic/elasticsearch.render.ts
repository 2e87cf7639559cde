/**
 * The Elasticsearch custom resource (ECK `elasticsearch.k8s.elastic.co/v1`). Pure: no cdktf import.
 *
 * - One node set per tier: without warm/cold tiers a single `default` node set with every role
 *   (dev: one node); with tiers, `hot` (master, ingest, data_hot, data_content) plus `warm` /
 *   `cold` data nodes. Each data node carries the attribute `node.attr.data: <tier>`, which the
 *   ILM policy's `allocate` action requires (see ilm.render.ts).
 * - Security stays on (ECK default: TLS, authentication, the generated `elastic` user).
 * - HTTP TLS from ECK's own CA, or from a cert-manager Secret when `httpCertificateSecret` is set.
 * - Anti-affinity per node set (preferred or required), a PodDisruptionBudget of one unavailable
 *   node when the cluster has more than one node, none for a single node (it could never drain).
 * - `node.store.allow_mmap: false`: no privileged init container to raise vm.max_map_count.
 */
import type { KubeManifest } from '../core/manifest';
import type { ResourceRequirements } from '../core/settings';

export const ES_API_VERSION = 'elasticsearch.k8s.elastic.co/v1';
/** The data volume claim name ECK expects. */
export const ES_DATA_VOLUME = 'elasticsearch-data';
/** The node attribute that ILM's allocate action matches. */
export const TIER_ATTRIBUTE = 'data';

export type TierName = 'hot' | 'warm' | 'cold';

export interface NodeSetProps {
  /** Number of nodes. */
  readonly count: number;
  /** Requests and limits of the elasticsearch container. */
  readonly resources: ResourceRequirements;
  /** JVM heap (Kubernetes quantity, e.g. 2Gi). @default - sized by the JVM from the memory limit */
  readonly jvmHeap?: string;
  /** Data volume. */
  readonly storage: { readonly className?: string; readonly sizeGiB: number };
}

export interface ElasticsearchRenderProps {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Elastic Stack version (ELASTIC_STACK_VERSION). */
  readonly version: string;
  /** The hot (or only) node set. */
  readonly hot: NodeSetProps;
  /** Dedicated warm/cold data tiers. @default - none: one node set with every role */
  readonly tiers?: { readonly warm?: NodeSetProps; readonly cold?: NodeSetProps };
  /** Pod anti-affinity between nodes. @default 'preferred' */
  readonly antiAffinity?: 'preferred' | 'required';
  /** cert-manager Secret (tls.crt, tls.key, ca.crt) for HTTP. @default - ECK's self-signed CA */
  readonly httpCertificateSecret?: string;
  /** Custom roles (Secrets with `roles.yml`) and file-realm users (basic-auth Secrets). @default - none */
  readonly auth?: { readonly roles: readonly string[]; readonly fileRealm: readonly string[] };
}

/**
 * Container security context of Elasticsearch and Kibana: what ECK applies by default to
 * recent versions, written out so the rendered resource states it (ECK mounts the writable
 * volumes: data, logs, config, tmp).
 */
export const ECK_CONTAINER_SECURITY = {
  runAsNonRoot: true,
  privileged: false,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
} as const;

/**
 * Pod securityContext of the ECK pods we template (Elasticsearch, Kibana): the seccomp profile
 * Pod Security `restricted` requires, for every container including the ones ECK injects. ECK
 * applies its own default (fsGroup 1000, the elasticsearch/kibana group) only when the template
 * sets none, so it is kept here.
 */
export const ECK_POD_SECURITY = {
  fsGroup: 1000,
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/** `-Xms`/`-Xmx` in the JVM's unit (m) from a Kubernetes quantity. */
export function jvmHeapOption(quantity: string): string {
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!m) throw new Error(`jvmHeap "${quantity}" is not a memory quantity like 2Gi`);
  const mult: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024, k: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20, T: 1e12 / 2 ** 20 };
  const mib = Math.floor(Number(m[1]) * (m[2] ? (mult[m[2]] ?? 1) : 1 / 2 ** 20));
  if (mib < 256) throw new Error(`jvmHeap "${quantity}" is below 256Mi`);
  return `-Xms${mib}m -Xmx${mib}m`;
}

function nodeSet(name: string, tier: TierName | undefined, roles: readonly string[] | undefined, p: NodeSetProps, cluster: string, anti: 'preferred' | 'required'): Record<string, unknown> {
  const selector = { labelSelector: { matchLabels: { 'elasticsearch.k8s.elastic.co/cluster-name': cluster } }, topologyKey: 'kubernetes.io/hostname' };
  const affinity =
    anti === 'required'
      ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [selector] } }
      : { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: selector }] } };
  return {
    name,
    count: p.count,
    config: {
      ...(roles ? { 'node.roles': [...roles] } : {}),
      ...(tier ? { [`node.attr.${TIER_ATTRIBUTE}`]: tier } : {}),
      'node.store.allow_mmap': false,
    },
    podTemplate: {
      spec: {
        affinity,
        securityContext: ECK_POD_SECURITY,
        containers: [
          {
            name: 'elasticsearch',
            resources: { requests: { ...p.resources.requests }, limits: { ...p.resources.limits } },
            securityContext: ECK_CONTAINER_SECURITY,
            ...(p.jvmHeap ? { env: [{ name: 'ES_JAVA_OPTS', value: jvmHeapOption(p.jvmHeap) }] } : {}),
          },
        ],
      },
    },
    volumeClaimTemplates: [
      {
        metadata: { name: ES_DATA_VOLUME },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: `${p.storage.sizeGiB}Gi` } },
          ...(p.storage.className ? { storageClassName: p.storage.className } : {}),
        },
      },
    ],
  };
}

/** Total nodes of the cluster. */
export function nodeCount(props: Pick<ElasticsearchRenderProps, 'hot' | 'tiers'>): number {
  return props.hot.count + (props.tiers?.warm?.count ?? 0) + (props.tiers?.cold?.count ?? 0);
}

export function renderElasticsearch(props: ElasticsearchRenderProps): KubeManifest {
  const anti = props.antiAffinity ?? 'preferred';
  const tiered = Boolean(props.tiers?.warm ?? props.tiers?.cold);
  const sets = tiered
    ? [
        nodeSet('hot', 'hot', ['master', 'ingest', 'data_hot', 'data_content', 'remote_cluster_client'], props.hot, props.name, anti),
        ...(props.tiers?.warm ? [nodeSet('warm', 'warm', ['data_warm'], props.tiers.warm, props.name, anti)] : []),
        ...(props.tiers?.cold ? [nodeSet('cold', 'cold', ['data_cold'], props.tiers.cold, props.name, anti)] : []),
      ]
    : [nodeSet('default', 'hot', undefined, props.hot, props.name, anti)];
  const total = nodeCount(props);
  return {
    apiVersion: ES_API_VERSION,
    kind: 'Elasticsearch',
    metadata: { name: props.name, namespace: props.namespace, labels: { ...props.labels } },
    spec: {
      version: props.version,
      http: { tls: props.httpCertificateSecret ? { certificate: { secretName: props.httpCertificateSecret } } : { selfSignedCertificate: { disabled: false } } },
      // One node may be down at a time when there are several; a single node gets no PDB
      // (it would block node drains forever).
      ...(props.auth
        ? { auth: { roles: props.auth.roles.map((secretName) => ({ secretName })), fileRealm: props.auth.fileRealm.map((secretName) => ({ secretName })) } }
        : {}),
      podDisruptionBudget: total > 1 ? { spec: { maxUnavailable: 1, selector: { matchLabels: { 'elasticsearch.k8s.elastic.co/cluster-name': props.name } } } } : {},
      nodeSets: sets,
    },
  };
}

/**
 * The stack's own Elasticsearch roles (ECK `spec.auth.roles`, a Secret holding `roles.yml`; no
 * credential in it): `mlobs_reader` reads the ML data streams (Grafana), `mlobs_setup` manages the
 * ILM policy and index template (the setup Job, which also holds Kibana's built-in `kibana_admin`
 * to import saved objects), `mlobs_monitor` reads cluster and index stats (the metrics exporter).
 */
export function renderEsRoles(dataset: string): Record<string, unknown> {
  return {
    mlobs_reader: { cluster: ['monitor'], indices: [{ names: [`logs-${dataset}-*`], privileges: ['read', 'view_index_metadata'] }] },
    mlobs_setup: { cluster: ['manage_ilm', 'manage_index_templates', 'monitor'], indices: [] },
    // elasticsearch_exporter's documented needs: cluster monitor, and index monitor for its index and shard stats.
    mlobs_monitor: { cluster: ['monitor'], indices: [{ names: ['*'], privileges: ['monitor'] }] },
  };
}
