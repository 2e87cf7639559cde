/**
 * The Elastic components' props vocabulary: the ECK operator, Elasticsearch (node sets per tier)
 * with Kibana, Logstash, Filebeat, the data stream and its ILM retention. Every default is a named
 * constant here; the environment schema (config/schema/elastic.ts, environment.ts) takes its
 * defaults from them. Pure: no cdktf, no zod.
 */
import { volumeOr, withDefaults, type IngressSettings, type ResourceRequirements, type VolumeSettings } from '../core/settings';

/** Name of the Elasticsearch and Kibana resources (Service `<name>-es-http`). */
export const DEFAULT_ELASTIC_NAME = 'mlobs';
/** Data stream dataset: documents go to `logs-<dataset>-<namespace>`. */
export const DEFAULT_DATASET = 'ml';
/** Mapping-explosion guard: at most this many fields in the index (index.mapping.total_fields.limit). */
export const DEFAULT_TOTAL_FIELDS_LIMIT = 1000;
/** The node's kernel log on the host, where NVIDIA Xid lines land. */
export const DEFAULT_KERNEL_LOG_PATH = '/var/log/kern.log';

export const ELASTIC_DEFAULT_RESOURCES = {
  elasticsearch: { requests: { cpu: '1', memory: '4Gi' }, limits: { memory: '4Gi' } },
  tier: { requests: { cpu: '1', memory: '4Gi' }, limits: { memory: '4Gi' } },
  kibana: { requests: { cpu: '200m', memory: '1Gi' }, limits: { memory: '1Gi' } },
  logstash: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '2Gi' } },
  filebeat: { requests: { cpu: '100m', memory: '200Mi' }, limits: { memory: '400Mi' } },
  operator: { requests: { cpu: '100m', memory: '150Mi' }, limits: { memory: '512Mi' } },
} as const satisfies Record<string, ResourceRequirements>;

/** How Elasticsearch/Kibana HTTP certificates are issued: ECK's own CA, or the Tls component's issuer. */
export const HTTP_CERTIFICATE_MODES = ['eck', 'issuer'] as const;
export type HttpCertificateMode = (typeof HTTP_CERTIFICATE_MODES)[number];
/** Pod anti-affinity between Elasticsearch nodes. */
export const ANTI_AFFINITY_MODES = ['preferred', 'required'] as const;
export type AntiAffinityMode = (typeof ANTI_AFFINITY_MODES)[number];

/** Defaults of the Elastic components (counts, volumes, modes). */
export const DEFAULT_ELASTIC = {
  replicas: 1,
  storageGiB: 100,
  tierCount: 1,
  tierStorageGiB: 100,
  antiAffinity: 'preferred',
  httpCertificate: 'eck',
  kibanaCount: 1,
  logstashCount: 1,
} as const satisfies { antiAffinity: AntiAffinityMode; httpCertificate: HttpCertificateMode; [k: string]: unknown };

/** ILM of the ML log data stream: roll over daily or at 50 GiB a primary shard, delete after 30 days. */
export const DEFAULT_ILM = { rolloverMaxAge: '1d', rolloverMaxPrimaryShardSizeGiB: 50, deleteMinAge: '30d' } as const;

/** A warm or cold tier of dedicated data nodes. */
export interface ElasticTierSettings {
  readonly count: number;
  readonly resources: ResourceRequirements;
  /** JVM heap (-Xms = -Xmx), at most half the memory limit. @default - sized by the JVM */
  readonly jvmHeap?: string | undefined;
  readonly storage: VolumeSettings;
}
export interface ElasticTierOptions {
  /** @default 1 */
  readonly count?: number;
  /** @default ELASTIC_DEFAULT_RESOURCES.tier */
  readonly resources?: ResourceRequirements;
  readonly jvmHeap?: string | undefined;
  /** @default - 100 GiB on the default StorageClass */
  readonly storage?: Partial<VolumeSettings>;
}

