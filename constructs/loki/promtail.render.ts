/**
 * Promtail configuration and chart values: the same pipeline as Alloy (pod logs and the node's
 * kernel journal → CRI decode, the catalog's multiline and stages, structured metadata, label
 * allowlist, log-derived metrics → Loki with TLS and the tenant header), from the same catalog.
 * Pure: no cdktf import.
 *
 * DEPRECATED UPSTREAM: Promtail reaches end of life on 2026-03-02 (Grafana moved its features
 * to Alloy). It is kept for clusters that already run it; new environments should keep the
 * default `logs.collector: alloy`.
 * @see https://grafana.com/docs/loki/latest/send-data/promtail/
 */
import { stringify } from 'yaml';
import { compilePromtailMultiline, compilePromtailStages } from '../mllogs';
import type { CommonConfig } from '../core/common';
import type { HelmValues } from '../core/values';
import {
  CATALOG_LABELS,
  CONTRACT_HAS_NODE_LABEL,
  LOG_METRICS,
  LOKI_LABEL_ALLOWLIST,
  STRUCTURED_METADATA_FIELDS,
  TRAIN_PROGRESS_EVENT,
  TRAIN_STEP_BUCKETS,
  TRAIN_GAUGES,
  agentMetricName,
  checkCatalogLabels,
} from './labels';
import { JOURNAL_PATH, redactionGates, STEP_SECONDS_KEY, STEP_SECONDS_TEMPLATE } from './alloy.render';
import type { LokiEndpoint } from './endpoint';
import { JOB_LABEL, jobRelabeling } from '../contracts/jobs';
import { ERROR_LEVELS, THROUGHPUT_UNIT_LABEL, TRAIN_METRICS } from '../contracts/log-metrics';
import { checkJsonFields, DEFAULT_JSON_FIELDS, type JsonFieldType } from '../contracts/json-fields';
import { gateSelector, promtailStages } from '../mllogs/compile-loki';
import { checkLogFiles, DEFAULT_LOG_FILES, doublestarPath, FILES_ANNOTATION_META_LABEL, kubeletPodsDir, type LogFilesSettings } from '../contracts/log-files';
import { redactionRules, type RedactionPattern } from '../contracts/redaction';
import {
  checkLogVolume,
  checkStaticFields,
  DEFAULT_LOG_VOLUME,
  DROP_REASONS,
  LIMIT_LABELS,
  NO_STATIC_FIELDS,
  PROGRESS_FINAL_PATTERN,
  PROGRESS_REDRAW_PATTERN,
  progressRate,
  STREAM_KEY_TEMPLATE,
  staticFieldNames,
  type LogVolumeSettings,
  type StaticFields,
} from '../contracts/log-volume';

/** Where the Promtail pod mounts the Secret whose `ca.crt` verifies the Loki gateway. */
export const PROMTAIL_LOKI_CA_DIR = '/etc/promtail-loki-ca';
/** Promtail's HTTP port and its name in the chart (its own metrics and the log-derived ones). */
export const PROMTAIL_HTTP_PORT = { number: 3101, name: 'http-metrics' } as const;
/** Key of the generated config in the chart's ConfigMap. */
export const PROMTAIL_CONFIG_KEY = 'promtail.yaml';

export interface PromtailConfigProps {
  readonly common: CommonConfig;
  readonly loki: LokiEndpoint;
  /**
   * Catalog fields promoted to stream labels; each must be in LOKI_LABEL_ALLOWLIST (a
   * high-cardinality field such as `step` or `loss` throws).
   * @default CATALOG_LABELS (framework, level, event)
   */
  readonly catalogLabels?: readonly string[];
  /** Pod label keys that name a pod's training job (the `job` label), tried in order. @default DEFAULT_JOB_LABEL_KEYS */
  readonly jobLabels?: readonly string[];
  /** Team JSON fields kept as structured metadata (contracts/json-fields.ts). @default DEFAULT_JSON_FIELDS */
  readonly jsonFields?: Readonly<Record<string, JsonFieldType>>;
  /** Redaction patterns added to the built-in rules (contracts/redaction.ts). @default - the built-in rules only */
  readonly redaction?: readonly RedactionPattern[];
  /** Log files inside pods (contracts/log-files.ts). @default DEFAULT_LOG_FILES (off) */
  readonly files?: LogFilesSettings;
  /** Volume control of what is stored (contracts/log-volume.ts). @default DEFAULT_LOG_VOLUME */
  readonly volume?: LogVolumeSettings;
  /** Static fields added as structured metadata (contracts/log-volume.ts). @default - none */
  readonly staticFields?: StaticFields;
}

