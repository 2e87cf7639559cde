import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertValidIlmPolicy, IlmPolicyError, renderIlmPolicy, renderIndexTemplate, toEsTime, validateIlmPolicy, type IlmPolicy } from '../../constructs/elastic';
import { FIELD_NAMES } from '../../constructs/mllogs/schema';
import { synthEnvironment } from '../helpers/synth';
import { loadEnvironmentFile } from '../metrics/env-files';
import { validateBuiltinObject } from '../helpers/builtin-contract';
import type { KubeManifest } from '../../constructs/core/manifest';

const dev = synthEnvironment(loadEnvironmentFile('dev'), 'dev');
const prod = synthEnvironment(loadEnvironmentFile('prod'), 'prod');

const policy = (phases: Record<string, unknown>): IlmPolicy => ({ policy: { phases: phases as IlmPolicy['policy']['phases'] } });
const HOT = { min_age: '0ms', actions: { rollover: { max_age: '1d' } } };

test('dev policy: hot rollover then delete after 7d; prod: warm/cold allocate by node attribute, delete after 90d', () => {
  const d = dev.stack.observability.elastic?.ilmPolicy;
  assert.deepEqual(Object.keys(d?.policy.phases ?? {}), ['hot', 'delete']);
  assert.deepEqual(d?.policy.phases.hot?.actions.rollover, { max_age: '1d', max_primary_shard_size: '10gb' });
  assert.equal(d?.policy.phases.delete?.min_age, '7d');
  const p = prod.stack.observability.elastic?.ilmPolicy;
  assert.deepEqual(Object.keys(p?.policy.phases ?? {}), ['hot', 'warm', 'cold', 'delete']);
  assert.deepEqual(p?.policy.phases.warm?.actions.allocate, { require: { data: 'warm' } });
  assert.deepEqual(p?.policy.phases.cold?.actions.allocate, { require: { data: 'cold' } });
  assert.deepEqual([p?.policy.phases.warm?.min_age, p?.policy.phases.cold?.min_age, p?.policy.phases.delete?.min_age], ['7d', '30d', '90d']);
});

test('config durations become Elasticsearch time units', () => {
  assert.equal(toEsTime('1w'), '7d');
  assert.equal(toEsTime('36h'), '36h');
  assert.equal(toEsTime('1d12h'), '36h');
  assert.equal(toEsTime('90m'), '90m');
});

test('validation: rollover only in hot', () => {
  assert.deepEqual(validateIlmPolicy(policy({ hot: HOT, warm: { min_age: '1d', actions: { rollover: { max_age: '1d' } } } })), [
    'phase "warm": rollover is only allowed in the hot phase',
  ]);
});

test('validation: phase order and non-decreasing min_age', () => {
  assert.deepEqual(validateIlmPolicy(policy({ hot: HOT, cold: { min_age: '30d', actions: {} }, warm: { min_age: '7d', actions: {} } })), [
    'phase "warm" comes after "cold"; phases must be in the order hot, warm, cold, frozen, delete',
    'phase "warm": min_age "7d" is shorter than the previous phase\'s (cold); min_age must not decrease from phase to phase',
  ]);
});

test('validation: actions allowed per phase, unknown phases, bad time values, allocate without migrate off', () => {
  const errs = validateIlmPolicy(
    policy({ hot: HOT, warm: { min_age: '7 days', actions: { delete: {}, allocate: { require: { data: 'warm' } } } }, tepid: { actions: {} } }),
  );
  assert.deepEqual(errs, [
    'phase "warm": min_age "7 days" is not an Elasticsearch time value like 7d, 12h or 30m',
    'phase "warm": action "delete" is not allowed; allowed in warm: set_priority, unfollow, readonly, allocate, migrate, shrink, forcemerge, downsample',
    'phase "warm": allocate by node attribute needs migrate: { enabled: false }, or ILM also moves the index by data tier',
    'phase "tepid" is not an ILM phase; allowed: hot, warm, cold, frozen, delete',
  ]);
  assert.deepEqual(validateIlmPolicy(policy({ delete: { min_age: '1d', actions: { delete: {} } } })), ['a policy for a data stream needs a hot phase with rollover']);
  assert.deepEqual(validateIlmPolicy(policy({ hot: { actions: { rollover: {} } } })), ['phase "hot": rollover needs at least one max_* condition (max_age, max_primary_shard_size, ...)']);
});