/** The ILM phases (`retention.elasticsearch` in an environment file). */
export interface IlmRetention {
  readonly rollover: { readonly maxAge: string; readonly maxPrimaryShardSizeGiB: number };
  readonly warm?: { readonly minAge: string } | undefined;
  readonly cold?: { readonly minAge: string } | undefined;
  readonly delete: { readonly minAge: string };
}
export interface IlmRetentionOptions {
  /** @default DEFAULT_ILM (1d, 50 GiB) */
  readonly rollover?: { readonly maxAge?: string; readonly maxPrimaryShardSizeGiB?: number };
  /** Move to warm nodes this long after rollover (needs a warm tier). @default - no warm phase */
  readonly warm?: { readonly minAge: string } | undefined;
  /** Move to cold nodes this long after rollover (needs a cold tier). @default - no cold phase */
  readonly cold?: { readonly minAge: string } | undefined;
  /** @default DEFAULT_ILM.deleteMinAge (30d) */
  readonly delete?: { readonly minAge?: string };
}

/** Elasticsearch (the hot or only node set, and extra tiers) and its HTTP certificate. */
export interface ElasticsearchSettings {
  /** Nodes of the hot (or only) node set. */
  readonly replicas: number;
  readonly resources: ResourceRequirements;
  readonly storage: VolumeSettings;
  readonly jvmHeap?: string | undefined;
  readonly antiAffinity: AntiAffinityMode;
  readonly httpCertificate: HttpCertificateMode;
  readonly tiers: { readonly warm?: ElasticTierSettings | undefined; readonly cold?: ElasticTierSettings | undefined };
  readonly dataStream: { readonly dataset: string; readonly namespace?: string | undefined };
  readonly totalFieldsLimit: number;
  readonly retention: IlmRetention;
}
export interface ElasticsearchOptions {
  /** @default 1 */
  readonly replicas?: number;
  /** @default ELASTIC_DEFAULT_RESOURCES.elasticsearch */
  readonly resources?: ResourceRequirements;
  /** @default - 100 GiB on the default StorageClass */
  readonly storage?: Partial<VolumeSettings>;
  /** @default - sized by the JVM from the memory limit */
  readonly jvmHeap?: string | undefined;
  /** @default 'preferred' */
  readonly antiAffinity?: AntiAffinityMode;
  /** @default 'eck' ('issuer' needs the Tls component) */
  readonly httpCertificate?: HttpCertificateMode;
  /** @default - no extra tiers */
  readonly tiers?: { readonly warm?: ElasticTierOptions | undefined; readonly cold?: ElasticTierOptions | undefined };
  /** @default - dataset 'ml', namespace from the environment name */
  readonly dataStream?: { readonly dataset?: string; readonly namespace?: string | undefined };
  /** @default DEFAULT_TOTAL_FIELDS_LIMIT (1000) */
  readonly totalFieldsLimit?: number;
  /** @default - see {@link DEFAULT_ILM} */
  readonly retention?: IlmRetentionOptions;
}

/**
 * The stack's own Elasticsearch users (ECK file realm): basic-auth Secrets the team's secret manager
 * creates (`username`, `password`, and `roles` as listed in {@link ES_USER_ROLES}). The `elastic`
 * superuser is used by nothing the stack runs.
 */
export interface ElasticUsers {
  /** Grafana's read-only user. */
  readonly grafanaUser: string;
  /** The setup Job's user (ILM policy, index template, Kibana saved objects). */
  readonly setupUser: string;
  /** The metrics exporter's user (cluster and index `monitor`). */
  readonly monitorUser: string;
}
export const DEFAULT_ES_USERS: ElasticUsers = { grafanaUser: 'mlobs-es-grafana', setupUser: 'mlobs-es-setup', monitorUser: 'mlobs-es-monitor' };
/** The roles each user's Secret must list (its `roles` key, comma separated). */
export const ES_USER_ROLES = { grafana: ['mlobs_reader'], setup: ['mlobs_setup', 'kibana_admin'], monitor: ['mlobs_monitor'] } as const;
/** The exporter's requests and limits. */
export const DEFAULT_ES_EXPORTER_RESOURCES = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } } as const;