type Stage = Readonly<Record<string, unknown>>;

/** The ML stages every job runs after its source-specific decoding. */
function mlStages(catalogLabels: readonly string[], jsonFields: Readonly<Record<string, JsonFieldType>>, redaction: readonly RedactionPattern[]): Stage[] {
  const labels = checkCatalogLabels(catalogLabels, 'promtail');
  const team = Object.keys(checkJsonFields(jsonFields, 'promtail: jsonFields'));
  const events = agentMetricName(LOG_METRICS.eventsTotal);
  const steps = agentMetricName(LOG_METRICS.trainStepSeconds);
  return [
    ...compilePromtailMultiline(),
    // redaction (contracts/redaction.ts): secrets with a shape become <redacted:kind> before the line is parsed or stored
    ...(promtailStages(redactionGates(redactionRules(redaction, 'promtail: redaction'))) as Stage[]),
    ...compilePromtailStages(undefined, { labels }),
    // team JSON fields (contracts/json-fields.ts): top-level keys of JSON lines, structured metadata below
    ...(team.length > 0 ? [{ match: { selector: gateSelector('{'), stages: [{ json: { expressions: Object.fromEntries(team.map((n) => [n, n])) } }] } }] : []),
    // high-cardinality fields: structured metadata, never labels
    { structured_metadata: Object.fromEntries([...STRUCTURED_METADATA_FIELDS, ...team].map((f) => [f, ''])) },
    // label allowlist before the metrics, so the log-derived series carry only bounded labels
    { labelallow: [...LOKI_LABEL_ALLOWLIST] },
    {
      match: {
        selector: '{event=~".+"}',
        stages: [
          {
            metrics: {
              [events.name]: {
                type: 'Counter',
                description: 'ML log events recognised by the mlobs catalog',
                prefix: events.prefix,
                max_idle_duration: '24h',
                config: { match_all: true, action: 'inc' },
              },
            },
          },
        ],
      },
    },
    {
      match: {
        selector: `{event="${TRAIN_PROGRESS_EVENT}"}`,
        stages: [
          { template: { source: STEP_SECONDS_KEY, template: STEP_SECONDS_TEMPLATE } },
          {
            metrics: {
              [steps.name]: {
                type: 'Histogram',
                description: 'Training step time from the logs, in seconds',
                source: STEP_SECONDS_KEY,
                prefix: steps.prefix,
                max_idle_duration: '24h',
                config: { buckets: [...TRAIN_STEP_BUCKETS] },
              },
            },
          },
          // training gauges: the last value of each signal a progress line carries
          {
            metrics: Object.fromEntries(
              TRAIN_GAUGES.filter((g) => g.metric !== TRAIN_METRICS.throughput).map((g) => [
                agentMetricName(g.metric).name,
                { type: 'Gauge', description: g.help, source: g.field, prefix: agentMetricName(g.metric).prefix, max_idle_duration: '24h', config: { action: 'set' } },
              ]),
            ),
          },
          // throughput, labelled with its unit for the metric only (dropped again before the push)
          { labels: { [THROUGHPUT_UNIT_LABEL]: 'throughput_unit' } },
          {
            metrics: {
              [agentMetricName(TRAIN_METRICS.throughput).name]: {
                type: 'Gauge',
                description: TRAIN_GAUGES.find((g) => g.metric === TRAIN_METRICS.throughput)?.help ?? '',
                source: 'throughput',
                prefix: agentMetricName(TRAIN_METRICS.throughput).prefix,
                max_idle_duration: '24h',
                config: { action: 'set' },
              },
            },
          },
          { labeldrop: [THROUGHPUT_UNIT_LABEL] },
        ],
      },
    },
    {
      match: {
        selector: `{level=~"${ERROR_LEVELS.join('|')}"}`,
        stages: [
          {
            metrics: {
              [agentMetricName(LOG_METRICS.errorLines).name]: {
                type: 'Counter',
                description: 'Log lines at an error level (mlobs catalog)',
                prefix: agentMetricName(LOG_METRICS.errorLines).prefix,
                max_idle_duration: '24h',
                config: { match_all: true, action: 'inc' },
              },
            },
          },
        ],
      },
    },
  ];
}

/**
 * The volume stages (contracts/log-volume.ts), after the log-derived metrics saw every line: the
 * same as Alloy's `loki.process "volume"` (alloy.render.ts), in Promtail's stage vocabulary.
 * Drops count in `logentry_dropped_lines_total{reason}` and, for the limits,
 * `logentry_dropped_lines_by_label_total{label_name}`.
 */
