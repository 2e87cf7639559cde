/**
 * The ILM policy and the index template of the ML log data stream, from config, validated at
 * synth. Pure: no cdktf import.
 *
 * ECK has no free resource for ILM (StackConfigPolicy needs an Enterprise license), so the
 * policy and template are applied in-cluster by the setup Job (setup-job.render.ts).
 */
import { durationToMs } from '../../config/quantity';
import type { IlmRetention } from './settings';
import { JSON_FIELDS_OBJECT, type JsonFieldType } from '../contracts/json-fields';
import { STATIC_FIELDS_OBJECT } from '../contracts/log-volume';
import { FIELD_NAMES, NUMBER_FIELDS, type FieldName } from '../mllogs/schema';
import { TIER_ATTRIBUTE } from './elasticsearch.render';

/** ILM phases in the order Elasticsearch runs them. */
export const ILM_PHASES = ['hot', 'warm', 'cold', 'frozen', 'delete'] as const;
export type IlmPhaseName = (typeof ILM_PHASES)[number];

/** Actions Elasticsearch allows in each phase (ILM reference, "Index lifecycle actions"). */
export const ILM_ALLOWED_ACTIONS: Readonly<Record<IlmPhaseName, readonly string[]>> = {
  hot: ['rollover', 'set_priority', 'unfollow', 'readonly', 'shrink', 'forcemerge', 'searchable_snapshot', 'downsample'],
  warm: ['set_priority', 'unfollow', 'readonly', 'allocate', 'migrate', 'shrink', 'forcemerge', 'downsample'],
  cold: ['set_priority', 'unfollow', 'readonly', 'allocate', 'migrate', 'searchable_snapshot', 'downsample'],
  frozen: ['unfollow', 'searchable_snapshot'],
  delete: ['wait_for_snapshot', 'delete'],
};

export interface IlmPhase {
  /** Age since rollover before the phase starts (Elasticsearch time units). */
  readonly min_age?: string;
  readonly actions: Readonly<Record<string, unknown>>;
}

export interface IlmPolicy {
  readonly policy: { readonly _meta?: Readonly<Record<string, unknown>>; readonly phases: Readonly<Partial<Record<string, IlmPhase>>> };
}

const ES_TIME = /^([0-9]+)(d|h|m|s|ms|micros|nanos)$/;
const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1, micros: 1e-3, nanos: 1e-6 };

/** A config duration (`7d`, `1w`, `36h`, `1d12h`) in Elasticsearch time units (`7d`, `36h`). */
export function toEsTime(duration: string): string {
  const ms = durationToMs(duration);
  for (const [u, f] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % f === 0) return `${ms / f}${u}`;
  return `${ms}ms`;
}

function esTimeMs(t: string): number | undefined {
  const m = ES_TIME.exec(t);
  return m ? Number(m[1]) * (UNIT_MS[m[2] as string] ?? NaN) : undefined;
}

/**
 * Problems of a policy, each a sentence naming the phase, what was received and what is allowed:
 * unknown phases, phase order, non-decreasing `min_age`, actions allowed per phase, rollover
 * only in hot, allocate/migrate consistency. Empty when valid.
 */
