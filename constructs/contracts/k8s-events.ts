/**
 * Kubernetes events (OOMKilling, FailedScheduling, Evicted, BackOff, a Job's BackoffLimitExceeded)
 * collected into the log stores beside the job's logs. Events carry no pod labels, so the job is
 * read from the involved object: the object itself when it is a job (a Kubeflow or batch Job, a
 * JobSet, a RayJob...), or a pod whose name follows a training controller's naming. Pure data.
 *
 * What is not attributed (README "Kubernetes events"): pods of a plain batch Job (`<job>-<5 chars>`
 * cannot be told from a Deployment's `<deployment>-<hash>-<5 chars>`), pods of controllers not
 * listed here; their events keep `job` empty and stay findable by namespace and pod name.
 */
import { DNS_1123_LABEL } from '../core/common';

/** Which events are collected: the same settings drive the Loki collector and the Elastic shipper. */
export interface EventsSettings {
  /** Collect Kubernetes events. */
  readonly enabled: boolean;
  /** Namespaces whose events are collected; empty: every namespace. */
  readonly namespaces: readonly string[];
}

/** On by default: one small pod per log pipeline, and events explain most job failures. */
export const DEFAULT_EVENTS: EventsSettings = { enabled: true, namespaces: [] };

/** Checks events settings built without the config schema (same rules); `where` names the prop in the error. */
export function checkEventsSettings(e: EventsSettings, where: string): EventsSettings {
  const bad = e.namespaces.filter((n) => !DNS_1123_LABEL.test(n));
  if (bad.length > 0) throw new Error(`${where}.namespaces: ${bad.map((n) => JSON.stringify(n)).join(', ')} is not a namespace name (DNS-1123 label)`);
  if (new Set(e.namespaces).size !== e.namespaces.length) throw new Error(`${where}.namespaces: lists a namespace twice`);
  return e;
}

/** The only permission an events collector needs (Alloy's events source, Metricbeat's event metricset). */
export const EVENTS_READ_RULE = { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] } as const;

/** The stream label value (`source`) of event streams in Loki, and `mlobs.source` in Elasticsearch. */
export const EVENTS_SOURCE = 'kubernetes-events';

/** Kinds whose events belong to the job the object is (job = the object's name). */
export const JOB_OBJECT_KINDS: readonly string[] = ['TrainJob', 'PyTorchJob', 'TFJob', 'MPIJob', 'XGBoostJob', 'PaddleJob', 'JAXJob', 'JobSet', 'LeaderWorkerSet', 'RayJob', 'RayCluster', 'Job'];

/**
 * Pod names → job (group 1), by the controllers' pod naming, tried in order. RE2/JavaScript subset.
 * - Kubeflow Training Operator v1: `<job>-<replica type>-<index>`;
 * - JobSet and Kubeflow Trainer v2 (a TrainJob runs a JobSet): `<jobset>-<replicated job>-<job index>-<pod index>-<suffix>`,
 *   with the replicated job names Trainer v2 uses.
 */
export const POD_NAME_JOB_PATTERNS: readonly string[] = [
  '^(.+)-(?:master|worker|launcher|chief|ps|evaluator)-[0-9]+$',
  '^(.+)-(?:node|launcher|dataset-initializer|model-initializer)-[0-9]+-[0-9]+-[a-z0-9]{5}$',
];

/** Event reasons that explain a failed or stuck job (the saved search and the dashboard's highlight). */
export const JOB_FAILURE_REASONS: readonly string[] = [
  'OOMKilling',
  'FailedScheduling',
  'Evicted',
  'BackOff',
  'FailedMount',
  'FailedCreatePodSandBox',
  'Preempting',
  'BackoffLimitExceeded',
  'DeadlineExceeded',
  'NodeNotReady',
];

/** The job an event belongs to, or undefined (the reference the generated pipelines are tested against). */
export function eventJob(kind: string, name: string): string | undefined {
  if (JOB_OBJECT_KINDS.includes(kind)) return name;
  if (kind !== 'Pod') return undefined;
  for (const p of POD_NAME_JOB_PATTERNS) {
    const m = new RegExp(p).exec(name);
    if (m) return m[1];
  }
  return undefined;
}
