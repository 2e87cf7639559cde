/**
 * The `elastic` section of the environment schema: how the Elastic pipeline (ECK operator,
 * Elasticsearch node sets and tiers, Kibana, Logstash, Filebeat) is shaped. The hot (or only)
 * node set takes its count, resources and storage from the `elasticsearch` component section;
 * warm and cold tiers are declared here and must match the ILM phases in
 * `retention.elasticsearch` (checked by {@link checkElastic}).
 *
 * Every default is a named constant, repeated in the field's description so that editors show it.
 */
import { z } from 'zod';
import { memoryBytes } from '../quantity';
import { dnsLabel, memoryQuantity, resourceRequirements, sizeGiB, dnsSubdomain, type ResourceRequirements } from './primitives';
import type { Conforms } from './conforms';
import { ingressSchema } from './metrics';
import {
  ANTI_AFFINITY_MODES,
  DEFAULT_DATASET,
  DEFAULT_ELASTIC,
  DEFAULT_ELASTIC_NAME,
  DEFAULT_ES_USERS,
  ES_USER_ROLES,
  DEFAULT_KERNEL_LOG_PATH,
  DEFAULT_TOTAL_FIELDS_LIMIT,
  ELASTIC_DEFAULT_RESOURCES,
  HTTP_CERTIFICATE_MODES,
  type ElasticTierSettings,
  type FilebeatSettings,
  type HttpCertificateMode,
  type KibanaSettings,
  type LogstashSettings,
} from '../../constructs/elastic/settings';

/**
 * A data stream name part: Elastic's naming scheme separates type, dataset and namespace with "-",
 * so a part may not contain one.
 */
const dataStreamPart = (description: string) =>
  z
    .string()
    .max(40, { message: 'must be at most 40 characters' })
    .regex(/^[a-z0-9_]+$/, { message: 'is not a data stream name part; use lowercase letters, digits and "_" (no "-": it separates logs-<dataset>-<namespace>)' })
    .describe(description);

export { ANTI_AFFINITY_MODES, DEFAULT_DATASET, DEFAULT_ELASTIC_NAME, DEFAULT_KERNEL_LOG_PATH, DEFAULT_TOTAL_FIELDS_LIMIT, ELASTIC_DEFAULT_RESOURCES, HTTP_CERTIFICATE_MODES };
export type { HttpCertificateMode };

const res = (k: Exclude<keyof typeof ELASTIC_DEFAULT_RESOURCES, 'elasticsearch'>, what: string) =>
  resourceRequirements
    .default(ELASTIC_DEFAULT_RESOURCES[k])
    .describe(`${what} requests and limits. Default: ${JSON.stringify(ELASTIC_DEFAULT_RESOURCES[k])}`);

const jvmHeap = (what: string) =>
  memoryQuantity
    .optional()
    .describe(`${what} JVM heap (-Xms = -Xmx), e.g. "2g"-style quantities written as Kubernetes memory ("2Gi"); keep it at most half the memory limit. Default: sized by the JVM from the container memory limit`);

const tier = (name: 'warm' | 'cold') =>
  z
    .strictObject({
      count: z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be at least 1' }).max(30).default(DEFAULT_ELASTIC.tierCount).describe(`Nodes in this tier. Default: ${DEFAULT_ELASTIC.tierCount}`),
      resources: res('tier', `${name} node`),
      jvmHeap: jvmHeap(`${name} node`),
      storage: z
        .strictObject({
          className: dnsSubdomain('StorageClass name. Default: the cluster default StorageClass').optional(),
          sizeGiB: sizeGiB(`Volume size per node in GiB. Default: ${DEFAULT_ELASTIC.tierStorageGiB}`).default(DEFAULT_ELASTIC.tierStorageGiB),
        })
        .prefault({})
        .describe('Persistent volume per node. Default: 100 GiB on the default StorageClass'),
    })
    .describe(`Dedicated ${name} data nodes (role data_${name}, node attribute data: ${name}); required when retention.elasticsearch.${name} is set`);