export function validateIlmPolicy(p: IlmPolicy): string[] {
  const errors: string[] = [];
  const names = Object.keys(p.policy.phases);
  let lastIndex = -1;
  let lastAge = 0;
  let lastPhase = '';
  for (const name of names) {
    const idx = (ILM_PHASES as readonly string[]).indexOf(name);
    if (idx < 0) {
      errors.push(`phase "${name}" is not an ILM phase; allowed: ${ILM_PHASES.join(', ')}`);
      continue;
    }
    if (idx < lastIndex) errors.push(`phase "${name}" comes after "${lastPhase}"; phases must be in the order ${ILM_PHASES.join(', ')}`);
    const phase = p.policy.phases[name] as IlmPhase;
    const age = phase.min_age ?? '0ms';
    const ms = esTimeMs(age);
    if (ms === undefined) errors.push(`phase "${name}": min_age "${age}" is not an Elasticsearch time value like 7d, 12h or 30m`);
    else {
      if (ms < lastAge) errors.push(`phase "${name}": min_age "${age}" is shorter than the previous phase's (${lastPhase}); min_age must not decrease from phase to phase`);
      lastAge = Math.max(lastAge, ms);
    }
    const allowed = ILM_ALLOWED_ACTIONS[name as IlmPhaseName];
    for (const action of Object.keys(phase.actions)) {
      if (action === 'rollover' && name !== 'hot') errors.push(`phase "${name}": rollover is only allowed in the hot phase`);
      else if (!allowed.includes(action)) errors.push(`phase "${name}": action "${action}" is not allowed; allowed in ${name}: ${allowed.join(', ')}`);
    }
    const rollover = phase.actions.rollover as Record<string, unknown> | undefined;
    if (rollover && Object.keys(rollover).filter((k) => k.startsWith('max_')).length === 0) {
      errors.push('phase "hot": rollover needs at least one max_* condition (max_age, max_primary_shard_size, ...)');
    }
    const migrate = phase.actions.migrate as { enabled?: boolean } | undefined;
    if (phase.actions.allocate && (ILM_ALLOWED_ACTIONS[name as IlmPhaseName] ?? []).includes('migrate') && migrate?.enabled !== false) {
      errors.push(`phase "${name}": allocate by node attribute needs migrate: { enabled: false }, or ILM also moves the index by data tier`);
    }
    lastIndex = Math.max(lastIndex, idx);
    lastPhase = name;
  }
  if (!names.includes('hot')) errors.push('a policy for a data stream needs a hot phase with rollover');
  return errors;
}

