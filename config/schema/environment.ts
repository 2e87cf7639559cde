/**
 * The environment schema: the single source of the config's TypeScript types, defaults,
 * validation and the JSON Schema the YAML files reference (config/schema.json).
 *
 * Every default is written here once, next to its field, and repeated in the field's
 * description so that editors show it.
 */
import { z } from 'zod';
import {
  dnsLabel,
  dnsSubdomain,
  duration,
  durationToMs,
  labelMap,
  resourceRequirements,
  secretRef,
  sizeGiB,
  type ResourceRequirements,
} from './primitives';
import { alertingShape, checkAlerting, ingressSchema } from './metrics';
import { credentialInUrl, credentialUrlMessage } from './urls';
import { gpuSchema, trainingSchema } from './gpu';
import { checkLoki, lokiShape } from './loki';
import { checkElastic, elasticSchema } from './elastic';
import type { Conforms } from './conforms';
import { DEFAULT_AGENTS_NAMESPACE_SUFFIX, DEFAULT_NAMESPACE, defaultAgentsNamespace, DNS_1123_LABEL } from '../../constructs/core/common';

/** The longest namespace name Kubernetes accepts (a DNS label). */
const MAX_NAMESPACE_LENGTH = 63;
import { DEFAULT_JSON_FIELDS, JSON_FIELD_TYPES, JSON_FIELDS_OBJECT, MAX_JSON_FIELDS, jsonFieldProblems } from '../../constructs/contracts/json-fields';
import { DEFAULT_EVENTS } from '../../constructs/contracts/k8s-events';
import { REDACTION_RULES, redactionPatternsProblems } from '../../constructs/contracts/redaction';
import { DEFAULT_LOG_FILES, FILEBEAT_KUBELET_PODS_DIR, LOG_FILES_CONTAINER_ANNOTATION, logFilesProblems } from '../../constructs/contracts/log-files';
import {
  DEFAULT_LOG_VOLUME,
  DROPPABLE_LEVELS,
  MAX_LINE_BYTES,
  MAX_PROGRESS_INTERVAL,
  MAX_STATIC_FIELD_NAMESPACES,
  MAX_STATIC_FIELDS,
  STATIC_FIELDS_OBJECT,
  logVolumeProblems,
  staticFieldProblems,
} from '../../constructs/contracts/log-volume';
import { COLLECTORS, DEFAULT_LOKI, type LokiSettings } from '../../constructs/loki/settings';
import { DEFAULT_ALERTMANAGER, DEFAULT_GRAFANA, DEFAULT_PROMETHEUS, DEFAULT_PUSHGATEWAY, type GrafanaSettings } from '../../constructs/metrics/settings';
import { DEFAULT_ELASTIC, DEFAULT_ILM, ELASTIC_DEFAULT_RESOURCES } from '../../constructs/elastic/settings';
import { DEFAULT_ACME, DEFAULT_CERT_MANAGER, DEFAULT_CERTIFICATE, DEFAULT_TLS_HOPS, ISSUER_KINDS, PRIVATE_KEY_ALGORITHMS, REMOVED_ELASTICSEARCH_HOP, type CertManagerSettings, type IssuerSettings } from '../../constructs/tls/settings';

export { COLLECTORS, ISSUER_KINDS };

/** Resources a component gets when its config says nothing: each component's own default. */
export const DEFAULT_RESOURCES = {
  prometheus: DEFAULT_PROMETHEUS.resources,
  alertmanager: DEFAULT_ALERTMANAGER.resources,
  grafana: DEFAULT_GRAFANA.resources,
  loki: DEFAULT_LOKI.resources,
  elasticsearch: ELASTIC_DEFAULT_RESOURCES.elasticsearch,
  certManager: DEFAULT_CERT_MANAGER.resources,
} as const satisfies Record<string, ResourceRequirements>;


/** Namespaces Kubernetes itself uses: the stack never creates or owns them. */
export const RESERVED_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** cert-manager refuses a Certificate shorter than this (1h) or renewing earlier than 5m. */
const CERT_MANAGER_MIN_DURATION_MS = 3_600_000;
const CERT_MANAGER_MIN_RENEW_BEFORE_MS = 300_000;

const resources = (component: keyof typeof DEFAULT_RESOURCES) =>
  resourceRequirements
    .default(DEFAULT_RESOURCES[component])
    .describe(`Requests and limits. Default: ${JSON.stringify(DEFAULT_RESOURCES[component])}`);

