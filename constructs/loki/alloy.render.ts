/**
 * Alloy (River) configuration of the collector DaemonSet, and the chart values that run it.
 * Pure: no cdktf import.
 *
 * Flow: pod logs (hostPath /var/log/pods, read-only) and the node's kernel log (journald
 * `_TRANSPORT=kernel`, for NVIDIA Xid lines) → `loki.process "ml"`: CRI decode, the catalog's
 * multiline and stages unchanged, structured metadata, log-derived metrics, label allowlist →
 * `loki.write` (TLS, tenant header).
 */
import { compileAlloyMultiline, compileAlloyStages } from '../mllogs';
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
import type { LokiEndpoint } from './endpoint';
import { JOB_LABEL, jobRelabeling } from '../contracts/jobs';
import { ERROR_LEVELS, THROUGHPUT_UNIT_LABEL, TRAIN_METRICS } from '../contracts/log-metrics';
import { checkJsonFields, DEFAULT_JSON_FIELDS, type JsonFieldType } from '../contracts/json-fields';
import { alloyBlocks, gateSelector, prefilterGate, type LokiStage } from '../mllogs/compile-loki';
import { checkLogFiles, DEFAULT_LOG_FILES, doublestarPath, FILES_ANNOTATION_META_LABEL, kubeletPodsDir, LOG_FILES_CONTAINER_ANNOTATION, type LogFilesSettings } from '../contracts/log-files';
import { redactionMarker, redactionRules, replaceExpression, type RedactionPattern, type RedactionRule } from '../contracts/redaction';
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

/** Where the Alloy pod mounts the Secret whose `ca.crt` verifies the Loki gateway. */
export const ALLOY_LOKI_CA_DIR = '/etc/alloy/loki-ca';
/** Alloy's HTTP port (its own metrics, including the log-derived ones). */
export const ALLOY_HTTP_PORT_NAME = 'http-metrics';
/** The ConfigMap (created by the construct, not by the chart: the chart passes inline content through `tpl`, which would execute the catalog's Go templates) and its key. */
export const ALLOY_CONFIG_MAP = { name: 'alloy-config', key: 'config.alloy' } as const;
/** Host directory of the journal (read-only hostPath through the chart's `varlog` mount). */
export const JOURNAL_PATH = '/var/log/journal';

/** Extracted-map key of the step time the histogram observes (seconds, or 1 / it/s). */
export const STEP_SECONDS_KEY = 'mlobs_step_seconds';

/** Go template of {@link STEP_SECONDS_KEY}: `step_time_s`, else `1 / throughput` for it/s (the contract's rule). */
export const STEP_SECONDS_TEMPLATE = '{{ if .step_time_s }}{{ .step_time_s }}{{ else if and .throughput (eq .throughput_unit "it/s") }}{{ divf 1 .throughput }}{{ end }}';