export interface KibanaSettings {
  readonly count: number;
  readonly resources: ResourceRequirements;
  /** Expose Kibana through an Ingress on this host (TLS where the `ui` hop asks for it). @default - not exposed */
  readonly ingress?: IngressSettings | undefined;
}
export interface LogstashSettings {
  readonly count: number;
  readonly resources: ResourceRequirements;
  readonly jvmHeap?: string | undefined;
}
export interface FilebeatSettings {
  readonly resources: ResourceRequirements;
  /** An absolute path on the node, read through a read-only hostPath. */
  readonly kernelLogPath: string;
}

function tierSettings(t: ElasticTierOptions | undefined): ElasticTierSettings | undefined {
  if (!t) return undefined;
  return {
    count: t.count ?? DEFAULT_ELASTIC.tierCount,
    resources: t.resources ?? ELASTIC_DEFAULT_RESOURCES.tier,
    ...(t.jvmHeap ? { jvmHeap: t.jvmHeap } : {}),
    storage: volumeOr(t.storage, DEFAULT_ELASTIC.tierStorageGiB),
  };
}

export function elasticsearchSettings(o: ElasticsearchOptions = {}): ElasticsearchSettings {
  const warm = tierSettings(o.tiers?.warm);
  const cold = tierSettings(o.tiers?.cold);
  const r = o.retention ?? {};
  return {
    replicas: o.replicas ?? DEFAULT_ELASTIC.replicas,
    resources: o.resources ?? ELASTIC_DEFAULT_RESOURCES.elasticsearch,
    storage: volumeOr(o.storage, DEFAULT_ELASTIC.storageGiB),
    ...(o.jvmHeap ? { jvmHeap: o.jvmHeap } : {}),
    antiAffinity: o.antiAffinity ?? DEFAULT_ELASTIC.antiAffinity,
    httpCertificate: o.httpCertificate ?? DEFAULT_ELASTIC.httpCertificate,
    tiers: { ...(warm ? { warm } : {}), ...(cold ? { cold } : {}) },
    dataStream: { dataset: o.dataStream?.dataset ?? DEFAULT_DATASET, ...(o.dataStream?.namespace ? { namespace: o.dataStream.namespace } : {}) },
    totalFieldsLimit: o.totalFieldsLimit ?? DEFAULT_TOTAL_FIELDS_LIMIT,
    retention: {
      rollover: {
        maxAge: r.rollover?.maxAge ?? DEFAULT_ILM.rolloverMaxAge,
        maxPrimaryShardSizeGiB: r.rollover?.maxPrimaryShardSizeGiB ?? DEFAULT_ILM.rolloverMaxPrimaryShardSizeGiB,
      },
      ...(r.warm ? { warm: r.warm } : {}),
      ...(r.cold ? { cold: r.cold } : {}),
      delete: { minAge: r.delete?.minAge ?? DEFAULT_ILM.deleteMinAge },
    },
  };
}

export const kibanaSettings = (o?: Partial<KibanaSettings>): KibanaSettings =>
  withDefaults<KibanaSettings>({ count: DEFAULT_ELASTIC.kibanaCount, resources: ELASTIC_DEFAULT_RESOURCES.kibana }, o);
export const logstashSettings = (o?: Partial<LogstashSettings>): LogstashSettings =>
  withDefaults<LogstashSettings>({ count: DEFAULT_ELASTIC.logstashCount, resources: ELASTIC_DEFAULT_RESOURCES.logstash }, o);
export const filebeatSettings = (o?: Partial<FilebeatSettings>): FilebeatSettings =>
  withDefaults<FilebeatSettings>({ resources: ELASTIC_DEFAULT_RESOURCES.filebeat, kernelLogPath: DEFAULT_KERNEL_LOG_PATH }, o);