const replicas = (dflt: number, what: string) =>
  z
    .number()
    .int({ message: 'must be a whole number' })
    .min(1, { message: 'must be at least 1' })
    .max(9, { message: 'must be at most 9' })
    .default(dflt)
    .describe(`${what} replicas. Default: ${dflt}`);

const storage = (dfltGiB: number) =>
  z
    .strictObject({
      className: dnsSubdomain('StorageClass name. Default: the cluster default StorageClass').optional(),
      sizeGiB: sizeGiB(`Volume size in GiB. Default: ${dfltGiB}`).default(dfltGiB),
    })
    .prefault({})
    .describe(`Persistent volume. Default: ${dfltGiB} GiB on the default StorageClass`);

// ---------------------------------------------------------------- cluster and backend

const cluster = z
  .strictObject({
    name: dnsLabel('Cluster name, the `cluster` label on every metric and alert. Default: the environment name').optional(),
    kubeconfig: z
      .strictObject({
        path: z
          .string()
          .min(1)
          .default('~/.kube/config')
          .describe('Path of the kubeconfig file (never its content). Default: ~/.kube/config'),
        context: z
          .string()
          .min(1)
          .optional()
          .describe("kubeconfig context to use. Default: the file's current-context"),
      })
      .prefault({})
      .describe('How Terraform reaches the cluster: a kubeconfig path and context, never credentials'),
  })
  .prefault({})
  .describe('The Kubernetes cluster this environment deploys to');

const relativePath = (what: string) =>
  z
    .string()
    .min(1)
    .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(p), {
      message: 'must be a relative path (absolute paths make the synthesized output depend on the machine)',
    })
    .refine((p) => !p.split(/[\\/]/).includes('..'), { message: 'must stay inside the project (no "..")' })
    .describe(what);

const backend = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('local'),
      path: relativePath('State file, relative to the project root. Default: terraform.<environment>.tfstate').optional(),
    }),
    z.strictObject({
      type: z.literal('kubernetes'),
      secretSuffix: dnsLabel('Suffix of the state Secret (tfstate-default-<suffix>). Default: mlobs-<environment>').optional(),
      namespace: dnsLabel('Namespace of the state Secret. Default: default').default('default'),
    }),
    z.strictObject({
      type: z.literal('s3'),
      bucket: z.string().min(3).describe('S3 bucket'),
      key: z.string().min(1).optional().describe('Object key. Default: mlobs/<environment>.tfstate'),
      region: z.string().min(1).describe('AWS region, e.g. eu-west-1'),
      useLockfile: z.boolean().default(true).describe('S3-native state locking (Terraform >= 1.10). Default: true'),
      encrypt: z.boolean().default(true).describe('Server-side encryption. Default: true'),
    }),
    z.strictObject({
      type: z.literal('gcs'),
      bucket: z.string().min(3).describe('GCS bucket'),
      prefix: z.string().min(1).optional().describe('Object prefix. Default: mlobs/<environment>'),
    }),
  ])
  .default({ type: 'local' })
  .describe('Terraform state backend. Default: { type: local } (terraform.<environment>.tfstate in the project root)');

// ---------------------------------------------------------------- features

export const LOG_PIPELINES = ['elastic', 'loki'] as const;
export { GPU_EXPORTER_MODES } from './gpu';

