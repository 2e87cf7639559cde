/**
 * Values for the pinned community Loki chart. Pure: no cdktf import.
 *
 * - monolithic: one binary (StatefulSet) on a filesystem volume, or on object storage when given;
 *   scalable: SimpleScalable read/write/backend targets on object storage.
 * - schema_config: tsdb, v13, 24h index period.
 * - Retention always applies: compactor `retention_enabled` with its `delete_request_store`,
 *   `limits_config.retention_period`, and a shorter `retention_stream` for `level="debug"`.
 * - Object-storage credentials never appear in values: Secret keys become environment variables
 *   (`${VAR}` expanded by `-config.expand-env=true`), or workload identity annotates the
 *   ServiceAccount.
 * - auth_enabled per environment; the gateway terminates TLS with the cert-manager Secret.
 */
import type { LokiDeploymentMode, LokiObjectStorage } from './settings';
import type { ResourceRequirements } from '../core/settings';
import type { CommonConfig } from '../core/common';
import type { HelmValues } from '../core/values';
import type { LokiIngestionLimits } from '../contracts/log-volume';

/** Helm release name of Loki; the gateway Service is `<release>-gateway`. Terraform-visible: do not change. */
export const DEFAULT_LOKI_RELEASE_NAME = 'loki';
/** Date the (only) schema period starts. Changing it rewrites the index layout: never edit, append. */
export const LOKI_SCHEMA_FROM = '2024-04-01';
/** Gateway Service ports. */
export const LOKI_GATEWAY_PORTS = { http: 80, https: 443 } as const;
/** Where the gateway mounts its TLS Secret. */
export const LOKI_GATEWAY_TLS_DIR = '/etc/nginx/tls';
/** Selector of the per-stream debug retention. */
export const DEBUG_STREAM_SELECTOR = '{level="debug"}';
/** Environment variables that carry object-storage credentials from Secrets into the config. */
export const LOKI_CREDENTIAL_ENV = {
  accessKeyId: 'LOKI_S3_ACCESS_KEY_ID',
  secretAccessKey: 'LOKI_S3_SECRET_ACCESS_KEY',
  azureAccountKey: 'LOKI_AZURE_ACCOUNT_KEY',
} as const;
const GCS_KEY_DIR = '/etc/loki/gcs';

export interface LokiValuesProps {
  readonly common: CommonConfig;
  readonly deploymentMode: LokiDeploymentMode;
  /** Replicas of the single binary, or of each read/write/backend target. */
  readonly replicas: number;
  readonly resources: ResourceRequirements;
  /** Volume of each binary / write / backend pod. */
  readonly storage: { readonly className?: string | undefined; readonly sizeGiB: number };
  /** Object storage. @default - filesystem on the volume (monolithic only) */
  readonly objectStorage?: LokiObjectStorage | undefined;
  /** auth_enabled (multi-tenancy). */
  readonly authEnabled: boolean;
  /** limits_config.retention_period, e.g. `744h`. */
  readonly retentionPeriod: string;
  /** retention_stream period for {@link DEBUG_STREAM_SELECTOR}. */
  readonly debugRetention: string;
  /** Ingestion limits (tenant and per stream), the collector's limits in bytes (contracts/log-volume.ts). @default - Loki's own defaults */
  readonly ingestion?: LokiIngestionLimits | undefined;
  /** TLS Secret (tls.crt, tls.key) for the gateway. @default - plain HTTP */
  readonly gatewayTlsSecretName?: string | undefined;
  /** Ruler: the Alertmanager URL and the rule files (name → YAML) it loads. @default - ruler off */
  readonly ruler?: { readonly alertmanagerUrl: string; readonly ruleFiles: Readonly<Record<string, string>>; readonly tenant: string } | undefined;
}

type Env = { readonly name: string; readonly valueFrom: { readonly secretKeyRef: { readonly name: string; readonly key: string } } };
const secretEnv = (name: string, ref: { name: string; key: string }): Env => ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });

/** The schema's object_store name for a storage setting. */
export function objectStoreName(o: LokiObjectStorage | undefined): 'filesystem' | 's3' | 'gcs' | 'azure' {
  if (!o) return 'filesystem';
  return o.backend === 's3-compatible' ? 's3' : o.backend;
}

interface StorageParts {
  readonly storage: HelmValues;
  readonly env: readonly Env[];
  readonly volumes: readonly HelmValues[];
  readonly mounts: readonly HelmValues[];
  readonly serviceAccountAnnotations: Readonly<Record<string, string>>;
}

