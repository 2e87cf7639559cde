/**
 * The Filebeat DaemonSet (ECK `beat.k8s.elastic.co/v1beta1` Beat, type filebeat) and the RBAC
 * its Kubernetes metadata needs. Pure: no cdktf import.
 *
 * Inputs:
 * - container logs: `filestream` on `/var/log/containers/*.log` (symlinks into `/var/log/pods`),
 *   the `container` parser (CRI/docker envelope), then the catalog's traceback multiline
 *   (`compileFilebeatMultiline()`), and `add_kubernetes_metadata` (namespace, pod, container,
 *   node) for the metrics labels and Kibana;
 * - the node's kernel log, where NVIDIA Xid lines land: `filestream` on a file
 *   (`/var/log/kern.log`, rsyslog) or the `journald` input when the path is a journal directory
 *   (`/var/log/journal`, kernel transport only).
 * JSON lines (starting with `{`) are decoded by `decode_json_fields` into `json` (their keys
 * stay in `_source`; the index maps none of them); `message` keeps the raw line, which the
 * catalog filter in Logstash reads. Every event carries `[mlobs][node]` (the node name).
 *
 * Privileges (explicit and named): runs as root (uid 0: container log files are root-owned,
 * 0640) with every capability dropped except `DAC_READ_SEARCH` (a root-owned process without
 * it cannot read `adm`-group files like kern.log), no privilege escalation, read-only root
 * filesystem; the log hostPaths are mounted read-only. ECK adds one read-write hostPath,
 * `/var/lib/<namespace>/<name>/filebeat-data` (its `beat-data` volume), for Filebeat's registry
 * (read offsets survive a restart, so lines are neither lost nor sent twice); `dataHostPath`
 * gives that volume explicitly, so the path can stay where it was when the Beat changes namespace.
 */
import type { KubeManifest } from '../core/manifest';
import type { ResourceRequirements } from '../core/settings';
import type { FilebeatMultiline } from '../mllogs';
import { DEFAULT_LOG_VOLUME, type PerStreamLimit } from '../contracts/log-volume';
import { FILEBEAT_REPORT_PERIOD_SECONDS } from '../contracts/logstash-monitoring';
import { checkLogFiles, DEFAULT_LOG_FILES, FILEBEAT_KUBELET_PODS_DIR, kubeletPodsDir, LOG_FILES_CONTAINER_ANNOTATION, relativeGlobs, volumeDirOnNode, type LogFilesSettings } from '../contracts/log-files';

export const BEAT_API_VERSION = 'beat.k8s.elastic.co/v1beta1';
/** Where the Logstash CA (ca.crt of the beats certificate Secret) is mounted. */
export const LOGSTASH_CA_DIR = '/usr/share/filebeat/logstash-ca';

/**
 * A Beat's `output.logstash`: the host, and TLS verified against the CA mounted at `caDir` when
 * the Logstash hop has one (`ca.crt` of the trust Secret), else plain. Filebeat and the events
 * Metricbeat ship the same way.
 */
export function beatLogstashOutput(host: string, caDir: string | undefined): Record<string, unknown> {
  return {
    hosts: [host],
    ...(caDir !== undefined ? { 'ssl.enabled': true, 'ssl.verification_mode': 'full', 'ssl.certificate_authorities': [`${caDir}/ca.crt`] } : { 'ssl.enabled': false }),
  };
}
/** Container log directories on the node (read-only hostPaths). */
export const CONTAINER_LOG_DIRS = ['/var/log/containers', '/var/log/pods'] as const;
/** Extra capability Filebeat keeps (read files of other groups, such as kern.log's adm). */
export const FILEBEAT_CAPABILITIES = ['DAC_READ_SEARCH'] as const;

export interface FilebeatRenderProps {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly version: string;
  readonly resources: ResourceRequirements;
  /** The catalog's multiline settings for Python tracebacks. */
  readonly multiline: FilebeatMultiline;
  /** The node's kernel log: a file (filestream) or a journal directory ending in `/journal` (journald). */
  readonly kernelLogPath: string;
  /** Logstash beats endpoint, `host:port`. */
  readonly logstashHost: string;
  /** Secret whose `ca.crt` verifies Logstash. @default - plain TCP to Logstash */
  readonly logstashCaSecret?: string;
  /** Log files inside pods (contracts/log-files.ts). @default DEFAULT_LOG_FILES (off) */
  readonly files?: LogFilesSettings;
  /** The per-stream line limit (contracts/log-volume.ts `perStream`). @default DEFAULT_LOG_VOLUME.perStream */
  readonly perStream?: PerStreamLimit;
  /**
   * The node directory of Filebeat's registry (read offsets), as the `beat-data` hostPath ECK would
   * otherwise derive from the Beat's namespace (`/var/lib/<namespace>/<name>/filebeat-data`): kept
   * at the stack namespace's path so moving the Beat to the agents namespace neither re-sends nor
   * skips lines. @default - ECK's path for the Beat's own namespace
   */
  readonly dataHostPath?: string;
}