export function volumeStages(v: LogVolumeSettings, sf: StaticFields, jsonFields: readonly string[]): Stage[] {
  checkLogVolume(v, 'promtail: volume');
  checkStaticFields(sf, 'promtail: staticFields', jsonFields);
  const names = staticFieldNames(sf);
  const constant = (n: string, value: string): Stage => ({ template: { source: n, template: value } });
  const limit = (label: string, rate: number, burst: number): Stage[] => [
    { template: { source: label, template: STREAM_KEY_TEMPLATE } },
    { labels: { [label]: '' } },
    { limit: { rate, burst, by_label_name: label, drop: true } },
  ];
  return [
    // static fields: structured metadata on every line, never labels
    ...Object.entries(sf.fields).map(([n, val]) => constant(n, val)),
    ...Object.entries(sf.namespaces).map(([ns, set]): Stage => ({ match: { selector: `{namespace=${JSON.stringify(ns)}}`, stages: Object.entries(set).map(([n, val]) => constant(n, val)) } })),
    ...(names.length > 0 ? [{ structured_metadata: Object.fromEntries(names.map((n) => [n, ''])) }] : []),
    // levels not stored
    ...v.dropLevels.map((l): Stage => ({ match: { selector: `{level=${JSON.stringify(l)}}`, action: 'drop', drop_counter_reason: DROP_REASONS.level(l) } })),
    // progress-bar redraws: at most one per stream per interval; the final 100% line is always kept
    {
      match: {
        selector: `{event="${TRAIN_PROGRESS_EVENT}", pod=~".+"} |~ ${JSON.stringify(PROGRESS_REDRAW_PATTERN)} !~ ${JSON.stringify(PROGRESS_FINAL_PATTERN)}`,
        stages: limit(LIMIT_LABELS.progress, progressRate(v), 1),
      },
    },
    // per-stream limit (namespace/pod/container; the kernel journal is not limited)
    { match: { selector: '{pod=~".+"}', stages: limit(LIMIT_LABELS.stream, v.perStream.linesPerSecond, v.perStream.burstLines) } },
    { labeldrop: [LIMIT_LABELS.progress, LIMIT_LABELS.stream] },
  ];
}

/** The full promtail.yaml, as an object. */
export function promtailConfig(p: PromtailConfigProps): Record<string, unknown> {
  const ml = [
    ...mlStages(p.catalogLabels ?? CATALOG_LABELS, p.jsonFields ?? DEFAULT_JSON_FIELDS, p.redaction ?? []),
    ...volumeStages(p.volume ?? DEFAULT_LOG_VOLUME, p.staticFields ?? NO_STATIC_FIELDS, Object.keys(p.jsonFields ?? DEFAULT_JSON_FIELDS)),
  ];
  const rule = (source: string, target: string): Stage => ({ source_labels: [source], target_label: target });
  const files = checkLogFiles(p.files ?? DEFAULT_LOG_FILES, 'promtail: files');
  const podRules: Stage[] = [
    // Promtail reads only targets whose __host__ is its own node (HOSTNAME = spec.nodeName)
    rule('__meta_kubernetes_pod_node_name', '__host__'),
    rule('__meta_kubernetes_namespace', 'namespace'),
    rule('__meta_kubernetes_pod_name', 'pod'),
    rule('__meta_kubernetes_pod_container_name', 'container'),
    ...(CONTRACT_HAS_NODE_LABEL ? [rule('__meta_kubernetes_pod_node_name', 'node')] : []),
    {
      source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name', '__meta_kubernetes_pod_label_app'],
      separator: ';',
      regex: '^;*([^;]+).*$',
      target_label: 'app',
    },
    (() => {
      const j = jobRelabeling(p.jobLabels);
      return { source_labels: [...j.sourceLabels], separator: j.separator, regex: j.regex, target_label: JOB_LABEL };
    })(),
  ];
  return {
    server: { log_level: 'info', log_format: 'logfmt', http_listen_port: PROMTAIL_HTTP_PORT.number },
    clients: [
      {
        url: p.loki.pushUrl,
        ...(p.loki.tenant ? { tenant_id: p.loki.tenant } : {}),
        ...(p.loki.tls ? { tls_config: { ca_file: `${PROMTAIL_LOKI_CA_DIR}/ca.crt` } } : {}),
        external_labels: { cluster: p.common.clusterName },
      },
    ],
    positions: { filename: '/run/promtail/positions.yaml' },
    scrape_configs: [
      {
        // Kubernetes pod logs of this node (hostPath /var/log/pods, read-only)
        job_name: 'kubernetes-pods',
        kubernetes_sd_configs: [{ role: 'pod' }],
        relabel_configs: [
          ...podRules,
          {
            source_labels: ['__meta_kubernetes_pod_uid', '__meta_kubernetes_pod_container_name'],
            separator: '/',
            target_label: '__path__',
            replacement: '/var/log/pods/*$1/*.log',
          },
        ],
        pipeline_stages: [{ cri: {} }, ...ml],
      },
      ...(files.enabled
        ? [
            {
              // Log files inside pods that opt in (contracts/log-files.ts): the emptyDir volume of the
              // container the annotation names, through the read-only hostPath of the kubelet's pods
              job_name: 'pod-files',
              kubernetes_sd_configs: [{ role: 'pod' }],
              relabel_configs: [
                rule(FILES_ANNOTATION_META_LABEL, '__tmp_mlobs_files_container'),
                { action: 'keepequal', source_labels: ['__meta_kubernetes_pod_container_name'], target_label: '__tmp_mlobs_files_container' },
                ...podRules,
                { source_labels: ['__meta_kubernetes_pod_uid'], target_label: '__path__', replacement: doublestarPath(files, '$1') },
              ],
              pipeline_stages: ml,
            },
          ]
        : []),
      {
        // The node's kernel log (journald, read-only hostPath): NVIDIA Xid and OOM-killer lines
        job_name: 'kernel',
        journal: { path: JOURNAL_PATH, matches: '_TRANSPORT=kernel', max_age: '12h', labels: { app: 'kernel' } },
        relabel_configs: [rule('__journal__hostname', 'node')],
        pipeline_stages: ml,
      },
    ],
  };
}