const D_VOL = DEFAULT_LOG_VOLUME;
const logVolume = z
  .strictObject({
    dropLevels: z
      .array(z.string())
      .default([...D_VOL.dropLevels])
      .describe(`Catalog levels not stored (the log-derived metrics still count them): any of ${DROPPABLE_LEVELS.join(', ')}; warnings and errors are never dropped. Default: [] (keep everything; prod files usually set [debug])`),
    progressInterval: z
      .string()
      .default(D_VOL.progressInterval)
      .describe(`Progress-bar redraws (tqdm, Keras ETA bars) are kept at most once per stream per this interval; the final 100% line is always kept. 1s to ${MAX_PROGRESS_INTERVAL}, never 0. Default: ${D_VOL.progressInterval}`),
    perStream: z
      .strictObject({
        linesPerSecond: z.number().default(D_VOL.perStream.linesPerSecond).describe(`Lines per second a stream (namespace/pod/container) may send; more are dropped on the collector and counted. Default: ${D_VOL.perStream.linesPerSecond}`),
        burstLines: z.int().default(D_VOL.perStream.burstLines).describe(`Lines a stream may send at once above the rate. Default: ${D_VOL.perStream.burstLines}`),
      })
      .prefault({})
      .describe(`Line limit per stream on the collector; Loki's per_stream_rate_limit(_burst) are these x ${MAX_LINE_BYTES / 1024} KiB (the runtime's longest line)`),
    loki: z
      .strictObject({
        ingestionRateMB: z.number().default(D_VOL.loki.ingestionRateMB).describe(`limits_config.ingestion_rate_mb, MiB/s for the tenant; at least one stream's rate. Default: ${D_VOL.loki.ingestionRateMB}`),
        ingestionBurstSizeMB: z.number().default(D_VOL.loki.ingestionBurstSizeMB).describe(`limits_config.ingestion_burst_size_mb, MiB; at least one stream's burst. Default: ${D_VOL.loki.ingestionBurstSizeMB}`),
      })
      .prefault({})
      .describe('Loki tenant ingestion limits'),
  })
  .superRefine((v, ctx) => {
    for (const p of logVolumeProblems(v as Parameters<typeof logVolumeProblems>[0])) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
  })
  .prefault({})
  .describe('What is stored: levels dropped, progress-bar redraws sampled, a line limit per stream, Loki ingestion limits');

const logs = z
  .strictObject({
    pipelines: z
      .array(z.enum(LOG_PIPELINES))
      .max(2)
      .refine((a) => new Set(a).size === a.length, { message: 'lists a pipeline twice' })
      .default(['loki'])
      .describe('Log pipelines to deploy: [loki], [elastic], both, or [] for none. Default: [loki]'),
    collector: z
      .enum(COLLECTORS)
      .default(DEFAULT_LOKI.collector)
      .describe(`Collector for the Loki pipeline: alloy, or promtail (deprecated upstream, end of life 2026-03-02). Default: ${DEFAULT_LOKI.collector}`),
    jsonFields: z
      .record(z.string(), z.enum(JSON_FIELD_TYPES))
      .superRefine((f, ctx) => {
        for (const p of jsonFieldProblems(f)) ctx.addIssue({ code: 'custom', path: p.name ? [p.name] : [], message: p.message });
      })
      .default({ ...DEFAULT_JSON_FIELDS })
      .describe(
        `Top-level keys of JSON log lines kept queryable by both pipelines (Loki structured metadata, never labels; Elasticsearch ${JSON_FIELDS_OBJECT}.<name>): name -> ${JSON_FIELD_TYPES.join(' | ')}, at most ${MAX_JSON_FIELDS}. Default: ${Object.entries(DEFAULT_JSON_FIELDS).map(([n, t]) => `${n}: ${t}`).join(', ')}`,
      ),
    redaction: z
      .strictObject({
        patterns: z
          .array(
            z.strictObject({
              kind: z.string().describe('The marker\'s kind: the secret becomes <redacted:<kind>> (lowercase letters, digits, dashes; not a built-in kind)'),
              pattern: z.string().describe('The secret\'s shape, in the RE2/Oniguruma/JavaScript common subset, without capture groups; must not match the empty string and must be ReDoS-safe'),
              literals: z.array(z.string()).optional().describe('Literals one of which every line the pattern matches holds (a cheap gate). Default: none (the regex runs on every line)'),
            }),
          )
          .superRefine((patterns, ctx) => {
            for (const p of redactionPatternsProblems(patterns)) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
          })
          .default([])
          .describe(`Redaction patterns run after the built-in rules (${REDACTION_RULES.map((r) => r.kind).join(', ')}), in both pipelines, before anything is stored. Default: []`),
      })
      .prefault({})
      .describe('Secrets in log lines replaced by <redacted:kind> before they are stored: the built-in rules always run'),
    files: z
      .strictObject({
        enabled: z.boolean().default(DEFAULT_LOG_FILES.enabled).describe(`Collect log files written inside pods that opt in (README "Log files inside pods"). Default: ${DEFAULT_LOG_FILES.enabled}`),
        volume: z.string().default(DEFAULT_LOG_FILES.volume).describe(`Name of the pods' emptyDir volume holding the files. Default: ${DEFAULT_LOG_FILES.volume}`),
        mountPath: z.string().default(DEFAULT_LOG_FILES.mountPath).describe(`Where the pods mount that volume; every glob is below it (the allowed root). Default: ${DEFAULT_LOG_FILES.mountPath}`),
        globs: z.array(z.string()).default([...DEFAULT_LOG_FILES.globs]).describe(`Globs of the files as paths inside the pod, below mountPath; the file pattern holds ".log". Default: ${DEFAULT_LOG_FILES.globs.join(', ')}`),
        kubeletRootDir: z.string().default(DEFAULT_LOG_FILES.kubeletRootDir).describe(`The kubelet's root directory on the nodes (the Elastic pipeline reads only ${DEFAULT_LOG_FILES.kubeletRootDir}). Default: ${DEFAULT_LOG_FILES.kubeletRootDir}`),
      })
      .superRefine((f, ctx) => {
        for (const p of logFilesProblems(f)) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
      })
      .prefault({})
      .describe(`Log files inside pods: an emptyDir volume and the annotation ${LOG_FILES_CONTAINER_ANNOTATION} naming the container that writes them`),
    events: z
      .strictObject({
        enabled: z.boolean().default(DEFAULT_EVENTS.enabled).describe(`Collect Kubernetes events into each log pipeline (Loki: a one-replica Alloy Deployment; Elastic: a one-replica Metricbeat through Logstash). Default: ${DEFAULT_EVENTS.enabled}`),
        namespaces: z
          .array(z.string().regex(DNS_1123_LABEL, 'must be a namespace name (DNS-1123 label)'))
          .max(64)
          .refine((a) => new Set(a).size === a.length, { message: 'lists a namespace twice' })
          .default([])
          .describe('Namespaces whose events are collected (the training namespaces); [] for every namespace. Default: []'),
      })
      .prefault({})
      .describe('Kubernetes events (OOMKilling, FailedScheduling, Evicted, BackOff...) labelled with the job their object belongs to'),
    volume: logVolume,
    staticFields: z
      .strictObject({
        fields: z
          .record(z.string(), z.string())
          .default({})
          .describe('name -> value added to every line of the environment. Default: none'),
        namespaces: z
          .record(z.string(), z.record(z.string(), z.string()))
          .default({})
          .describe(`namespace -> (name -> value) added to the lines of that namespace's pods, over the environment's values; at most ${MAX_STATIC_FIELD_NAMESPACES} namespaces. Default: none`),
      })
      .prefault({})
      .describe(
        `Static fields (project, team, cost center) on every line: Loki structured metadata (never labels), Elasticsearch ${STATIC_FIELDS_OBJECT}.<name> (keyword). At most ${MAX_STATIC_FIELDS} distinct names; a name may not be a catalog field, a Loki label or a jsonFields name. Default: none`,
      ),
  })
  .superRefine((l, ctx) => {
    for (const p of staticFieldProblems(l.staticFields, Object.keys(l.jsonFields))) ctx.addIssue({ code: 'custom', path: ['staticFields', ...p.path], message: p.message });
  })
  .prefault({})
  .describe('Which log pipelines run and how logs are collected');