export const elasticSchema = z
  .strictObject({
    name: dnsLabel(`Name of the Elasticsearch and Kibana resources (Service <name>-es-http). Changing it recreates the cluster. Default: ${DEFAULT_ELASTIC_NAME}`, 36).default(
      DEFAULT_ELASTIC_NAME,
    ),
    jvmHeap: jvmHeap('Hot (or single) node'),
    antiAffinity: z
      .enum(ANTI_AFFINITY_MODES)
      .default(DEFAULT_ELASTIC.antiAffinity)
      .describe(`Spread Elasticsearch nodes over Kubernetes nodes: preferred (ECK default) or required (HA; needs as many nodes as replicas). Default: ${DEFAULT_ELASTIC.antiAffinity}`),
    httpCertificate: z
      .enum(HTTP_CERTIFICATE_MODES)
      .default(DEFAULT_ELASTIC.httpCertificate)
      .describe(
        "eck: Elasticsearch/Kibana HTTP TLS from ECK's own CA (always on); issuer: a certificate from the tls component's issuer (needs tls.enabled; with an acme issuer the stack's private CA signs the in-cluster names). Default: eck",
      ),
    tiers: z
      .strictObject({ warm: tier('warm').optional(), cold: tier('cold').optional() })
      .prefault({})
      .describe('Extra data tiers beside the hot node set (elasticsearch.*). Default: none'),
    dataStream: z
      .strictObject({
        dataset: dataStreamPart(`Data stream dataset (logs-<dataset>-<namespace>). Default: ${DEFAULT_DATASET}`).default(DEFAULT_DATASET),
        namespace: dataStreamPart('Data stream namespace. Default: the environment name with "-" as "_"').optional(),
      })
      .prefault({})
      .describe('Where Logstash writes: the data stream logs-<dataset>-<namespace>'),
    totalFieldsLimit: z
      .number()
      .int()
      .min(100)
      .max(10000)
      .default(DEFAULT_TOTAL_FIELDS_LIMIT)
      .describe(`index.mapping.total_fields.limit of the ML log data stream (unknown JSON keys are not mapped anyway). Default: ${DEFAULT_TOTAL_FIELDS_LIMIT}`),
    users: z
      .strictObject({
        grafanaUser: dnsSubdomain(`Basic-auth Secret (username, password, roles: ${ES_USER_ROLES.grafana.join(',')}) of Grafana's read-only user. Default: ${DEFAULT_ES_USERS.grafanaUser}`).default(
          DEFAULT_ES_USERS.grafanaUser,
        ),
        setupUser: dnsSubdomain(`Basic-auth Secret (username, password, roles: ${ES_USER_ROLES.setup.join(',')}) of the setup Job's user. Default: ${DEFAULT_ES_USERS.setupUser}`).default(
          DEFAULT_ES_USERS.setupUser,
        ),
        monitorUser: dnsSubdomain(`Basic-auth Secret (username, password, roles: ${ES_USER_ROLES.monitor.join(',')}) of the metrics exporter's user. Default: ${DEFAULT_ES_USERS.monitorUser}`).default(
          DEFAULT_ES_USERS.monitorUser,
        ),
      })
      .prefault({})
      .describe('The stack\'s own Elasticsearch users (ECK file realm), from Secrets your secret manager creates; nothing the stack runs uses the elastic superuser'),
    operator: z
      .strictObject({ resources: res('operator', 'ECK operator') })
      .prefault({})
      .describe('The ECK operator'),
    kibana: z
      .strictObject({
        count: z.number().int().min(1).max(9).default(DEFAULT_ELASTIC.kibanaCount).describe(`Kibana instances. Default: ${DEFAULT_ELASTIC.kibanaCount}`),
        resources: res('kibana', 'Kibana'),
        ingress: ingressSchema.optional(),
      })
      .prefault({})
      .describe('Kibana'),
    logstash: z
      .strictObject({
        count: z.number().int().min(1).max(9).default(DEFAULT_ELASTIC.logstashCount).describe(`Logstash instances. Default: ${DEFAULT_ELASTIC.logstashCount}`),
        resources: res('logstash', 'Logstash'),
        jvmHeap: jvmHeap('Logstash'),
      })
      .prefault({})
      .describe('Logstash'),
    filebeat: z
      .strictObject({
        resources: res('filebeat', 'Filebeat (per node)'),
        kernelLogPath: z
          .string()
          .regex(/^\/[^\s]*$/, { message: 'must be an absolute path on the node, like /var/log/kern.log' })
          .default(DEFAULT_KERNEL_LOG_PATH)
          .describe(`The node's kernel log (NVIDIA Xid lines), read through a read-only hostPath. Default: ${DEFAULT_KERNEL_LOG_PATH}`),
      })
      .prefault({})
      .describe('Filebeat DaemonSet'),
  })
  .prefault({})
  .describe('The Elastic pipeline (used when logs.pipelines has elastic)');

