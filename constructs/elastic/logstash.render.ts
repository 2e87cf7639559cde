/**
 * The Logstash pipeline text and the Logstash custom resource (ECK
 * `logstash.k8s.elastic.co/v1alpha1`). Pure: no cdktf import.
 *
 * Pipeline, in order:
 * - input: `beats` on {@link LS_BEATS_PORT}, TLS when a certificate is given (PKCS#8 key);
 * - filter: the catalog's compiled filter (`compileLogstashFilter()`, placed unchanged: JSON
 *   lines through its `json` filter, text lines through its grok), then `@timestamp` from the
 *   line's own time (`[ml][timestamp]`, ISO 8601 after the catalog's rewrites; a line without
 *   a zone is read as UTC), then optional extra filter text (the event counters);
 * - output: the data stream `logs-<dataset>-<namespace>` through ECK's `elasticsearchRefs`
 *   association: ECK creates the Logstash user and injects `<ALIAS>_ES_HOSTS`, `_USER`,
 *   `_PASSWORD` and `_SSL_CERTIFICATE_AUTHORITY` as environment variables; the pipeline only
 *   names those variables, so no password is in config, state or the chart.
 */
import type { KubeManifest } from '../core/manifest';
import type { ResourceRequirements } from '../core/settings';
import { checkJsonFields, JSON_FIELDS_OBJECT, type JsonFieldType } from '../contracts/json-fields';
import { LOGSTASH_JSON_METADATA, qre } from '../mllogs/compile-logstash';
import { gsubExpression, redactionMarker, type RedactionRule } from '../contracts/redaction';
import { PROGRESS_FINAL_PATTERN, PROGRESS_REDRAW_PATTERN, STATIC_FIELDS_OBJECT, durationSeconds, type LogVolumeSettings, type StaticFields } from '../contracts/log-volume';
import { TRAINING_EVENTS } from '../contracts/log-metrics';
import { jvmHeapOption } from './elasticsearch.render';
import { LS_BEATS_PORT } from './names';

export const LOGSTASH_API_VERSION = 'logstash.k8s.elastic.co/v1alpha1';
/** Alias of the Elasticsearch association (`clusterName`): prefix of ECK's environment variables. */
export const DEFAULT_ES_ALIAS = 'mlobs';
/** Id of the one pipeline. */
export const DEFAULT_PIPELINE_ID = 'mlobs-ml-logs';
/** Where the beats input's certificate Secret is mounted in the Logstash container. */
export const BEATS_TLS_DIR = '/usr/share/logstash/config/beats-tls';
/** ECK's name for the Logstash service that receives Beats (`<name>-ls-<service>`). */
export const BEATS_SERVICE_NAME = 'beats';

export interface LogstashPipelineProps {
  /** The filter body placed inside `filter { }` unchanged (the catalog's compiled filter). */
  readonly catalogFilter: string;
  /** Beats input TLS (certificate and PKCS#8 key files). @default - plain TCP */
  readonly beatsTls?: { readonly certificateFile: string; readonly keyFile: string };
  /** Elasticsearch association alias (`clusterName` of the elasticsearchRef). */
  readonly esAlias: string;
  /** Data stream dataset and namespace: documents go to `logs-<dataset>-<namespace>`. */
  readonly dataStream: { readonly dataset: string; readonly namespace: string };
  /** Extra filter text after `@timestamp` (indented by the renderer). @default - none */
  readonly extraFilter?: string;
  /** Extra output text after the Elasticsearch output. @default - none */
  readonly extraOutput?: string;
  /** A field that, when set, keeps the event out of Elasticsearch (the volume filter's mark; the other outputs still see it). @default - every event is stored */
  readonly skipStoreField?: string;
  /** Extra input text after the beats input (the heartbeat). @default - none */
  readonly extraInput?: string;
  /** A field marking events that are never stored (the heartbeat's). @default - none */
  readonly neverStoreField?: string;
  /**
   * Kubernetes events shipped by Metricbeat (events.render.ts): documents meeting `condition` take
   * `filter` instead of the log-line filters (catalog, timestamp, extra). @default - no events branch
   */
  readonly events?: { readonly condition: string; readonly filter: string };
}

/** The environment variable prefix ECK uses for an association alias (upper case, `-` as `_`). */
export function esEnvPrefix(alias: string): string {
  return alias.toUpperCase().replace(/-/g, '_');
}