const gpu = gpuSchema;
const training = trainingSchema;

// ---------------------------------------------------------------- retention

const ilmPhase = (what: string) => z.strictObject({ minAge: duration(what) }).describe(what);

const retention = z
  .strictObject({
    prometheus: z
      .strictObject({
        time: duration(`How long Prometheus keeps samples (--storage.tsdb.retention.time). Default: ${DEFAULT_PROMETHEUS.retentionTime}`).default(DEFAULT_PROMETHEUS.retentionTime),
        sizeGiB: sizeGiB(
          `Prometheus deletes the oldest blocks beyond this size (--storage.tsdb.retention.size); keep it below the volume size. Default: ${DEFAULT_PROMETHEUS.retentionSizeGiB}`,
        ).default(DEFAULT_PROMETHEUS.retentionSizeGiB),
      })
      .prefault({})
      .describe('Prometheus TSDB retention'),
    loki: z
      .strictObject({
        period: duration(`How long Loki keeps logs (limits_config.retention_period, applied by the compactor). Default: ${DEFAULT_LOKI.retentionPeriod} (31 days)`).default(DEFAULT_LOKI.retentionPeriod),
      })
      .prefault({})
      .describe('Loki retention'),
    elasticsearch: z
      .strictObject({
        rollover: z
          .strictObject({
            maxAge: duration(`Roll the write index over after this age. Default: ${DEFAULT_ILM.rolloverMaxAge}`).default(DEFAULT_ILM.rolloverMaxAge),
            maxPrimaryShardSizeGiB: sizeGiB(`Roll over when a primary shard reaches this size. Default: ${DEFAULT_ILM.rolloverMaxPrimaryShardSizeGiB}`).default(DEFAULT_ILM.rolloverMaxPrimaryShardSizeGiB),
          })
          .prefault({})
          .describe('Hot-phase rollover'),
        warm: ilmPhase('Move to warm nodes after this age since rollover (needs warm nodes).').optional(),
        cold: ilmPhase('Move to cold nodes after this age since rollover (needs cold nodes).').optional(),
        delete: z
          .strictObject({ minAge: duration(`Delete indices this long after rollover. Default: ${DEFAULT_ILM.deleteMinAge}`).default(DEFAULT_ILM.deleteMinAge) })
          .prefault({})
          .describe('Delete phase'),
      })
      .prefault({})
      .describe('Elasticsearch ILM policy for the ML log data stream'),
  })
  .prefault({})
  .describe('Retention per store');

