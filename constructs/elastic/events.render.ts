/**
 * Kubernetes events into Elasticsearch, beside the job's log lines (the Elastic half of
 * contracts/k8s-events.ts; the Loki half is constructs/loki/events.render.ts). Pure: no cdktf import.
 *
 * - The shipper: Metricbeat's `kubernetes` module with the `event` metricset (read in
 *   elastic/beats metricbeat/module/kubernetes/event: a watch on the events API, one document per
 *   add or update, `kubernetes.event.{reason,type,count,message,involved_object.{kind,name,uid},
 *   metadata.namespace}`; one `namespace` per module entry, so a list of namespaces is one entry
 *   each; `skip_older` (default true) skips what happened before the watch started, so a restart
 *   neither resends old events nor floods), in an ECK Beat Deployment of one replica (a watch on
 *   several replicas would send each event once per replica). It ships to Logstash's beats input,
 *   so the events pass the same place as the lines (TLS on the collectors hop, one writer to the
 *   data stream).
 * - Logstash: {@link renderLogstashEventsFilter}, the branch for documents of that metricset: the
 *   event's message moved to `message` (redacted like a line; no copy of it is kept), its namespace as `kubernetes.namespace`,
 *   `mlobs.source` = {@link EVENTS_SOURCE} and `mlobs.job` read from the involved object exactly as
 *   the contract's `eventJob` reads it (job kinds by name, training controllers' pods by naming).
 * - Least privilege: a ServiceAccount that may only get/list/watch events (a ClusterRoleBinding for
 *   every namespace, RoleBindings in the listed ones), non-root, read-only root filesystem, every
 *   capability dropped: Pod Security `restricted`. The pod needs no host access and no node.
 */
import type { KubeManifest } from '../core/manifest';
import type { ResourceRequirements } from '../core/settings';
import { captureGroups } from '../mllogs/pattern';
import { qre } from '../mllogs/compile-logstash';
import { EVENTS_READ_RULE, EVENTS_SOURCE, JOB_OBJECT_KINDS, POD_NAME_JOB_PATTERNS, type EventsSettings } from '../contracts/k8s-events';
import { BEAT_API_VERSION, beatLogstashOutput, LOGSTASH_CA_DIR } from './filebeat.render';

/** The Metricbeat image's user (uid 1000, as Elastic's other images). Pod Security restricted refuses root. */
export const METRICBEAT_UID = 1000;
/** Where the Logstash CA is mounted in the Metricbeat container. */
export const METRICBEAT_LOGSTASH_CA_DIR = LOGSTASH_CA_DIR.replace('/filebeat/', '/metricbeat/');
/** The only permission the events shipper has. */
export const METRICBEAT_EVENTS_RBAC_RULE = EVENTS_READ_RULE;
/** The Beat's name for a pipeline name (the pod label `beat.k8s.elastic.co/name`). */
export const eventsBeatName = (name: string): string => `${name}-events`;

/** A small watcher: events arrive a few per second even on busy clusters. */
export const DEFAULT_METRICBEAT_EVENTS_RESOURCES: ResourceRequirements = {
  requests: { cpu: '50m', memory: '128Mi' },
  limits: { memory: '256Mi' },
};

/** Where a Metricbeat document of the event metricset keeps what the stores show. */
export const ES_EVENT_FIELDS = {
  /** Set by Metricbeat on every document of the metricset: the branch's test. */
  metricset: '[metricset][name]',
  kind: '[kubernetes][event][involved_object][kind]',
  name: '[kubernetes][event][involved_object][name]',
  message: '[kubernetes][event][message]',
  namespace: '[kubernetes][event][metadata][namespace]',
} as const;

export interface MetricbeatEventsRenderProps {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly version: string;
  readonly events: EventsSettings;
  readonly resources: ResourceRequirements;
  /** Logstash beats endpoint, `host:port`. */
  readonly logstashHost: string;
  /** Secret whose `ca.crt` verifies Logstash. @default - plain TCP to Logstash */
  readonly logstashCaSecret?: string;
}

/** The Metricbeat configuration (the Beat's `spec.config`): one module entry per namespace, or one for all. */
export function renderMetricbeatEventsConfig(p: MetricbeatEventsRenderProps): Record<string, unknown> {
  const module = (namespace?: string): Record<string, unknown> => ({
    module: 'kubernetes',
    metricsets: ['event'],
    ...(namespace ? { namespace } : {}),
    skip_older: true,
  });
  return {
    'metricbeat.modules': p.events.namespaces.length > 0 ? p.events.namespaces.map((n) => module(n)) : [module()],
    'output.logstash': beatLogstashOutput(p.logstashHost, p.logstashCaSecret ? METRICBEAT_LOGSTASH_CA_DIR : undefined),
  };
}

export interface MetricbeatEventsObjects {
  readonly beat: KubeManifest;
  /** ServiceAccount, the events-only ClusterRole and its binding(s). */
  readonly rbac: readonly KubeManifest[];
}

