/**
 * Loki settings of an environment (`loki:` in config/<env>.yaml): deployment mode, object
 * storage with credentials by Secret reference or workload identity, tenancy, debug-level
 * retention. Cross-field checks live in {@link checkLoki}, called by the environment schema.
 *
 * Retention is always applied by the compactor (retention_enabled + delete_request_store):
 * there is no switch to turn it off, so "retention configured but never applied" cannot be
 * written.
 */
import { z } from 'zod';
import { duration, durationToMs, secretRef } from './primitives';
import { credentialInUrl, credentialUrlMessage } from './urls';
import type { Conforms } from './conforms';
import {
  DEFAULT_LOKI,
  DEFAULT_LOKI_DEBUG_RETENTION,
  LOKI_DEPLOYMENT_MODES,
  LOKI_MIN_RETENTION,
  LOKI_STORAGE_BACKENDS,
  type LokiDeploymentMode,
  type LokiObjectStorage,
  type LokiSettings,
} from '../../constructs/loki/settings';

export { DEFAULT_LOKI_DEBUG_RETENTION, LOKI_DEPLOYMENT_MODES, LOKI_MIN_RETENTION, LOKI_STORAGE_BACKENDS };
export type { LokiDeploymentMode, LokiObjectStorage };

const bucket = (what: string) =>
  z
    .string()
    .min(3, { message: 'must be at least 3 characters' })
    .max(63, { message: 'must be at most 63 characters' })
    .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, { message: 'is not a bucket name; use lowercase letters, digits, "-" and "."' })
    .describe(what);

const workloadIdentity = z
  .strictObject({
    type: z.literal('workloadIdentity'),
    serviceAccountAnnotations: z
      .record(z.string().min(1), z.string().min(1))
      .refine((m) => Object.keys(m).length > 0, {
        message: 'needs the annotation that binds the cloud identity; please set e.g. { eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/loki }',
      })
      .describe('Annotations on the Loki ServiceAccount that bind a cloud identity (IRSA role-arn, GKE iam.gke.io/gcp-service-account, azure.workload.identity/client-id)'),
  })
  .describe('Workload identity: no key at all, the pod identity is trusted by the bucket');

const s3Keys = z
  .strictObject({
    type: z.literal('secret'),
    accessKeyId: secretRef.describe('Secret key holding the access key id'),
    secretAccessKey: secretRef.describe('Secret key holding the secret access key'),
  })
  .describe('Static keys read from an existing Secret into environment variables (never literal)');

const objectStorage = z
  .discriminatedUnion('backend', [
    z.strictObject({
      backend: z.literal('s3'),
      bucket: bucket('Bucket for chunks and index'),
      rulerBucket: bucket('Bucket for ruler state. Default: the chunks bucket').optional(),
      region: z.string().min(1).describe('AWS region, e.g. eu-west-1'),
      credentials: z.discriminatedUnion('type', [workloadIdentity, s3Keys]).describe('How Loki authenticates to S3'),
    }),
    z.strictObject({
      backend: z.literal('s3-compatible'),
      endpoint: z
        .url({ message: 'is not a URL; use e.g. https://minio.storage.svc:9000' })
        .superRefine((u, ctx) => {
          const kind = credentialInUrl(u);
          if (kind) ctx.addIssue({ code: 'custom', message: credentialUrlMessage(kind, 'give the endpoint without it and the keys through credentials (Secret references)') });
        })
        .describe('S3-compatible endpoint (MinIO, Ceph RGW...)'),
      bucket: bucket('Bucket for chunks and index'),
      rulerBucket: bucket('Bucket for ruler state. Default: the chunks bucket').optional(),
      region: z.string().min(1).default('us-east-1').describe('Region the endpoint expects. Default: us-east-1'),
      credentials: s3Keys,
    }),
    z.strictObject({
      backend: z.literal('gcs'),
      bucket: bucket('Bucket for chunks and index'),
      rulerBucket: bucket('Bucket for ruler state. Default: the chunks bucket').optional(),
      credentials: z
        .discriminatedUnion('type', [
          workloadIdentity,
          z.strictObject({
            type: z.literal('secret'),
            serviceAccountKey: secretRef.describe('Secret key holding the service account JSON key (mounted as a file)'),
          }),
        ])
        .describe('How Loki authenticates to GCS'),
    }),
    z.strictObject({
      backend: z.literal('azure'),
      accountName: z.string().min(3).max(24).regex(/^[a-z0-9]+$/, { message: 'is not a storage account name' }).describe('Storage account'),
      container: bucket('Blob container for chunks and index'),
      rulerContainer: bucket('Container for ruler state. Default: the chunks container').optional(),
      credentials: z
        .discriminatedUnion('type', [
          workloadIdentity,
          z.strictObject({ type: z.literal('secret'), accountKey: secretRef.describe('Secret key holding the account key') }),
        ])
        .describe('How Loki authenticates to Azure Blob'),
    }),
  ])
  .describe('Object storage for chunks and index (required by the scalable mode)');