// ---------------------------------------------------------------- TLS

const issuer = z
  .discriminatedUnion('kind', [
    z
      .strictObject({ kind: z.literal('selfSigned') })
      .describe('A self-signed root CA created in the namespace, then a CA Issuer that signs every certificate (dev, air-gapped).'),
    z
      .strictObject({
        kind: z.literal('clusterIssuer'),
        name: dnsSubdomain('Name of an existing cert-manager ClusterIssuer (e.g. your corporate CA)'),
      })
      .describe('An existing ClusterIssuer owned by the platform team.'),
    z
      .strictObject({
        kind: z.literal('acme'),
        server: z
          .url({ message: 'is not a URL; use the ACME directory URL, e.g. https://acme-v02.api.letsencrypt.org/directory' })
          .refine((u) => u.startsWith('https://'), { message: 'must be an https:// URL' })
          .superRefine((u, ctx) => {
            const kind = credentialInUrl(u);
            if (kind) ctx.addIssue({ code: 'custom', message: credentialUrlMessage(kind, 'use the directory URL without it (an ACME account is bound with externalAccountBinding)') });
          })
          .describe('ACME directory URL'),
        email: z.email({ message: 'is not an email address' }).describe('Account email for expiry notices'),
        accountKeySecretName: dnsSubdomain(`Secret where cert-manager stores the ACME account key. Default: ${DEFAULT_ACME.accountKeySecretName}`)
          .default(DEFAULT_ACME.accountKeySecretName),
        ingressClassName: dnsSubdomain(`IngressClass that serves HTTP-01 challenges. Default: ${DEFAULT_ACME.ingressClassName}`).default(DEFAULT_ACME.ingressClassName),
        externalAccountBinding: z
          .strictObject({
            keyId: z.string().min(1).describe('EAB key id (not secret)'),
            keySecretRef: secretRef.describe('Secret holding the EAB HMAC key'),
          })
          .optional()
          .describe('External account binding, for ACME CAs that require it'),
      })
      .describe('An ACME issuer (e.g. Let\'s Encrypt) solving HTTP-01 through an Ingress.'),
  ])
  .describe('Where certificates come from');