const indent = (text: string, n = 1): string =>
  text
    .split('\n')
    .map((l) => (l === '' ? l : '  '.repeat(n) + l))
    .join('\n');

export function renderLogstashPipeline(p: LogstashPipelineProps): string {
  const env = esEnvPrefix(p.esAlias);
  const beats = [
    'beats {',
    '  id => "mlobs_beats"',
    `  port => ${LS_BEATS_PORT}`,
    ...(p.beatsTls
      ? ['  ssl_enabled => true', `  ssl_certificate => "${p.beatsTls.certificateFile}"`, `  ssl_key => "${p.beatsTls.keyFile}"`, '  ssl_client_authentication => "none"']
      : ['  ssl_enabled => false']),
    '}',
  ].join('\n');
  const timestamp = [
    "# @timestamp from the line's own time (the catalog rewrote it to ISO 8601; no zone means UTC)",
    'if [ml][timestamp] {',
    '  date { id => "mlobs_timestamp" match => ["[ml][timestamp]", "ISO8601"] timezone => "UTC" tag_on_failure => ["_mlobs_timestamp_failure"] }',
    '}',
  ].join('\n');
  const es = [
    'elasticsearch {',
    '  id => "mlobs_elasticsearch"',
    `  hosts => ["\${${env}_ES_HOSTS}"]`,
    `  user => "\${${env}_ES_USER}"`,
    `  password => "\${${env}_ES_PASSWORD}"`,
    `  ssl_certificate_authorities => ["\${${env}_ES_SSL_CERTIFICATE_AUTHORITY}"]`,
    '  data_stream => "true"',
    '  data_stream_type => "logs"',
    `  data_stream_dataset => "${p.dataStream.dataset}"`,
    `  data_stream_namespace => "${p.dataStream.namespace}"`,
    '  data_stream_auto_routing => false',
    '}',
  ].join('\n');
  const skip = [p.skipStoreField, p.neverStoreField].filter((f): f is string => f !== undefined);
  const lineFilters = [p.catalogFilter.replace(/\n$/, ''), timestamp, ...(p.extraFilter ? [p.extraFilter.replace(/\n$/, '')] : [])];
  return [
    '# Generated by mlobs (constructs/elastic/logstash.render.ts). Do not edit.',
    `# Writes to the data stream logs-${p.dataStream.dataset}-${p.dataStream.namespace}; credentials are ECK's (${env}_ES_* environment variables).`,
    'input {',
    indent(beats),
    ...(p.extraInput ? [indent(p.extraInput.replace(/\n$/, ''))] : []),
    '}',
    'filter {',
    ...(p.events ? [indent(`if ${p.events.condition} {`), indent(p.events.filter.replace(/\n$/, ''), 2), indent('} else {')] : []),
    ...lineFilters.map((f) => indent(f, p.events ? 2 : 1)),
    ...(p.events ? [indent('}')] : []),
    '}',
    'output {',
    ...(skip.length > 0 ? [indent(`# not stored when the volume filter marked it (the event counters below still count it)${p.neverStoreField ? ', nor a heartbeat' : ''}\nif ${skip.map((f) => `!${f}`).join(' and ')} {`), indent(es, 2), indent('}')] : [indent(es)]),
    ...(p.extraOutput ? [indent(p.extraOutput.replace(/\n$/, ''))] : []),
    '}',
    '',
  ].join('\n');
}

export interface LogstashRenderProps {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly version: string;
  readonly count: number;
  readonly resources: ResourceRequirements;
  /** JVM heap (Kubernetes quantity). @default - sized by Logstash's jvm.options */
  readonly jvmHeap?: string;
  /** Name of the Elasticsearch resource Logstash writes to. */
  readonly elasticsearchName: string;
  /** Association alias (see {@link DEFAULT_ES_ALIAS}). */
  readonly esAlias: string;
  /** The pipeline text. */
  readonly pipeline: string;
  /** Secret with the beats input certificate (tls.crt, tls.key in PKCS#8, ca.crt). @default - no TLS */
  readonly beatsCertificateSecret?: string;
  /** Extra containers (the event-counter sidecar). @default - none */
  readonly sidecars?: readonly Readonly<Record<string, unknown>>[];
  /** Extra volumes for the sidecars. @default - none */
  readonly extraVolumes?: readonly Readonly<Record<string, unknown>>[];
  /** Extra pod labels (selected by a PodMonitor). @default - none */
  readonly podLabels?: Readonly<Record<string, string>>;
}