/** promtail.yaml as text (what Promtail reads). */
export function renderPromtailConfig(p: PromtailConfigProps): string {
  return '# Generated by mlobs (constructs/loki/promtail.render.ts). Do not edit.\n' + stringify(promtailConfig(p), { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * The chart passes `config.file` through Helm's `tpl`, which would execute the catalog's Go
 * templates (`{{ if .level }}`): each `{{` is written as the template action `{{ "{{" }}`, so
 * `tpl` prints the config back unchanged (tested against the rendered ConfigMap).
 */
export function escapeForHelmTpl(text: string): string {
  return text.replace(/\{\{/g, '{{ "{{" }}');
}

/** Values of the pinned Promtail chart: a DaemonSet running {@link renderPromtailConfig}. */
export function renderPromtailValues(p: PromtailConfigProps): HelmValues {
  const ca = p.loki.tls && p.loki.caSecretName ? p.loki.caSecretName : undefined;
  const files = checkLogFiles(p.files ?? DEFAULT_LOG_FILES, 'promtail: files');
  return {
    configmap: { enabled: true },
    config: { enabled: true, serverPort: PROMTAIL_HTTP_PORT.number, file: escapeForHelmTpl(renderPromtailConfig(p)) },
    // Explicit, read-only host access: pod logs and the journal; positions on a writable hostPath.
    defaultVolumes: [
      { name: 'run', hostPath: { path: '/run/promtail' } },
      { name: 'pods', hostPath: { path: '/var/log/pods' } },
      { name: 'journal', hostPath: { path: JOURNAL_PATH } },
    ],
    defaultVolumeMounts: [
      { name: 'run', mountPath: '/run/promtail' },
      { name: 'pods', mountPath: '/var/log/pods', readOnly: true },
      { name: 'journal', mountPath: JOURNAL_PATH, readOnly: true },
    ],
    extraVolumes: [
      ...(ca ? [{ name: 'loki-ca', secret: { secretName: ca, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] : []),
      ...(files.enabled ? [{ name: 'kubelet-pods', hostPath: { path: kubeletPodsDir(files), type: 'Directory' } }] : []),
    ],
    extraVolumeMounts: [
      ...(ca ? [{ name: 'loki-ca', mountPath: PROMTAIL_LOKI_CA_DIR, readOnly: true }] : []),
      ...(files.enabled ? [{ name: 'kubelet-pods', mountPath: kubeletPodsDir(files), readOnly: true, mountPropagation: 'HostToContainer' }] : []),
    ],
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
    // Root to read the node's 0640 log files, without any capability or escalation.
    containerSecurityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    tolerations: [{ operator: 'Exists' }],
    serviceMonitor: { enabled: false },
  };
}