const tls = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Serve every selected hop over TLS. Default: false'),
    issuer: issuer.optional(),
    hops: z
      .strictObject({
        ui: z.boolean().default(DEFAULT_TLS_HOPS.ui).describe(`Grafana, Kibana and the other UIs exposed through an Ingress. Default: ${DEFAULT_TLS_HOPS.ui}`),
        collectors: z.boolean().default(DEFAULT_TLS_HOPS.collectors).describe(`Collectors to Logstash/Loki. Default: ${DEFAULT_TLS_HOPS.collectors}`),
        // Removed: a file that still sets it gets a message saying what to write instead.
        elasticsearch: z
          .unknown()
          .optional()
          .superRefine((v, ctx) => {
            if (v !== undefined) ctx.addIssue({ code: 'custom', message: REMOVED_ELASTICSEARCH_HOP });
          })
          .describe('Removed: Elasticsearch HTTP is always TLS; use elastic.httpCertificate'),
        loki: z.boolean().default(DEFAULT_TLS_HOPS.loki).describe(`Loki gateway. Default: ${DEFAULT_TLS_HOPS.loki}`),
      })
      .prefault({})
      .describe('Which hops use TLS when enabled. Default: all'),
    certificate: z
      .strictObject({
        duration: duration(`Certificate lifetime, at least 1h (cert-manager's minimum). Default: ${DEFAULT_CERTIFICATE.duration} (90 days)`).default(DEFAULT_CERTIFICATE.duration),
        renewBefore: duration(`Renew this long before expiry: at least 5m, shorter than duration. Default: ${DEFAULT_CERTIFICATE.renewBefore} (15 days)`).default(DEFAULT_CERTIFICATE.renewBefore),
        privateKeyAlgorithm: z.enum(PRIVATE_KEY_ALGORITHMS).default(DEFAULT_CERTIFICATE.privateKeyAlgorithm).describe(`Default: ${DEFAULT_CERTIFICATE.privateKeyAlgorithm} (P-256)`),
      })
      .superRefine((c, ctx) => {
        if (durationToMs(c.duration) < CERT_MANAGER_MIN_DURATION_MS) {
          ctx.addIssue({ code: 'custom', path: ['duration'], message: `"${c.duration}" is shorter than cert-manager's minimum certificate duration (1h); use at least 1h` });
        }
        if (durationToMs(c.renewBefore) < CERT_MANAGER_MIN_RENEW_BEFORE_MS) {
          ctx.addIssue({ code: 'custom', path: ['renewBefore'], message: `"${c.renewBefore}" is shorter than cert-manager's minimum (5m); use at least 5m` });
        } else if (durationToMs(c.renewBefore) >= durationToMs(c.duration)) {
          ctx.addIssue({
            code: 'custom',
            path: ['renewBefore'],
            message: `"${c.renewBefore}" must be shorter than tls.certificate.duration "${c.duration}", or cert-manager renews the certificate constantly; e.g. a third of it`,
          });
        }
      })
      .prefault({})
      .describe('Settings for every certificate the stack requests'),
  })
  .prefault({})
  .describe('TLS for the stack');

// ---------------------------------------------------------------- components

function component<S extends z.ZodRawShape>(name: keyof typeof DEFAULT_RESOURCES, what: string, extra: S, dfltReplicas = 1) {
  const o = z.strictObject({ replicas: replicas(dfltReplicas, what), resources: resources(name), ...extra });
  return o.prefault({} as z.input<typeof o>).describe(what);
}

const prometheus = component('prometheus', 'Prometheus', {
  storage: storage(DEFAULT_PROMETHEUS.storageGiB),
  scrapeInterval: duration(`Default scrape interval. Default: ${DEFAULT_PROMETHEUS.scrapeInterval}`).default(DEFAULT_PROMETHEUS.scrapeInterval),
  ingress: ingressSchema.optional(),
});
const alertmanager = component('alertmanager', 'Alertmanager', { storage: storage(DEFAULT_ALERTMANAGER.storageGiB), ingress: ingressSchema.optional(), ...alertingShape });
const grafana = z
  .strictObject({
    replicas: replicas(1, 'Grafana'),
    resources: resources('grafana'),
    adminCredentials: z
      .strictObject(
        {
          secretName: dnsSubdomain('Existing Secret with the Grafana admin user and password'),
          userKey: z.string().min(1).default(DEFAULT_GRAFANA.userKey).describe(`Key of the user name. Default: ${DEFAULT_GRAFANA.userKey}`),
          passwordKey: z.string().min(1).default(DEFAULT_GRAFANA.passwordKey).describe(`Key of the password. Default: ${DEFAULT_GRAFANA.passwordKey}`),
        },
        {
          error: (iss) =>
            iss.input === undefined
              ? 'is required (an existing Secret, never a literal password); please set: { secretName: grafana-admin }'
              : undefined,
        },
      )
      .describe('Grafana admin credentials, from an existing Secret'),
    ingress: ingressSchema.optional(),
  }, {
    error: (iss) =>
      iss.input === undefined
        ? 'is required (Grafana admin credentials come from an existing Secret); please set: grafana: { adminCredentials: { secretName: grafana-admin } }'
        : undefined,
  })
  .describe('Grafana');