/** Restricted container security context (Logstash writes its data volume and ECK's config volume, not the root filesystem). */
const RESTRICTED = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true } as const;

export function renderLogstash(p: LogstashRenderProps): KubeManifest {
  const tlsVolume = p.beatsCertificateSecret ? [{ name: 'beats-tls', secret: { secretName: p.beatsCertificateSecret, defaultMode: 0o440 } }] : [];
  return {
    apiVersion: LOGSTASH_API_VERSION,
    kind: 'Logstash',
    metadata: { name: p.name, namespace: p.namespace, labels: { ...p.labels } },
    spec: {
      version: p.version,
      count: p.count,
      elasticsearchRefs: [{ name: p.elasticsearchName, clusterName: p.esAlias }],
      pipelines: [{ 'pipeline.id': DEFAULT_PIPELINE_ID, 'config.string': p.pipeline }],
      services: [
        {
          name: BEATS_SERVICE_NAME,
          service: { spec: { type: 'ClusterIP', ports: [{ name: 'beats', port: LS_BEATS_PORT, targetPort: LS_BEATS_PORT, protocol: 'TCP' }] } },
        },
      ],
      podTemplate: {
        ...(p.podLabels ? { metadata: { labels: { ...p.podLabels } } } : {}),
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'logstash',
              resources: { requests: { ...p.resources.requests }, limits: { ...p.resources.limits } },
              ...(p.jvmHeap ? { env: [{ name: 'LS_JAVA_OPTS', value: jvmHeapOption(p.jvmHeap) }] } : {}),
              ...(p.beatsCertificateSecret ? { volumeMounts: [{ name: 'beats-tls', mountPath: BEATS_TLS_DIR, readOnly: true }] } : {}),
              securityContext: { ...RESTRICTED },
            },
            ...(p.sidecars ?? []).map((c) => ({ ...c })),
          ],
          ...(tlsVolume.length > 0 || p.extraVolumes ? { volumes: [...tlsVolume, ...(p.extraVolumes ?? []).map((v) => ({ ...v }))] } : {}),
        },
      },
    },
  };
}

/**
 * Logstash filter text: the team JSON fields (contracts/json-fields.ts) of a JSON line, copied from
 * its decoded object to `team.<name>` when they are scalars (an object or array would not fit the
 * mapped type and would make Elasticsearch refuse the document).
 */
export function renderTeamFieldsFilter(fields: Readonly<Record<string, JsonFieldType>>): string {
  const names = Object.keys(checkJsonFields(fields, 'logstash: jsonFields'));
  if (names.length === 0) return '';
  const code = `${JSON.stringify(names)}.each { |n| v = event.get("${LOGSTASH_JSON_METADATA}[#{n}]"); event.set("[${JSON_FIELDS_OBJECT}][#{n}]", v) unless v.nil? || v.is_a?(Hash) || v.is_a?(Array) }`;
  return [`# team JSON fields (contracts/json-fields.ts) -> ${JSON_FIELDS_OBJECT}.<name>`, `if ${LOGSTASH_JSON_METADATA} {`, `  ruby { id => "mlobs_team_fields" code => '${code}' }`, '}'].join('\n');
}

/** Where the volume filter writes why an event is not stored (a `@metadata` field: never stored itself). */
export const VOLUME_DROP_FIELD = '[@metadata][mlobs_drop]';