test('assertValidIlmPolicy throws an IlmPolicyError listing every problem', () => {
  assert.throws(
    () => assertValidIlmPolicy(policy({ hot: HOT, delete: { min_age: '1d', actions: { shrink: {} } } })),
    (e: unknown) => e instanceof IlmPolicyError && /invalid ILM policy:\n {2}- phase "delete": action "shrink" is not allowed; allowed in delete: wait_for_snapshot, delete/.test(e.message),
  );
  assert.throws(() => renderIlmPolicy({ rollover: { maxAge: '1d', maxPrimaryShardSizeGiB: 1 }, warm: { minAge: '10d' }, cold: { minAge: '5d' }, delete: { minAge: '30d' } }, 't'), /min_age "5d" is shorter than the previous phase's \(warm\)/);
});

test('index template: data stream, our policy, explicit ML mappings, dynamic false and a field limit', () => {
  const t = prod.stack.observability.elastic?.indexTemplate as {
    index_patterns: string[]; data_stream: object; priority: number;
    template: { settings: Record<string, unknown>; mappings: { dynamic: boolean; properties: { ml: { properties: Record<string, { type: string }> } } } };
  };
  assert.deepEqual(t.index_patterns, ['logs-ml-*']);
  assert.deepEqual(t.data_stream, {});
  assert.ok(t.priority > 100, 'above the built-in logs-*-* template');
  assert.equal(t.template.settings['index.lifecycle.name'], 'mlobs-logs-ml');
  assert.equal(t.template.settings['index.number_of_replicas'], 1);
  assert.equal(t.template.mappings.dynamic, false);
  const ml = t.template.mappings.properties.ml.properties;
  assert.deepEqual(Object.keys(ml).sort(), [...FIELD_NAMES].sort(), 'every catalog field is mapped');
  assert.equal(ml.loss?.type, 'double');
  assert.equal(ml.step?.type, 'long');
  assert.equal(ml.xid?.type, 'long');
  for (const k of ['event', 'level', 'framework']) assert.equal(ml[k]?.type, 'keyword', k);
  const devT = dev.stack.observability.elastic?.indexTemplate as { template: { settings: Record<string, unknown> } };
  assert.equal(devT.template.settings['index.number_of_replicas'], 0, 'a single node cannot hold replicas');
  assert.equal(renderIndexTemplate({ dataset: 'x', policyName: 'p', replicas: 0, totalFieldsLimit: 300 }).index_patterns instanceof Array, true);
});

test('setup Job: its own least-privilege user (not elastic) via secretKeyRef, CA mounted, name changes with the content, no credentials in the stack', () => {
  type Job = KubeManifest & { spec: { template: { spec: { containers: { env: unknown[] }[] } } } };
  const jobsOf = (r: typeof prod) => r.customResources.filter((m) => m.kind === 'Job') as Job[];
  const jobs = jobsOf(prod);
  assert.equal(jobs.length, 1);
  assert.match(jobs[0]?.metadata.name ?? '', /^mlobs-es-setup-[0-9a-f]{10}$/);
  assert.deepEqual(jobs[0]?.spec.template.spec.containers[0]?.env, [
      { name: 'ELASTIC_USERNAME', valueFrom: { secretKeyRef: { name: 'mlobs-es-setup', key: 'username' } } },
      { name: 'ELASTIC_PASSWORD', valueFrom: { secretKeyRef: { name: 'mlobs-es-setup', key: 'password' } } },
    ]);
  assert.deepEqual(validateBuiltinObject(jobs[0] as Job), []);
  assert.notEqual(jobsOf(dev)[0]?.metadata.name, jobs[0]?.metadata.name, 'different policy, different Job');
  const files = prod.customResources.find((m) => m.kind === 'ConfigMap' && m.metadata.name === jobs[0]?.metadata.name) as (KubeManifest & { data: Record<string, string> }) | undefined;
  assert.ok(files);
  assert.match(files.data['apply.sh'] ?? '', /PUT "\$ES\/_ilm\/policy\/mlobs-logs-ml"/);
  assert.match(files.data['apply.sh'] ?? '', /wait_for_status=yellow/);
  assert.deepEqual(JSON.parse(files.data['ilm-policy.json'] ?? '{}'), prod.stack.observability.elastic?.ilmPolicy);
  assert.doesNotMatch(prod.json, /"password"\s*:|ELASTIC_PASSWORD=/i);
  assert.equal(prod.tf.resource?.kubernetes_job_v1, undefined, 'shipped in the generated chart, not as a Terraform Job');
});