export type ElasticSettings = z.output<typeof elasticSchema>;
/** Each part's output is what its Elastic component takes (compile-time checks; see ./conforms.ts). */
export type ElasticTierOutput = Conforms<NonNullable<ElasticSettings['tiers']['warm']>, ElasticTierSettings>;
export type KibanaOutput = Conforms<ElasticSettings['kibana'], KibanaSettings>;
export type LogstashOutput = Conforms<ElasticSettings['logstash'], LogstashSettings>;
export type FilebeatOutput = Conforms<ElasticSettings['filebeat'], FilebeatSettings>;
export type { ElasticTierSettings };

/** What checkElastic needs from the environment. */
export interface ElasticCheckInput {
  readonly elastic: ElasticSettings;
  readonly retention: { readonly elasticsearch: { readonly warm?: unknown; readonly cold?: unknown } };
  readonly tls: { readonly enabled: boolean; readonly issuer?: { readonly kind: string } | undefined };
  readonly elasticsearch: { readonly resources: ResourceRequirements };
}

interface IssueSink {
  addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void;
}

/** Contradictions between the elastic section, ILM retention and TLS. */
export function checkElastic(env: ElasticCheckInput, ctx: IssueSink): void {
  const e = env.elastic;
  for (const t of ['warm', 'cold'] as const) {
    const phase = env.retention.elasticsearch[t];
    const nodes = e.tiers[t];
    if (phase && !nodes) {
      ctx.addIssue({
        code: 'custom',
        path: ['elastic', 'tiers', t],
        message: `is required because retention.elasticsearch.${t} moves indices to ${t} nodes, and there are none; please set: elastic.tiers.${t}: { count: 1 } (or remove retention.elasticsearch.${t})`,
      });
    }
    if (nodes && !phase) {
      ctx.addIssue({
        code: 'custom',
        path: ['retention', 'elasticsearch', t],
        message: `is required because elastic.tiers.${t} declares ${t} nodes that no ILM phase would use; please set: retention.elasticsearch.${t}: { minAge: 7d } (or remove elastic.tiers.${t})`,
      });
    }
  }
  if (e.httpCertificate === 'issuer') {
    if (!env.tls.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['elastic', 'httpCertificate'],
        message: '"issuer" needs the tls component; please set: tls: { enabled: true, issuer: { kind: selfSigned } } (or elastic.httpCertificate: eck)',
      });
    }
    // With an ACME issuer, in-cluster names are signed by the stack's private CA (Tls.certificateFor).
  }
  const heaps: [readonly (string | number)[], string | undefined, string][] = [
    [['elastic', 'jvmHeap'], e.jvmHeap, env.elasticsearch.resources.limits.memory],
    [['elastic', 'logstash', 'jvmHeap'], e.logstash.jvmHeap, e.logstash.resources.limits.memory],
    [['elastic', 'tiers', 'warm', 'jvmHeap'], e.tiers.warm?.jvmHeap, e.tiers.warm?.resources.limits.memory ?? '0'],
    [['elastic', 'tiers', 'cold', 'jvmHeap'], e.tiers.cold?.jvmHeap, e.tiers.cold?.resources.limits.memory ?? '0'],
  ];
  for (const [path, heap, limit] of heaps) {
    if (heap && memoryBytes(heap) * 2 > memoryBytes(limit)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path],
        message: `"${heap}" is more than half the memory limit "${limit}"; the JVM needs the rest for off-heap memory and the page cache; please set a heap of at most half the limit, or omit it to let the JVM size it`,
      });
    }
  }
}