const BY_BACKEND: { readonly [B in LokiObjectStorage['backend']]: (o: Extract<LokiObjectStorage, { backend: B }>) => StorageParts } = {
  s3: (o) => s3Parts(o, { region: o.region }),
  's3-compatible': (o) => s3Parts(o, { region: o.region, endpoint: o.endpoint, s3ForcePathStyle: true, insecure: o.endpoint.startsWith('http://') }),
  gcs: (o) => ({
    storage: { type: 'gcs', bucketNames: { chunks: o.bucket, ruler: o.rulerBucket ?? o.bucket, admin: o.bucket } },
    env: [],
    ...(o.credentials.type === 'secret'
      ? {
          volumes: [{ name: 'gcs-key', secret: { secretName: o.credentials.serviceAccountKey.name, items: [{ key: o.credentials.serviceAccountKey.key, path: 'key.json' }] } }],
          mounts: [{ name: 'gcs-key', mountPath: GCS_KEY_DIR, readOnly: true }],
          serviceAccountAnnotations: {},
        }
      : { volumes: [], mounts: [], serviceAccountAnnotations: o.credentials.serviceAccountAnnotations }),
  }),
  azure: (o) => ({
    storage: {
      type: 'azure',
      bucketNames: { chunks: o.container, ruler: o.rulerContainer ?? o.container, admin: o.container },
      azure: {
        accountName: o.accountName,
        ...(o.credentials.type === 'secret' ? { accountKey: `\${${LOKI_CREDENTIAL_ENV.azureAccountKey}}` } : { useFederatedToken: true }),
      },
    },
    env: o.credentials.type === 'secret' ? [secretEnv(LOKI_CREDENTIAL_ENV.azureAccountKey, o.credentials.accountKey)] : [],
    volumes: [],
    mounts: [],
    serviceAccountAnnotations: o.credentials.type === 'workloadIdentity' ? o.credentials.serviceAccountAnnotations : {},
  }),
};

function s3Parts(o: Extract<LokiObjectStorage, { backend: 's3' | 's3-compatible' }>, s3: HelmValues): StorageParts {
  const keys = o.credentials.type === 'secret' ? o.credentials : undefined;
  return {
    storage: {
      type: 's3',
      bucketNames: { chunks: o.bucket, ruler: o.rulerBucket ?? o.bucket, admin: o.bucket },
      s3: {
        ...s3,
        ...(keys ? { accessKeyId: `\${${LOKI_CREDENTIAL_ENV.accessKeyId}}`, secretAccessKey: `\${${LOKI_CREDENTIAL_ENV.secretAccessKey}}` } : {}),
      },
    },
    env: keys ? [secretEnv(LOKI_CREDENTIAL_ENV.accessKeyId, keys.accessKeyId), secretEnv(LOKI_CREDENTIAL_ENV.secretAccessKey, keys.secretAccessKey)] : [],
    volumes: [],
    mounts: [],
    serviceAccountAnnotations: o.credentials.type === 'workloadIdentity' ? o.credentials.serviceAccountAnnotations : {},
  };
}

function storageParts(o: LokiObjectStorage | undefined): StorageParts {
  if (!o) return { storage: { type: 'filesystem' }, env: [], volumes: [], mounts: [], serviceAccountAnnotations: {} };
  return (BY_BACKEND[o.backend] as (x: LokiObjectStorage) => StorageParts)(o);
}

function persistence(storage: LokiValuesProps['storage'], enabledKey: 'enabled' | 'volumeClaimsEnabled'): HelmValues {
  return { [enabledKey]: true, size: `${storage.sizeGiB}Gi`, ...(storage.className ? { storageClass: storage.className } : {}) };
}

/** Requests and limits of the small helper containers (gateway exporter, memcached exporter, rules sidecar). */
export const SIDECAR_RESOURCES = { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } } as const;