export interface AlloyConfigProps {
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

const str = (s: string): string => JSON.stringify(s);
const indent = (text: string, n: number): string =>
  text
    .split('\n')
    .map((l) => (l.length > 0 ? ' '.repeat(n) + l : l))
    .join('\n');

/**
 * The redaction rules as stages: one `stage.replace` per rule, replacing the secret (the
 * expression's only group) by its marker, gated on the rule's literals (ids `r<i>`).
 */
export function redactionGates(rules: readonly RedactionRule[]): LokiStage[] {
  return rules.flatMap((r, i) => prefilterGate(`r${i}`, r.literals ? [r.literals] : [], [{ kind: 'replace', expression: replaceExpression(r), replace: redactionMarker(r.kind) }]));
}

/** Redaction before anything else reads or stores the line (contracts/redaction.ts). */
function redactionStages(rules: readonly RedactionRule[]): string {
  return [
    '  // redaction (contracts/redaction.ts): secrets with a shape become <redacted:kind> before the line is parsed or stored',
    ...alloyBlocks(redactionGates(rules)).map((l) => `  ${l}`),
  ].join('\n');
}

/**
 * Log files inside pods that opt in (contracts/log-files.ts): one target per pod, the container
 * its annotation names (keepequal), the pod's labels, and the doublestar path of its emptyDir
 * volume on the node; the lines join the catalog pipeline without the CRI stage.
 */
function alloyFilesBlock(files: LogFilesSettings, podLabelRules: string): string {
  return `
// ---- Log files inside pods: the emptyDir volume ${str(files.volume)} (mounted at ${files.mountPath}) of pods annotated
// ${LOG_FILES_CONTAINER_ANNOTATION}=<container>, through the read-only hostPath ${kubeletPodsDir(files)}
discovery.relabel "pod_files" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = [${str(FILES_ANNOTATION_META_LABEL)}]
    target_label  = "__tmp_mlobs_files_container"
  }
  rule {
    action        = "keepequal"
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "__tmp_mlobs_files_container"
  }${podLabelRules}
  rule {
    source_labels = ["__meta_kubernetes_pod_uid"]
    target_label  = "__path__"
    replacement   = ${str(doublestarPath(files, '$1'))}
  }
}

local.file_match "pod_files" {
  path_targets = discovery.relabel.pod_files.output
}

loki.source.file "pod_files" {
  targets    = local.file_match.pod_files.targets
  forward_to = [loki.process.ml.receiver]
}
`;
}

/** A counter of the contract: one increment per line that reaches its stage.metrics. */
function counter(metric: string, help: string): string {
  const n = agentMetricName(metric);
  return [
    '      metric.counter {',
    `        name              = ${str(n.name)}`,
    `        prefix            = ${str(n.prefix)}`,
    `        description       = ${str(help)}`,
    '        match_all         = true',
    '        action            = "inc"',
    '        max_idle_duration = "24h"',
    '      }',
  ].join('\n');
}

/** One gauge of the training contract, set from an extracted field. */
function gauge(metric: string, field: string, help: string): string {
  const n = agentMetricName(metric);
  return [
    '      metric.gauge {',
    `        name              = ${str(n.name)}`,
    `        prefix            = ${str(n.prefix)}`,
    `        description       = ${str(help)}`,
    `        source            = ${str(field)}`,
    '        action            = "set"',
    '        max_idle_duration = "24h"',
    '      }',
  ].join('\n');
}

/** The full River configuration. */
export function renderAlloyConfig(p: AlloyConfigProps): string {
  const catalogLabels = checkCatalogLabels(p.catalogLabels ?? CATALOG_LABELS, 'alloy');
  const nodeRule = CONTRACT_HAS_NODE_LABEL
    ? `
  rule {
    source_labels = ["__meta_kubernetes_pod_node_name"]
    target_label  = "node"
  }`
    : '';
  const job = jobRelabeling(p.jobLabels);
  const jobRule = `
  rule {
    source_labels = [${job.sourceLabels.map(str).join(', ')}]
    separator     = ${str(job.separator)}
    regex         = ${str(job.regex)}
    target_label  = ${str(JOB_LABEL)}
  }`;
  const team = Object.keys(checkJsonFields(p.jsonFields ?? DEFAULT_JSON_FIELDS, 'alloy: jsonFields'));
  const sm = [...STRUCTURED_METADATA_FIELDS, ...team].map((f) => `    ${f} = "",`).join('\n');
  const teamStage =
    team.length === 0
      ? ''
      : `
  // team JSON fields (contracts/json-fields.ts): top-level keys of JSON lines, structured metadata below
  stage.match {
    selector = ${str(gateSelector('{'))}
    stage.json {
      expressions = {
${team.map((n) => `        ${n} = ${str(n)},`).join('\n')}
      }
    }
  }`;
  const podLabelRules = `
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }${nodeRule}
  rule {
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name", "__meta_kubernetes_pod_label_app"]
    separator     = ";"
    regex         = "^;*([^;]+).*$"
    target_label  = "app"
  }${jobRule}`;
  const files = checkLogFiles(p.files ?? DEFAULT_LOG_FILES, 'alloy: files');
  const filesBlock = files.enabled ? alloyFilesBlock(files, podLabelRules) : '';
  const tlsBlock = p.loki.tls ? `\n    tls_config {\n      ca_file = ${str(`${ALLOY_LOKI_CA_DIR}/ca.crt`)}\n    }` : '';
  const tenant = p.loki.tenant ? `\n    tenant_id = ${str(p.loki.tenant)}` : '';
  return `// Generated by mlobs (constructs/loki/alloy.render.ts). Do not edit.
logging {
  level  = "info"
  format = "logfmt"
}

// ---- Kubernetes pod logs on this node (hostPath /var/log/pods, read-only)
discovery.kubernetes "pods" {
  role = "pod"
  selectors {
    role  = "pod"
    field = "spec.nodeName=" + sys.env("NODE_NAME")
  }
}

discovery.relabel "pods" {
  targets = discovery.kubernetes.pods.targets${podLabelRules}
  rule {
    source_labels = ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"]
    separator     = "/"
    target_label  = "__path__"
    replacement   = "/var/log/pods/*$1/*.log"
  }
}

local.file_match "pods" {
  path_targets = discovery.relabel.pods.output
}

loki.source.file "pods" {
  targets    = local.file_match.pods.targets
  forward_to = [loki.process.cri.receiver]
}

loki.process "cri" {
  stage.cri { }
  forward_to = [loki.process.ml.receiver]
}
${filesBlock}
// ---- The node's kernel log (journald, read-only hostPath): NVIDIA Xid and OOM-killer lines
loki.source.journal "kernel" {
  path          = ${str(JOURNAL_PATH)}
  matches       = "_TRANSPORT=kernel"
  max_age       = "12h"
  labels        = { app = "kernel" }
  relabel_rules = loki.relabel.kernel.rules
  forward_to    = [loki.process.ml.receiver]
}

loki.relabel "kernel" {
  rule {
    source_labels = ["__journal__hostname"]
    target_label  = "node"
  }
  forward_to = []
}

// ---- ML catalog (constructs/mllogs), unchanged
loki.process "ml" {
${indent(compileAlloyMultiline().trimEnd(), 2)}
${redactionStages(redactionRules(p.redaction, 'alloy: redaction'))}
${indent(compileAlloyStages(undefined, { labels: catalogLabels }).trimEnd(), 2)}${teamStage}
  // high-cardinality fields: structured metadata, never labels
  stage.structured_metadata {
    values = {
${indent(sm, 2)}
    }
  }
  // label allowlist: every other label (filename, ...) is dropped here, before the metrics,
  // so the log-derived series carry only bounded labels
  stage.label_keep {
    values = [${LOKI_LABEL_ALLOWLIST.map(str).join(', ')}]
  }
  // log-derived metrics (contract: constructs/training/log-metrics-contract.ts); published
  // as prefix + name (an empty prefix would mean loki_process_custom_)
  stage.match {
    selector = "{event=~\\".+\\"}"
    stage.metrics {
${counter(LOG_METRICS.eventsTotal, 'ML log events recognised by the mlobs catalog')}
    }
  }
  stage.match {
    selector = ${str(`{event="${TRAIN_PROGRESS_EVENT}"}`)}
    stage.template {
      source   = ${str(STEP_SECONDS_KEY)}
      template = ${str(STEP_SECONDS_TEMPLATE)}
    }
    stage.metrics {
      metric.histogram {
        name              = ${str(agentMetricName(LOG_METRICS.trainStepSeconds).name)}
        prefix            = ${str(agentMetricName(LOG_METRICS.trainStepSeconds).prefix)}
        description       = "Training step time from the logs, in seconds"
        source            = ${str(STEP_SECONDS_KEY)}
        buckets           = [${TRAIN_STEP_BUCKETS.join(', ')}]
        max_idle_duration = "24h"
      }
    }
    // training gauges: the last value of each signal a progress line carries (absent fields are skipped)
    stage.metrics {
${TRAIN_GAUGES.filter((g) => g.metric !== TRAIN_METRICS.throughput)
  .map((g) => gauge(g.metric, g.field, g.help))
  .join('\n')}
    }
    // throughput, labelled with its unit for the metric only (dropped again before the push)
    stage.labels {
      values = { ${THROUGHPUT_UNIT_LABEL} = "throughput_unit" }
    }
    stage.metrics {
${gauge(TRAIN_METRICS.throughput, 'throughput', TRAIN_GAUGES.find((g) => g.metric === TRAIN_METRICS.throughput)?.help ?? '')}
    }
    stage.label_drop {
      values = [${str(THROUGHPUT_UNIT_LABEL)}]
    }
  }
  stage.match {
    selector = ${str(`{level=~"${ERROR_LEVELS.join('|')}"}`)}
    stage.metrics {
${counter(LOG_METRICS.errorLines, 'Log lines at an error level (mlobs catalog)')}
    }
  }
  forward_to = [loki.process.volume.receiver]
}

${volumeComponent(p.volume ?? DEFAULT_LOG_VOLUME, p.staticFields ?? NO_STATIC_FIELDS, Object.keys(p.jsonFields ?? DEFAULT_JSON_FIELDS))}
loki.write "default" {
  endpoint {
    url = ${str(p.loki.pushUrl)}${tenant}${tlsBlock}
  }
  external_labels = { cluster = ${str(p.common.clusterName)} }
}
`;
}

/** `{ a = "x", b = "y" }` lines of a River map, indented by `n`. */
function riverMap(entries: readonly (readonly [string, string])[], n: number): string {
  return entries.map(([k, v]) => `${' '.repeat(n)}${k} = ${str(v)},`).join('\n');
}

/**
 * `loki.process "volume"`: what is stored, after the log-derived metrics of `loki.process "ml"`
 * saw every line (contracts/log-volume.ts). Static fields become structured metadata (a template
 * writes the constant into the extracted map; never a label), then: levels dropped by a
 * `stage.match` drop action (reason `mlobs_level_<level>`), progress-bar redraws sampled by a
 * `stage.limit` at one line per interval per stream (burst 1: the first redraw after the interval
 * is kept, so the stored bar is at most one interval behind; the final 100% line is outside the
 * gate), and a `stage.limit` per stream. stage.limit counts its drops as `ratelimit_drop_stage`
 * and by label name (`loki_process_dropped_lines_by_label_total{label_name}`), which tells the two
 * limits apart. Their bucket labels are dropped before the push. The extracted map starts with the
 * entry's labels (Alloy's pipeline.go), which the stream key template reads.
 */
function volumeComponent(v: LogVolumeSettings, sf: StaticFields, jsonFields: readonly string[]): string {
  checkLogVolume(v, 'alloy: volume');
  checkStaticFields(sf, 'alloy: staticFields', jsonFields);
  const names = staticFieldNames(sf);
  const constant = (name: string, value: string, n: number): string =>
    [`stage.template {`, `  source   = ${str(name)}`, `  template = ${str(value)}`, '}'].map((l) => ' '.repeat(n) + l).join('\n');
  const fields: string[] = [];
  if (names.length > 0) {
    fields.push('  // static fields (contracts/log-volume.ts): structured metadata on every line, never labels');
    for (const [n, val] of Object.entries(sf.fields)) fields.push(constant(n, val, 2));
    for (const [ns, set] of Object.entries(sf.namespaces)) {
      fields.push('  stage.match {', `    selector = ${str(`{namespace=${JSON.stringify(ns)}}`)}`, ...Object.entries(set).map(([n, val]) => constant(n, val, 4)), '  }');
    }
    fields.push('  stage.structured_metadata {', '    values = {', riverMap(names.map((n) => [n, ''] as const), 6), '    }', '  }');
  }
  const levels = v.dropLevels.map((l) =>
    ['  stage.match {', `    selector            = ${str(`{level=${JSON.stringify(l)}}`)}`, '    action              = "drop"', `    drop_counter_reason = ${str(DROP_REASONS.level(l))}`, '  }'].join('\n'),
  );
  const limit = (label: string, rate: number, burst: number): string[] => [
    '    stage.template {',
    `      source   = ${str(label)}`,
    `      template = ${str(STREAM_KEY_TEMPLATE)}`,
    '    }',
    '    stage.labels {',
    `      values = { ${label} = "" }`,
    '    }',
    '    stage.limit {',
    `      rate          = ${rate}`,
    `      burst         = ${burst}`,
    `      by_label_name = ${str(label)}`,
    '      drop          = true',
    '    }',
  ];
  const redraw = `{event="${TRAIN_PROGRESS_EVENT}", pod=~".+"} |~ ${JSON.stringify(PROGRESS_REDRAW_PATTERN)} !~ ${JSON.stringify(PROGRESS_FINAL_PATTERN)}`;
  return `// ---- Volume control (contracts/log-volume.ts): what is stored; the metrics above saw every line
loki.process "volume" {
${[
  ...fields,
  ...(levels.length > 0 ? [`  // levels not stored: ${v.dropLevels.join(', ')}`, ...levels] : []),
  `  // progress-bar redraws: at most one per stream every ${v.progressInterval}; the final 100% line is always kept`,
  '  stage.match {',
  `    selector = ${str(redraw)}`,
  ...limit(LIMIT_LABELS.progress, progressRate(v), 1),
  '  }',
  `  // per-stream limit: ${v.perStream.linesPerSecond} lines/s, burst ${v.perStream.burstLines}, per namespace/pod/container (the kernel log is not limited)`,
  '  stage.match {',
  `    selector = ${str('{pod=~".+"}')}`,
  ...limit(LIMIT_LABELS.stream, v.perStream.linesPerSecond, v.perStream.burstLines),
  '  }',
  '  stage.label_drop {',
  `    values = [${[LIMIT_LABELS.progress, LIMIT_LABELS.stream].map(str).join(', ')}]`,
  '  }',
].join('\n')}
  forward_to = [loki.write.default.receiver]
}
`;
}

/** Values of the pinned Alloy chart: a DaemonSet running {@link renderAlloyConfig}. */
export function renderAlloyValues(p: AlloyConfigProps): HelmValues {
  const ca = p.loki.tls && p.loki.caSecretName ? p.loki.caSecretName : undefined;
  const files = checkLogFiles(p.files ?? DEFAULT_LOG_FILES, 'alloy: files');
  return {
    // The runtime's default seccomp profile for the whole pod (the config reloader sets its own).
    global: { podSecurityContext: { seccompProfile: { type: 'RuntimeDefault' } } },
    alloy: {
      configMap: { create: false, name: ALLOY_CONFIG_MAP.name, key: ALLOY_CONFIG_MAP.key },
      // Explicit, read-only host access: /var/log (pod logs and the journal).
      mounts: {
        varlog: true,
        dockercontainers: false,
        extra: [
          ...(ca ? [{ name: 'loki-ca', mountPath: ALLOY_LOKI_CA_DIR, readOnly: true }] : []),
          // log files inside pods: the kubelet's pod directory, read-only; HostToContainer so an emptyDir on tmpfs is seen
          ...(files.enabled ? [{ name: 'kubelet-pods', mountPath: kubeletPodsDir(files), readOnly: true, mountPropagation: 'HostToContainer' }] : []),
        ],
      },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      // Root to read the node's 0640 log files, without any capability or escalation.
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      extraEnv: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
    },
    controller: {
      type: 'daemonset',
      tolerations: [{ operator: 'Exists' }],
      volumes: {
        extra: [
          ...(ca ? [{ name: 'loki-ca', secret: { secretName: ca, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] : []),
          ...(files.enabled ? [{ name: 'kubelet-pods', hostPath: { path: kubeletPodsDir(files), type: 'Directory' } }] : []),
        ],
      },
    },
    // The chart's config reloader sets a request only; a limit too, as every container.
    configReloader: { resources: { requests: { cpu: '10m', memory: '50Mi' }, limits: { memory: '128Mi' } } },
    serviceMonitor: { enabled: false },
  };
}