/** ECK's name for a Beat's data volume (cloud-on-k8s pkg/controller/beat/common: DataVolumeName); a podTemplate volume of that name replaces its default. */
export const BEAT_DATA_VOLUME = 'beat-data';
/** ECK's hostPath for a DaemonSet Beat's data (DataMountPathTemplate `/var/lib/%s/%s/%s-data`: namespace, name, type). */
export const eckBeatDataHostPath = (namespace: string, name: string, type: string): string => `/var/lib/${namespace}/${name}/${type}-data`;

/** The stream a line-rate limit counts: one container of one pod (as the Loki collectors' `by_label_name`). */
export const FILEBEAT_STREAM_FIELDS = ['kubernetes.pod.uid', 'kubernetes.container.name'] as const;

/**
 * Filebeat's `rate_limit` processor for one stream's lines (libbeat/processors/ratelimit, read in
 * elastic/beats: a token bucket per value of `fields`, `limit` tokens per second, depth
 * `limit x burst_multiplier`, a line without a token dropped): the same rate and burst as the
 * Loki collectors' `stage.limit`, so one runaway container cannot starve the node's shipper.
 */
export function filebeatRateLimit(p: PerStreamLimit): Record<string, unknown> {
  return {
    rate_limit: {
      limit: `${p.linesPerSecond}/s`,
      fields: [...FILEBEAT_STREAM_FIELDS],
      algorithm: { token_bucket: { burst_multiplier: p.burstLines / p.linesPerSecond } },
    },
  };
}

/** Whether a kernel log path is a systemd journal directory (read with the journald input). */
export function isJournalPath(path: string): boolean {
  return /\/journal\/?$/.test(path);
}

/** The annotation as add_kubernetes_metadata writes it (annotation keys de-dotted). */
export const FILES_ANNOTATION_FIELD = `kubernetes.annotations.${LOG_FILES_CONTAINER_ANNOTATION.replace(/\./g, '_')}`;

/**
 * Log files inside pods that opt in (contracts/log-files.ts): `filestream` on the emptyDir volume
 * of every pod on the node, pod metadata by the pod uid in the path (the `logs_path` matcher with
 * `resource_type: pod`, which Filebeat reads only below /var/lib/kubelet/pods/ and only for file
 * names holding `.log`), then events of pods without the annotation dropped, and the annotation's
 * container written as the container name.
 */
function filesInput(files: LogFilesSettings, multiline: FilebeatMultiline, perStream: PerStreamLimit): Record<string, unknown> {
  return {
    type: 'filestream',
    id: 'mlobs-pod-files',
    paths: relativeGlobs(files).map((g) => `${volumeDirOnNode(files, '*')}/${g}`),
    'prospector.scanner.recursive_glob.enabled': true,
    parsers: [{ multiline: { ...multiline } }],
    processors: [
      {
        add_kubernetes_metadata: {
          host: '${NODE_NAME}',
          default_indexers: { enabled: false },
          default_matchers: { enabled: false },
          indexers: [{ pod_uid: {} }],
          matchers: [{ logs_path: { logs_path: `${kubeletPodsDir(files)}/`, resource_type: 'pod' } }],
          include_annotations: [LOG_FILES_CONTAINER_ANNOTATION],
        },
      },
      { drop_event: { when: { not: { has_fields: [FILES_ANNOTATION_FIELD] } } } },
      { copy_fields: { fields: [{ from: FILES_ANNOTATION_FIELD, to: 'kubernetes.container.name' }], fail_on_error: false, ignore_missing: true } },
      filebeatRateLimit(perStream),
    ],
    fields_under_root: true,
    fields: { mlobs: { source: 'file' } },
  };
}