const loki = component('loki', 'Loki', { storage: storage(DEFAULT_LOKI.storageGiB), ...lokiShape });
const elasticsearch = component('elasticsearch', 'Elasticsearch', { storage: storage(DEFAULT_ELASTIC.storageGiB) });
const pushgateway = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Deploy a Pushgateway for batch and short-lived jobs that cannot be scraped (read its limits in README). Default: false'),
    resources: resourceRequirements
      .default(DEFAULT_PUSHGATEWAY.resources)
      .describe(`Requests and limits. Default: ${JSON.stringify(DEFAULT_PUSHGATEWAY.resources)}`),
  })
  .prefault({})
  .describe('Prometheus Pushgateway (scraped with honor_labels)');

const certManager = component('certManager', 'cert-manager (installed when tls.enabled)', {
  install: z
    .boolean()
    .default(DEFAULT_CERT_MANAGER.install)
    .describe(`Install cert-manager with the stack; set false when the cluster already runs it (its CRDs must exist). Default: ${DEFAULT_CERT_MANAGER.install}`),
});

// ---------------------------------------------------------------- the environment

export const environmentSchema = z
  .strictObject({
    cluster,
    backend,
    namespace: dnsLabel(`Namespace for the whole stack, created and owned by it (never default, kube-system, kube-public or kube-node-lease). Default: ${DEFAULT_NAMESPACE}`)
      .refine((n) => !RESERVED_NAMESPACES.includes(n), {
        message:
          'names a namespace reserved by Kubernetes: the stack creates and owns its namespace (a destroy deletes it) and denies ingress there by default, which would cut system pods such as CoreDNS; use a namespace of its own, e.g. mlobs',
      })
      .default(DEFAULT_NAMESPACE),
    agentsNamespace: dnsLabel(
      'Namespace of the DaemonSets that need host access (node-exporter, the bundled dcgm-exporter), created and owned by the stack with Pod Security privileged enforced. Default: <namespace>-agents',
    )
      .refine((n) => !RESERVED_NAMESPACES.includes(n), {
        message: 'names a namespace reserved by Kubernetes: the stack creates and owns its agents namespace (a destroy deletes it); use a namespace of its own, e.g. mlobs-agents',
      })
      .optional(),
    labels: labelMap.default({}).describe('Labels added to every object the stack creates. Default: none'),
    logs,
    gpu,
    training,
    retention,
    tls,
    prometheus,
    alertmanager,
    grafana,
    loki,
    elasticsearch,
    elastic: elasticSchema,
    certManager,
    pushgateway,
  })
  .superRefine((env, ctx) => {
    if (env.agentsNamespace !== undefined && env.agentsNamespace === env.namespace) {
      ctx.addIssue({
        code: 'custom',
        path: ['agentsNamespace'],
        message: `"${env.agentsNamespace}" is the stack namespace too: the agents namespace enforces Pod Security privileged and the stack namespace must not; remove agentsNamespace (default "${env.namespace}-agents") or name another namespace`,
      });
    }
    if (env.agentsNamespace === undefined && defaultAgentsNamespace(env.namespace).length > MAX_NAMESPACE_LENGTH) {
      ctx.addIssue({
        code: 'custom',
        path: ['namespace'],
        message: `"${env.namespace}" leaves no room for the default agents namespace "${defaultAgentsNamespace(env.namespace)}" (${defaultAgentsNamespace(env.namespace).length} characters, a namespace name has at most ${MAX_NAMESPACE_LENGTH}): shorten namespace to ${MAX_NAMESPACE_LENGTH - DEFAULT_AGENTS_NAMESPACE_SUFFIX.length} characters or set agentsNamespace`,
      });
    }
    checkAlerting(env.alertmanager, ctx);
    if (env.logs.pipelines.includes('loki')) checkLoki(env.loki, env.retention.loki.period, ctx);
    checkElastic(env, ctx);
    if (env.tls.enabled && !env.tls.issuer) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls', 'issuer'],
        message: 'is required when tls.enabled is true; please set: tls.issuer: { kind: selfSigned } (or clusterIssuer, acme)',
      });
    }
    // The log collectors run in the agents namespace and verify their TLS hop with a trust bundle
    // there: the stack's own CA signs in that namespace only as a ClusterIssuer, whose Secret
    // cert-manager reads from its own namespace, the stack's when the stack installs it.
    const collectorHop = (env.logs.pipelines.includes('loki') && env.tls.hops.loki) || (env.logs.pipelines.includes('elastic') && env.tls.hops.collectors);
    if (env.tls.enabled && env.tls.issuer && env.tls.issuer.kind !== 'clusterIssuer' && !env.certManager.install && collectorHop) {
      ctx.addIssue({
        code: 'custom',
        path: ['certManager', 'install'],
        message: `false with tls.issuer.kind ${env.tls.issuer.kind}: the log collectors in the agents namespace ("${env.agentsNamespace ?? defaultAgentsNamespace(env.namespace)}") verify their TLS hop with the stack's CA, which can sign there only as a ClusterIssuer whose Secret lives in cert-manager's own namespace; set tls.issuer: { kind: clusterIssuer, name: <your ClusterIssuer> }, or certManager.install: true`,
      });
    }
    const esr = env.retention.elasticsearch;
    const del = durationToMs(esr.delete.minAge);
    if (del <= durationToMs(esr.rollover.maxAge)) {
      ctx.addIssue({
        code: 'custom',
        path: ['retention', 'elasticsearch', 'delete', 'minAge'],
        message: `"${esr.delete.minAge}" must be longer than the rollover age "${esr.rollover.maxAge}" (retention.elasticsearch.rollover.maxAge), or indices are deleted before they roll over`,
      });
    }
    for (const phase of ['warm', 'cold'] as const) {
      const p = esr[phase];
      if (p && durationToMs(p.minAge) >= del) {
        ctx.addIssue({
          code: 'custom',
          path: ['retention', 'elasticsearch', phase, 'minAge'],
          message: `"${p.minAge}" must be shorter than the delete age "${esr.delete.minAge}", or the ${phase} phase never runs`,
        });
      }
    }
    if (esr.warm && esr.cold && durationToMs(esr.cold.minAge) <= durationToMs(esr.warm.minAge)) {
      ctx.addIssue({
        code: 'custom',
        path: ['retention', 'elasticsearch', 'cold', 'minAge'],
        message: `"${esr.cold.minAge}" must be longer than the warm age "${esr.warm.minAge}"`,
      });
    }
    if (env.retention.prometheus.sizeGiB > env.prometheus.storage.sizeGiB) {
      ctx.addIssue({
        code: 'custom',
        path: ['retention', 'prometheus', 'sizeGiB'],
        message: `${env.retention.prometheus.sizeGiB} is larger than the volume (prometheus.storage.sizeGiB: ${env.prometheus.storage.sizeGiB}); the disk fills before retention applies`,
      });
    }
    if (env.logs.files.enabled && env.logs.pipelines.includes('elastic') && `${env.logs.files.kubeletRootDir}/pods` !== FILEBEAT_KUBELET_PODS_DIR) {
      ctx.addIssue({
        code: 'custom',
        path: ['logs', 'files', 'kubeletRootDir'],
        message: `Filebeat (logs.pipelines has "elastic") finds a file's pod only below ${FILEBEAT_KUBELET_PODS_DIR}/; please set: logs.files.kubeletRootDir: ${DEFAULT_LOG_FILES.kubeletRootDir}, or use the loki pipeline only`,
      });
    }
    if (env.logs.collector === 'promtail' && !env.logs.pipelines.includes('loki')) {
      ctx.addIssue({
        code: 'custom',
        path: ['logs', 'collector'],
        message: '"promtail" only ships to Loki, but logs.pipelines has no "loki"; please set: logs.pipelines: [loki] or remove logs.collector',
      });
    }
  })
  .describe('One mlobs environment: a Terraform stack deploying the ML observability stack to one cluster');

/** What a user writes in config/<env>.yaml. */
export type EnvironmentInput = z.input<typeof environmentSchema>;
/** The validated config with every default applied. */
export type EnvironmentSettings = z.output<typeof environmentSchema>;

/** Each section's output is what its component takes (compile-time checks; see ./conforms.ts). */
export type LokiSectionOutput = Conforms<EnvironmentSettings['loki'], Omit<LokiSettings, 'retentionPeriod'>>;
export type GrafanaSectionOutput = Conforms<EnvironmentSettings['grafana'], GrafanaSettings>;
export type CertManagerSectionOutput = Conforms<EnvironmentSettings['certManager'], CertManagerSettings>;
export type IssuerOutput = Conforms<NonNullable<EnvironmentSettings['tls']['issuer']>, IssuerSettings>;

/** A validated environment: its name (the file name) and settings. */
export interface EnvironmentConfig {
  /** Environment name = file name without .yaml = Terraform stack name. */
  readonly name: string;
  /** Source file, relative to the project root (for messages). */
  readonly file: string;
  readonly settings: EnvironmentSettings;
}
