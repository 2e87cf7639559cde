/**
 * The Loki component's props vocabulary: deployment mode, object storage (credentials by Secret
 * reference or workload identity), tenancy, retention, and the collector. Every default is a
 * named constant here; the environment schema (config/schema/loki.ts, environment.ts) takes its
 * defaults from them. Pure: no cdktf, no zod.
 */
import { volumeOr, type ResourceRequirements, type SecretRef, type VolumeSettings } from '../core/settings';

export const LOKI_DEPLOYMENT_MODES = ['monolithic', 'scalable'] as const;
/** monolithic: one binary on a filesystem volume; scalable: read/write/backend targets on object storage. */
export type LokiDeploymentMode = (typeof LOKI_DEPLOYMENT_MODES)[number];
export const LOKI_STORAGE_BACKENDS = ['s3', 's3-compatible', 'gcs', 'azure'] as const;

/** The collectors the Loki pipeline can run (Promtail is deprecated upstream, end of life 2026-03-02). */
export const COLLECTORS = ['alloy', 'promtail'] as const;
export type CollectorName = (typeof COLLECTORS)[number];

/** Loki keeps at least one index period (24h); shorter retention is rejected by Loki. */
export const LOKI_MIN_RETENTION = '24h';

/** Defaults of the Loki component. */
export const DEFAULT_LOKI = {
  deploymentMode: 'monolithic',
  replicas: 1,
  resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
  storageGiB: 50,
  authEnabled: true,
  /** limits_config.retention_period: 31 days. */
  retentionPeriod: '744h',
  /** Per-stream retention of `level="debug"` lines. */
  debugRetention: '72h',
  collector: 'alloy',
} as const satisfies {
  deploymentMode: LokiDeploymentMode;
  resources: ResourceRequirements;
  collector: CollectorName;
  [k: string]: unknown;
};
/** Per-stream retention of `level="debug"` lines when nothing says otherwise. */
export const DEFAULT_LOKI_DEBUG_RETENTION = DEFAULT_LOKI.debugRetention;

/** No key at all: the pod identity (IRSA, GKE, Azure) is trusted by the bucket. */
export interface LokiWorkloadIdentity {
  readonly type: 'workloadIdentity';
  /** Annotations on the Loki ServiceAccount that bind the cloud identity. */
  readonly serviceAccountAnnotations: Readonly<Record<string, string>>;
}
/** Static S3 keys read from an existing Secret into environment variables. */
export interface LokiS3Keys {
  readonly type: 'secret';
  readonly accessKeyId: SecretRef;
  readonly secretAccessKey: SecretRef;
}

/** Object storage for chunks and index (required by the scalable mode). */
export type LokiObjectStorage =
  | {
      readonly backend: 's3';
      readonly bucket: string;
      /** @default - the chunks bucket */
      readonly rulerBucket?: string | undefined;
      readonly region: string;
      readonly credentials: LokiWorkloadIdentity | LokiS3Keys;
    }
  | {
      readonly backend: 's3-compatible';
      readonly endpoint: string;
      readonly bucket: string;
      readonly rulerBucket?: string | undefined;
      readonly region: string;
      readonly credentials: LokiS3Keys;
    }
  | {
      readonly backend: 'gcs';
      readonly bucket: string;
      readonly rulerBucket?: string | undefined;
      readonly credentials: LokiWorkloadIdentity | { readonly type: 'secret'; readonly serviceAccountKey: SecretRef };
    }
  | {
      readonly backend: 'azure';
      readonly accountName: string;
      readonly container: string;
      readonly rulerContainer?: string | undefined;
      readonly credentials: LokiWorkloadIdentity | { readonly type: 'secret'; readonly accountKey: SecretRef };
    };

/** Loki's settings, every default applied. */
export interface LokiSettings {
  readonly deploymentMode: LokiDeploymentMode;
  /** Replicas of the single binary, or of each read/write/backend target. */
  readonly replicas: number;
  readonly resources: ResourceRequirements;
  /** Volume of each binary / write / backend pod. */
  readonly storage: VolumeSettings;
  /** @default - filesystem on the volume (monolithic only) */
  readonly objectStorage?: LokiObjectStorage | undefined;
  /** Multi-tenancy (auth_enabled): every request carries X-Scope-OrgID. */
  readonly authEnabled: boolean;
  /** @default - the environment name */
  readonly tenant?: string | undefined;
  /** Retention of `level="debug"` streams: shorter than {@link retentionPeriod}, at least {@link LOKI_MIN_RETENTION}. */
  readonly debugRetention: string;
  /** limits_config.retention_period, applied by the compactor: at least {@link LOKI_MIN_RETENTION}. */
  readonly retentionPeriod: string;
}

/** What a caller passes: every field optional, each with its default in {@link DEFAULT_LOKI}. */
export interface LokiOptions {
  /** @default 'monolithic' */
  readonly deploymentMode?: LokiDeploymentMode;
  /** @default 1 */
  readonly replicas?: number;
  /** @default DEFAULT_LOKI.resources */
  readonly resources?: ResourceRequirements;
  /** @default - 50 GiB on the default StorageClass */
  readonly storage?: Partial<VolumeSettings>;
  /** @default - filesystem on the volume (monolithic only) */
  readonly objectStorage?: LokiObjectStorage | undefined;
  /** @default true */
  readonly authEnabled?: boolean;
  /** @default - the environment name */
  readonly tenant?: string | undefined;
  /** @default '72h' */
  readonly debugRetention?: string;
  /** @default '744h' (31 days) */
  readonly retentionPeriod?: string;
}

/** The settings for `options`, defaults applied. */
export function lokiSettings(options: LokiOptions = {}): LokiSettings {
  const D = DEFAULT_LOKI;
  return {
    deploymentMode: options.deploymentMode ?? D.deploymentMode,
    replicas: options.replicas ?? D.replicas,
    resources: options.resources ?? D.resources,
    storage: volumeOr(options.storage, D.storageGiB),
    ...(options.objectStorage ? { objectStorage: options.objectStorage } : {}),
    authEnabled: options.authEnabled ?? D.authEnabled,
    ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
    debugRetention: options.debugRetention ?? D.debugRetention,
    retentionPeriod: options.retentionPeriod ?? D.retentionPeriod,
  };
}