/** The Filebeat configuration (the Beat's `spec.config`). */
export function renderFilebeatConfig(p: FilebeatRenderProps): Record<string, unknown> {
  const journal = isJournalPath(p.kernelLogPath);
  const files = checkLogFiles(p.files ?? DEFAULT_LOG_FILES, 'filebeat: files');
  const kernelInput = journal
    ? { type: 'journald', id: 'mlobs-kernel', paths: [p.kernelLogPath], include_matches: { match: ['_TRANSPORT=kernel'] }, fields_under_root: true, fields: { mlobs: { source: 'kernel' } } }
    : { type: 'filestream', id: 'mlobs-kernel', paths: [p.kernelLogPath], fields_under_root: true, fields: { mlobs: { source: 'kernel' } } };
  return {
    'filebeat.inputs': [
      {
        type: 'filestream',
        id: 'mlobs-containers',
        paths: [`${CONTAINER_LOG_DIRS[0]}/*.log`],
        'prospector.scanner.symlinks': true,
        parsers: [{ container: { stream: 'all', format: 'auto' } }, { multiline: { ...p.multiline } }],
        processors: [{ add_kubernetes_metadata: { host: '${NODE_NAME}', matchers: [{ logs_path: { logs_path: `${CONTAINER_LOG_DIRS[0]}/` } }] } }, filebeatRateLimit(p.perStream ?? DEFAULT_LOG_VOLUME.perStream)],
        fields_under_root: true,
        fields: { mlobs: { source: 'container' } },
      },
      kernelInput,
      ...(files.enabled ? [filesInput(files, p.multiline, p.perStream ?? DEFAULT_LOG_VOLUME.perStream)] : []),
    ],
    processors: [
      { add_fields: { target: 'mlobs', fields: { node: '${NODE_NAME}' } } },
      // JSON lines: decoded beside the raw line, which the catalog filter in Logstash reads.
      { decode_json_fields: { when: { regexp: { message: '^\\{' } }, fields: ['message'], target: 'json', max_depth: 2, overwrite_keys: false, add_error_key: true } },
    ],
    // Its own counters every 30s as one JSON line on stderr ("Non-zero metrics in the last 30s",
    // libbeat monitoring/report/log), which it ships with the other container logs: Logstash counts
    // them (contracts/logstash-monitoring.ts). Explicit, whatever the image's defaults.
    'logging.json': true,
    'logging.metrics.enabled': true,
    'logging.metrics.period': `${FILEBEAT_REPORT_PERIOD_SECONDS}s`,
    'output.logstash': beatLogstashOutput(p.logstashHost, p.logstashCaSecret ? LOGSTASH_CA_DIR : undefined),
  };
}

export interface FilebeatObjects {
  readonly beat: KubeManifest;
  /** ServiceAccount, ClusterRole and ClusterRoleBinding for add_kubernetes_metadata (read-only). */
  readonly rbac: readonly KubeManifest[];
}

export function renderFilebeat(p: FilebeatRenderProps): FilebeatObjects {
  const sa = `${p.name}-filebeat`;
  const journal = isJournalPath(p.kernelLogPath);
  const files = checkLogFiles(p.files ?? DEFAULT_LOG_FILES, 'filebeat: files');
  if (files.enabled && kubeletPodsDir(files) !== FILEBEAT_KUBELET_PODS_DIR) {
    throw new Error(`filebeat: files.kubeletRootDir: Filebeat reads pod uids only below ${FILEBEAT_KUBELET_PODS_DIR}/ (its logs_path matcher); "${files.kubeletRootDir}" works with the Loki pipeline only`);
  }
  const hostPaths = [
    { name: 'varlogcontainers', path: CONTAINER_LOG_DIRS[0], type: 'Directory' },
    { name: 'varlogpods', path: CONTAINER_LOG_DIRS[1], type: 'Directory' },
    { name: 'kernel-log', path: p.kernelLogPath, type: journal ? 'Directory' : 'File' },
    ...(files.enabled ? [{ name: 'kubelet-pods', path: kubeletPodsDir(files), type: 'Directory' }] : []),
  ];
  const beat: KubeManifest = {
    apiVersion: BEAT_API_VERSION,
    kind: 'Beat',
    metadata: { name: p.name, namespace: p.namespace, labels: { ...p.labels } },
    spec: {
      type: 'filebeat',
      version: p.version,
      config: renderFilebeatConfig(p),
      daemonSet: {
        podTemplate: {
          spec: {
            serviceAccountName: sa,
            automountServiceAccountToken: true,
            securityContext: { runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } },
            tolerations: [{ operator: 'Exists', effect: 'NoSchedule' }],
            containers: [
              {
                name: 'filebeat',
                resources: { requests: { ...p.resources.requests }, limits: { ...p.resources.limits } },
                env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
                securityContext: {
                  runAsUser: 0,
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'], add: [...FILEBEAT_CAPABILITIES] },
                },
                volumeMounts: [
                  ...hostPaths.map((h) => ({ name: h.name, mountPath: h.path, readOnly: true })),
                  ...(p.logstashCaSecret ? [{ name: 'logstash-ca', mountPath: LOGSTASH_CA_DIR, readOnly: true }] : []),
                ],
              },
            ],
            volumes: [
              ...hostPaths.map((h) => ({ name: h.name, hostPath: { path: h.path, type: h.type } })),
              ...(p.dataHostPath ? [{ name: BEAT_DATA_VOLUME, hostPath: { path: p.dataHostPath, type: 'DirectoryOrCreate' } }] : []),
              ...(p.logstashCaSecret ? [{ name: 'logstash-ca', secret: { secretName: p.logstashCaSecret, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] : []),
            ],
          },
        },
      },
    },
  };
  const labels = { ...p.labels };
  const rbac: KubeManifest[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: p.namespace, labels } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `${p.namespace}-${sa}`, labels },
      rules: [{ apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${p.namespace}-${sa}`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${p.namespace}-${sa}` },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: p.namespace }],
    },
  ];
  return { beat, rbac };
}