const rubyRegex = (pattern: string): string => '/' + pattern.replace(/\//g, '\\/') + '/';

/**
 * Logstash filter text: volume control (contracts/log-volume.ts), placed after the catalog and the
 * event counters' labels. It marks, never drops: {@link VOLUME_DROP_FIELD} says why the event is
 * not stored, and the pipeline's Elasticsearch output skips marked events while the counter
 * outputs still count them. Levels in `dropLevels` are marked `level_<level>`; a progress-bar
 * redraw (`train_progress` with a bar shape, not the final 100%) is kept at most once per stream
 * (namespace/pod/container) per interval by a Ruby filter that remembers, per stream, when it
 * last kept one (wall clock, shared by the pipeline workers under a lock, forgotten past 10000
 * streams), as Alloy's stage.limit does with rate 1/interval and burst 1.
 */
export function renderVolumeFilter(v: LogVolumeSettings): string {
  const interval = durationSeconds(v.progressInterval);
  const q = (s: string): string => JSON.stringify(s);
  const code =
    'k = [event.get("[kubernetes][namespace]"), event.get("[kubernetes][pod][name]"), event.get("[kubernetes][container][name]")].join("/"); ' +
    'now = Time.now.to_f; ' +
    `keep = @lock.synchronize { @last.clear if @last.size > 10000; t = @last[k]; if t.nil? || now - t >= ${interval} then @last[k] = now; true else false end }; ` +
    `event.set("${VOLUME_DROP_FIELD}", "progress") unless keep`;
  return [
    '# volume control (contracts/log-volume.ts): marked events are not stored; the counters still see them',
    ...v.dropLevels.map((l) => [`if [ml][level] == ${q(l)} {`, `  mutate { id => ${q(`mlobs_volume_level_${l}`)} add_field => { ${q(VOLUME_DROP_FIELD)} => ${q(`level_${l}`)} } }`, '}'].join('\n')),
    `# progress-bar redraws: at most one per stream every ${v.progressInterval}; the final 100% line is always kept`,
    `if !${VOLUME_DROP_FIELD} and [ml][event] == ${q(TRAINING_EVENTS.progress)} and [kubernetes][pod][name] and [message] =~ ${rubyRegex(PROGRESS_REDRAW_PATTERN)} and [message] !~ ${rubyRegex(PROGRESS_FINAL_PATTERN)} {`,
    `  ruby { id => "mlobs_volume_progress" init => '@last = {}; @lock = Mutex.new' code => '${code}' }`,
    '}',
  ].join('\n');
}

/**
 * Logstash filter text: static fields (contracts/log-volume.ts) as `labels.<name>`, the
 * environment's on every event, a namespace's over them on its pods' events. Values are checked
 * plain strings (no `%{`, no quote), written as they are.
 */
export function renderStaticFieldsFilter(sf: StaticFields): string {
  const q = (s: string): string => JSON.stringify(s);
  const replace = (id: string, fields: Readonly<Record<string, string>>): string =>
    `mutate { id => ${q(id)} replace => { ${Object.entries(fields).map(([n, v]) => `${q(`[${STATIC_FIELDS_OBJECT}][${n}]`)} => ${q(v)}`).join(' ')} } }`;
  const out: string[] = [];
  if (Object.keys(sf.fields).length > 0) out.push(replace('mlobs_static_fields', sf.fields));
  for (const [ns, fields] of Object.entries(sf.namespaces)) {
    if (Object.keys(fields).length > 0) out.push(`if [kubernetes][namespace] == ${q(ns)} {`, `  ${replace(`mlobs_static_fields_${ns}`, fields)}`, '}');
  }
  return out.length === 0 ? '' : [`# static fields (contracts/log-volume.ts) -> ${STATIC_FIELDS_OBJECT}.<name>`, ...out].join('\n');
}

/**
 * Logstash filter text: the redaction rules (contracts/redaction.ts) as gated `gsub`s on the line,
 * before the catalog reads it: the kept context is groups 1 and 2, the secret becomes its marker.
 */
export function renderRedactionFilter(rules: readonly RedactionRule[], field = 'message'): string {
  const q = (s: string): string => JSON.stringify(s);
  return [
    '# redaction (contracts/redaction.ts): secrets with a shape become <redacted:kind> before anything reads or stores the line',
    ...rules.map((r) => {
      // Config strings keep backslashes as written (config.support_escapes: false): Ruby's gsub reads \1 and \2.
      const gsub = `mutate { id => ${q(`mlobs_redact_${r.kind}`)} gsub => [${q(field)}, ${qre(gsubExpression(r))}, ${qre(`\\1${redactionMarker(r.kind)}\\2`)}] }`;
      return r.literals && r.literals.length > 0 ? [`if ${r.literals.map((l) => `${q(l)} in [${field}]`).join(' or ')} {`, `  ${gsub}`, '}'].join('\n') : gsub;
    }),
  ].join('\n');
}