/** Loki's full set of values for the pinned chart. */
export function renderLokiValues(p: LokiValuesProps): HelmValues {
  const store = objectStoreName(p.objectStorage);
  const parts = storageParts(p.objectStorage);
  const scalable = p.deploymentMode === 'scalable';
  const tls = p.gatewayTlsSecretName;
  // singleBinary names the switch `enabled`, write/backend `volumeClaimsEnabled`.
  const target = (volume?: 'enabled' | 'volumeClaimsEnabled'): HelmValues => ({
    replicas: p.replicas,
    resources: p.resources,
    ...(volume ? { persistence: persistence(p.storage, volume) } : {}),
  });
  const extraArgs = ['-config.expand-env=true'];
  return {
    deploymentMode: scalable ? 'SimpleScalable' : 'Monolithic',
    // Not app.kubernetes.io/*: the chart sets part-of on memberlist pods, a copy duplicates the key.
    commonLabels: Object.fromEntries(Object.entries(p.common.labels).filter(([k]) => !k.startsWith('app.kubernetes.io/'))),
    loki: {
      auth_enabled: p.authEnabled,
      commonConfig: { path_prefix: '/var/loki', replication_factor: scalable ? Math.min(3, p.replicas) : 1 },
      storage: parts.storage,
      schemaConfig: {
        configs: [{ from: LOKI_SCHEMA_FROM, store: 'tsdb', object_store: store, schema: 'v13', index: { prefix: 'index_', period: '24h' } }],
      },
      compactor: {
        working_directory: '/var/loki/compactor',
        compaction_interval: '10m',
        retention_enabled: true,
        retention_delete_delay: '2h',
        delete_request_store: store,
      },
      limits_config: {
        retention_period: p.retentionPeriod,
        retention_stream: [{ selector: DEBUG_STREAM_SELECTOR, priority: 1, period: p.debugRetention }],
        allow_structured_metadata: true,
        volume_enabled: true,
        ...(p.ingestion
          ? {
              // the collectors' limits (contracts/log-volume.ts): what they let through, Loki accepts
              ingestion_rate_mb: p.ingestion.ingestionRateMB,
              ingestion_burst_size_mb: p.ingestion.ingestionBurstSizeMB,
              per_stream_rate_limit: p.ingestion.perStreamRateLimit,
              per_stream_rate_limit_burst: p.ingestion.perStreamRateLimitBurst,
            }
          : {}),
      },
      ...(p.ruler
        ? {
            rulerConfig: {
              alertmanager_url: p.ruler.alertmanagerUrl,
              enable_alertmanager_v2: true,
              enable_api: true,
              storage: { type: 'local', local: { directory: '/etc/loki/rules' } },
              wal: { dir: '/var/loki/ruler-wal' },
            },
          }
        : {}),
    },
    defaults: {
      extraArgs,
      extraEnv: [...parts.env],
      extraVolumes: [...parts.volumes],
      extraVolumeMounts: [...parts.mounts],
    },
    serviceAccount: { create: true, annotations: { ...parts.serviceAccountAnnotations } },
    singleBinary: scalable ? { replicas: 0 } : target('enabled'),
    write: scalable ? target('volumeClaimsEnabled') : { replicas: 0 },
    read: scalable ? target() : { replicas: 0 },
    backend: scalable ? target('volumeClaimsEnabled') : { replicas: 0 },
    ruler: p.ruler
      ? { enabled: true, directories: { [p.ruler.tenant]: { ...p.ruler.ruleFiles } } }
      : { enabled: false },
    gateway: {
      enabled: true,
      replicas: Math.min(p.replicas, 2),
      podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      // The nginx stub_status exporter beside the gateway.
      metrics: { resources: SIDECAR_RESOURCES },
      service: { port: tls ? LOKI_GATEWAY_PORTS.https : LOKI_GATEWAY_PORTS.http },
      ...(tls
        ? {
            nginxConfig: {
              schema: 'https',
              ssl: true,
              serverSnippet: `ssl_certificate ${LOKI_GATEWAY_TLS_DIR}/tls.crt;\nssl_certificate_key ${LOKI_GATEWAY_TLS_DIR}/tls.key;\nssl_protocols TLSv1.2 TLSv1.3;`,
            },
            extraVolumes: [{ name: 'tls', secret: { secretName: tls } }],
            extraVolumeMounts: [{ name: 'tls', mountPath: LOKI_GATEWAY_TLS_DIR, readOnly: true }],
            readinessProbe: { httpGet: { path: '/', port: 'http', scheme: 'HTTPS' }, initialDelaySeconds: 15, timeoutSeconds: 1 },
          }
        : {}),
    },
    // Memcached caches size for production traffic (GiBs); the monolithic mode runs without.
    chunksCache: { enabled: scalable },
    memcachedExporter: { resources: SIDECAR_RESOURCES },
    // The rules sidecar (k8s-sidecar) beside the backend / single binary.
    sidecar: { resources: SIDECAR_RESOURCES },
    resultsCache: { enabled: scalable },
    lokiCanary: { enabled: false },
    test: { enabled: false },
    minio: { enabled: false },
    monitoring: {
      serviceMonitor: { enabled: true, labels: { ...p.common.monitorSelector } },
      dashboards: { enabled: false },
      rules: { enabled: false },
    },
  };
}