export function renderMetricbeatEvents(p: MetricbeatEventsRenderProps): MetricbeatEventsObjects {
  const beatName = eventsBeatName(p.name);
  const sa = `${beatName}-metricbeat`;
  const labels = { ...p.labels };
  const role = `${p.namespace}-${sa}`;
  const subjects = [{ kind: 'ServiceAccount', name: sa, namespace: p.namespace }];
  const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role };
  const bindings: KubeManifest[] =
    p.events.namespaces.length > 0
      ? p.events.namespaces.map((ns) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: role, namespace: ns, labels }, roleRef, subjects }))
      : [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: role, labels }, roleRef, subjects }];
  const beat: KubeManifest = {
    apiVersion: BEAT_API_VERSION,
    kind: 'Beat',
    metadata: { name: beatName, namespace: p.namespace, labels },
    spec: {
      type: 'metricbeat',
      version: p.version,
      config: renderMetricbeatEventsConfig(p),
      deployment: {
        replicas: 1,
        // never two watchers at once (each would send every event)
        strategy: { type: 'Recreate' },
        podTemplate: {
          spec: {
            serviceAccountName: sa,
            automountServiceAccountToken: true,
            securityContext: { runAsNonRoot: true, runAsUser: METRICBEAT_UID, runAsGroup: METRICBEAT_UID, fsGroup: METRICBEAT_UID, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'metricbeat',
                resources: { requests: { ...p.resources.requests }, limits: { ...p.resources.limits } },
                securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                ...(p.logstashCaSecret ? { volumeMounts: [{ name: 'logstash-ca', mountPath: METRICBEAT_LOGSTASH_CA_DIR, readOnly: true }] } : {}),
              },
            ],
            ...(p.logstashCaSecret ? { volumes: [{ name: 'logstash-ca', secret: { secretName: p.logstashCaSecret, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } : {}),
          },
        },
      },
    },
  };
  const rbac: KubeManifest[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: p.namespace, labels } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: role, labels }, rules: [{ ...METRICBEAT_EVENTS_RBAC_RULE, apiGroups: [...METRICBEAT_EVENTS_RBAC_RULE.apiGroups], resources: [...METRICBEAT_EVENTS_RBAC_RULE.resources], verbs: [...METRICBEAT_EVENTS_RBAC_RULE.verbs] }] },
    ...bindings,
  ];
  return { beat, rbac };
}

/** The temporary grok capture of the job (renamed to `[mlobs][job]`). */
const JOB_CAPTURE = 'mlobs_event_job';

/**
 * The contract's pod-name patterns as grok patterns: the one capturing group becomes the named
 * capture {@link JOB_CAPTURE}. A pattern of another shape is refused here, at synth, rather than
 * writing a grok that captures nothing.
 */
export function logstashPodJobPatterns(patterns: readonly string[] = POD_NAME_JOB_PATTERNS): string[] {
  return patterns.map((p) => {
    const groups = captureGroups(p);
    if (groups.length !== 1 || groups[0] !== undefined || !p.startsWith('^(') || p.startsWith('^(?')) {
      throw new Error(`contracts/k8s-events.ts: POD_NAME_JOB_PATTERNS entry ${JSON.stringify(p)} must start with ^( and have exactly one capturing group (the job)`);
    }
    return `^(?<${JOB_CAPTURE}>${p.slice(2)}`;
  });
}

/**
 * Logstash filter text for one event document (the body of the events branch, see
 * `renderLogstashPipeline`): message, namespace, source and job; then the redaction filter given.
 */
export function renderLogstashEventsFilter(redaction: string): string {
  const q = (s: string): string => JSON.stringify(s);
  const f = ES_EVENT_FIELDS;
  return [
    `# Kubernetes events (contracts/k8s-events.ts), shipped by Metricbeat: not log lines, the catalog does not read them`,
    `mutate { id => "mlobs_k8s_event" rename => { ${q(f.message)} => "message" } replace => { "[mlobs][source]" => ${q(EVENTS_SOURCE)} } copy => { ${q(f.namespace)} => "[kubernetes][namespace]" } }`,
    `# the job: the involved object itself when it is a job, a training controller's pod by its naming`,
    `if ${f.kind} in [${JOB_OBJECT_KINDS.map(q).join(', ')}] {`,
    `  mutate { id => "mlobs_k8s_event_job_object" copy => { ${q(f.name)} => "[mlobs][job]" } }`,
    `} else if ${f.kind} == "Pod" {`,
    `  grok {`,
    `    id => "mlobs_k8s_event_job_pod"`,
    `    match => { ${q(f.name)} => [${logstashPodJobPatterns().map(qre).join(', ')}] }`,
    `    tag_on_failure => []`,
    `  }`,
    `  if [${JOB_CAPTURE}] { mutate { rename => { ${q(JOB_CAPTURE)} => "[mlobs][job]" } } }`,
    `}`,
    ...(redaction ? [redaction] : []),
  ].join('\n');
}

/** The branch condition: a document of Metricbeat's event metricset. */
export const LOGSTASH_EVENTS_CONDITION = `${ES_EVENT_FIELDS.metricset} == "event" and [kubernetes][event]`;