export class IlmPolicyError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid ILM policy:\n  - ${problems.join('\n  - ')}`);
    this.name = 'IlmPolicyError';
  }
}

/** Throws an {@link IlmPolicyError} listing every problem. */
export function assertValidIlmPolicy(p: IlmPolicy): IlmPolicy {
  const problems = validateIlmPolicy(p);
  if (problems.length > 0) throw new IlmPolicyError(problems);
  return p;
}

export type { IlmRetention };

/**
 * The policy from `retention.elasticsearch`: hot with rollover by age and primary shard size;
 * warm/cold move the index to the nodes with `node.attr.data: <tier>` (allocate, migrate off),
 * read-only and force-merged in warm; delete after `delete.minAge`. Validated before it is returned.
 */
export function renderIlmPolicy(r: IlmRetention, environment: string): IlmPolicy {
  const phases: Record<string, IlmPhase> = {
    hot: {
      min_age: '0ms',
      actions: { rollover: { max_age: toEsTime(r.rollover.maxAge), max_primary_shard_size: `${r.rollover.maxPrimaryShardSizeGiB}gb` }, set_priority: { priority: 100 } },
    },
  };
  if (r.warm) {
    phases.warm = {
      min_age: toEsTime(r.warm.minAge),
      actions: { allocate: { require: { [TIER_ATTRIBUTE]: 'warm' } }, migrate: { enabled: false }, readonly: {}, forcemerge: { max_num_segments: 1 }, set_priority: { priority: 50 } },
    };
  }
  if (r.cold) {
    phases.cold = {
      min_age: toEsTime(r.cold.minAge),
      actions: { allocate: { require: { [TIER_ATTRIBUTE]: 'cold' } }, migrate: { enabled: false }, set_priority: { priority: 0 } },
    };
  }
  phases.delete = { min_age: toEsTime(r.delete.minAge), actions: { delete: {} } };
  return assertValidIlmPolicy({ policy: { _meta: { managed_by: 'mlobs', environment }, phases } });
}

/** ML fields that hold whole numbers (long); the other number fields are double. */
export const INTEGER_FIELDS: readonly FieldName[] = ['epoch', 'epochs_total', 'step', 'steps_total', 'gpu', 'rank', 'pid', 'xid', 'oom_requested_bytes'];

/** Explicit mapping of every catalog field under `ml`: numbers as numbers, the rest keyword (message as text). */
export function mlFieldMappings(): Record<string, { type: string }> {
  const out: Record<string, { type: string }> = {};
  for (const f of FIELD_NAMES) {
    if ((NUMBER_FIELDS as readonly string[]).includes(f)) out[f] = { type: INTEGER_FIELDS.includes(f) ? 'long' : 'double' };
    else out[f] = { type: f === 'message' ? 'match_only_text' : 'keyword' };
  }
  return out;
}

/** Mapping of each team JSON field: numbers and dates tolerate a malformed value (the field is skipped, never the document). */
export function teamFieldMappings(fields: Readonly<Record<string, JsonFieldType>>): Record<string, Record<string, unknown>> {
  const one = (t: JsonFieldType): Record<string, unknown> =>
    t === 'keyword' ? { type: 'keyword', ignore_above: 1024 } : t === 'boolean' ? { type: 'boolean' } : { type: t, ignore_malformed: true };
  return Object.fromEntries(Object.entries(fields).map(([n, t]) => [n, one(t)]));
}

export interface IndexTemplateProps {
  /** Data stream dataset (logs-<dataset>-*). */
  readonly dataset: string;
  /** ILM policy name. */
  readonly policyName: string;
  /** Replicas per primary (0 on a single node). */
  readonly replicas: number;
  /** index.mapping.total_fields.limit. */
  readonly totalFieldsLimit: number;
  /** Team JSON fields mapped under `team` with their types. @default - none */
  readonly jsonFields?: Readonly<Record<string, JsonFieldType>>;
  /** Static field names (contracts/log-volume.ts), mapped as `labels.<name>` keywords. @default - none */
  readonly staticFields?: readonly string[];
}

/** Priority above the built-in `logs-*-*` template (100), so ours applies to logs-<dataset>-*. */
export const INDEX_TEMPLATE_PRIORITY = 500;

/**
 * The composable index template of the data stream. `dynamic: false` at the root: a field we do
 * not map (any new JSON key, any pod label) stays in `_source` but never adds a mapping, so the
 * mapping cannot explode; the total-fields limit is a second guard.
 */
export function renderIndexTemplate(p: IndexTemplateProps): Record<string, unknown> {
  const kw = { type: 'keyword' };
  return {
    index_patterns: [`logs-${p.dataset}-*`],
    data_stream: {},
    priority: INDEX_TEMPLATE_PRIORITY,
    _meta: { managed_by: 'mlobs' },
    template: {
      settings: {
        'index.lifecycle.name': p.policyName,
        'index.number_of_replicas': p.replicas,
        'index.mapping.total_fields.limit': p.totalFieldsLimit,
        'index.mapping.ignore_malformed': true,
      },
      mappings: {
        dynamic: false,
        properties: {
          '@timestamp': { type: 'date' },
          message: { type: 'match_only_text' },
          tags: kw,
          data_stream: { properties: { type: { type: 'constant_keyword' }, dataset: { type: 'constant_keyword' }, namespace: { type: 'constant_keyword' } } },
          ml: { properties: mlFieldMappings() },
          kubernetes: {
            properties: {
              namespace: kw,
              node: { properties: { name: kw } },
              pod: { properties: { name: kw, uid: kw } },
              container: { properties: { name: kw, image: kw } },
              labels: { type: 'flattened' },
              // Kubernetes events shipped by Metricbeat (events.render.ts); their message is `message`
              event: {
                properties: {
                  reason: kw,
                  type: kw,
                  count: { type: 'long' },
                  involved_object: { properties: { kind: kw, name: kw } },
                  source: { properties: { component: kw, host: kw } },
                },
              },
            },
          },
          host: { properties: { name: kw } },
          log: { properties: { file: { properties: { path: kw } } } },
          input: { properties: { type: kw } },
          // Filebeat's input and node name; kernel (Xid) lines carry no kubernetes.* but do carry mlobs.node.
          // team.<name>: the team JSON fields, with their declared types (contracts/json-fields.ts).
          ...(Object.keys(p.jsonFields ?? {}).length > 0 ? { [JSON_FIELDS_OBJECT]: { properties: teamFieldMappings(p.jsonFields ?? {}) } } : {}),
          // labels.<name>: the environment's static fields (contracts/log-volume.ts), set by Logstash.
          ...((p.staticFields ?? []).length > 0 ? { [STATIC_FIELDS_OBJECT]: { properties: Object.fromEntries((p.staticFields ?? []).map((n) => [n, { type: 'keyword', ignore_above: 1024 }])) } } : {}),
          // mlobs.job: the pod's training job (contracts/jobs.ts), set by Logstash.
          mlobs: { properties: { source: kw, node: kw, job: kw } },
        },
      },
    },
  };
}