export type LokiObjectStorageOutput = Conforms<z.output<typeof objectStorage>, LokiObjectStorage>;

/** X-Scope-OrgID: Loki accepts letters, digits and `!-_.*'()`; we keep it to a DNS-ish subset. */
const tenant = z
  .string()
  .max(150, { message: 'must be at most 150 characters' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { message: 'is not a Loki tenant id; use letters, digits, "-", "_" and "."' })
  .describe('Tenant id (X-Scope-OrgID) every writer and reader sends. Default: the environment name');

/** Fields added to the `loki` component section of the environment. */
export const lokiShape = {
  deploymentMode: z
    .enum(LOKI_DEPLOYMENT_MODES)
    .default(DEFAULT_LOKI.deploymentMode)
    .describe(`monolithic: one binary on a filesystem volume (dev); scalable: read/write/backend targets on object storage. Default: ${DEFAULT_LOKI.deploymentMode}`),
  objectStorage: objectStorage.optional(),
  authEnabled: z
    .boolean()
    .default(DEFAULT_LOKI.authEnabled)
    .describe(`Multi-tenancy (auth_enabled): every request carries X-Scope-OrgID. Default: ${DEFAULT_LOKI.authEnabled}`),
  tenant: tenant.optional(),
  debugRetention: duration(`Shorter per-stream retention for level="debug" lines (retention_stream). Default: ${DEFAULT_LOKI_DEBUG_RETENTION}`).default(
    DEFAULT_LOKI_DEBUG_RETENTION,
  ),
} as const;

/** The parts of the environment {@link checkLoki} reads: the Loki component's settings but its retention. */
export type LokiCheckInput = Omit<LokiSettings, 'retentionPeriod' | 'resources' | 'storage'>;

/** Cross-field contradictions, reported with the config to write. */
export function checkLoki(loki: LokiCheckInput, retentionPeriod: string, ctx: z.RefinementCtx): void {
  const min = durationToMs(LOKI_MIN_RETENTION);
  if (durationToMs(retentionPeriod) < min) {
    ctx.addIssue({
      code: 'custom',
      path: ['retention', 'loki', 'period'],
      message: `"${retentionPeriod}" is shorter than Loki's minimum retention (${LOKI_MIN_RETENTION}, one index period); please set: retention.loki.period: 24h or longer`,
    });
  }
  if (durationToMs(loki.debugRetention) < min) {
    ctx.addIssue({
      code: 'custom',
      path: ['loki', 'debugRetention'],
      message: `"${loki.debugRetention}" is shorter than Loki's minimum retention (${LOKI_MIN_RETENTION}); please set: loki.debugRetention: 24h or longer`,
    });
  } else if (durationToMs(loki.debugRetention) >= durationToMs(retentionPeriod)) {
    ctx.addIssue({
      code: 'custom',
      path: ['loki', 'debugRetention'],
      message: `"${loki.debugRetention}" must be shorter than retention.loki.period "${retentionPeriod}", or debug lines are not kept for less; please set: loki.debugRetention: ${DEFAULT_LOKI_DEBUG_RETENTION}`,
    });
  }
  if (loki.deploymentMode === 'scalable' && !loki.objectStorage) {
    ctx.addIssue({
      code: 'custom',
      path: ['loki', 'objectStorage'],
      message:
        'is required when loki.deploymentMode is "scalable" (read/write/backend share chunks only through object storage); please set: loki.objectStorage: { backend: s3, bucket: my-loki-chunks, region: eu-west-1, credentials: { type: workloadIdentity, serviceAccountAnnotations: { eks.amazonaws.com/role-arn: <role> } } }',
    });
  }
  if (loki.deploymentMode === 'monolithic' && !loki.objectStorage && loki.replicas > 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['loki', 'replicas'],
      message: `${loki.replicas} replicas of a monolithic Loki on a filesystem volume would each keep their own chunks; please set: loki.replicas: 1, or loki.objectStorage: { ... } (or loki.deploymentMode: scalable)`,
    });
  }
  if (loki.tenant !== undefined && !loki.authEnabled) {
    ctx.addIssue({
      code: 'custom',
      path: ['loki', 'tenant'],
      message: `"${loki.tenant}" is ignored when loki.authEnabled is false (Loki drops X-Scope-OrgID and stores everything as tenant "fake"); please set: loki.authEnabled: true, or remove loki.tenant`,
    });
  }
}
