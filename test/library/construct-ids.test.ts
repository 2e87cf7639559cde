/**
 * Construct IDs are part of the public contract: they become Terraform addresses, and a changed
 * address makes Terraform destroy the old resource and create a new one (for the Prometheus and
 * Loki releases and the chart that carries Elasticsearch, their volumes; for the namespace,
 * everything in it). test/library/stateful-addresses.json records the addresses of the stateful
 * resources per environment; this test fails when one disappears without a `moved` block.
 *
 * Renaming on purpose (a breaking change: note it in CHANGELOG.md), keep the old address
 * reachable with a moved block on the new resource, e.g. in the construct that owns it:
 *
 *   release.moveFromId('helm_release.mlobs_metrics_release_D103FE49');
 *
 * (cdktf writes `"moved": [{ "from": ..., "to": ... }]` into the stack; `moveTo`/`addMoveTarget`
 * do the same between two resources of the tree, and `stack.addOverride('moved', [...])` is the
 * raw form). Keep the recorded address: it stays valid as long as the moved block exists.
 *
 * A new stateful resource must be recorded: `UPDATE_STATEFUL_ADDRESSES=1 npm test` adds the
 * missing addresses and never removes one (removing a record is a deliberate, reviewed edit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TerraformStack, Testing } from 'cdktf';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { APP_CONTEXT, synthesizeAll } from '../../stacks/app';
import { REPO_ROOT } from '../helpers/paths';
import { declaredStateful, STATEFUL_REASONS } from '../../constructs/core/stateful';
import { markStateful } from '../../constructs/core/stateful-mark';

const RECORD_FILE = path.join(REPO_ROOT, 'test', 'library', 'stateful-addresses.json');

interface StatefulRecord {
  readonly comment: string;
  /** environment -> Terraform address -> why it is stateful */
  readonly environments: Record<string, Record<string, string>>;
}

interface TfResource {
  readonly name?: string;
  readonly chart?: string;
  readonly '//'?: unknown;
}

interface TfJson {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, TfResource>>>>;
  readonly moved?: readonly { readonly from: string; readonly to: string }[];
}

/**
 * The stateful resources of a synthesized stack, by Terraform address, with the reason: what each
 * resource declares itself (constructs/core/stateful.ts), the same declaration the preview reads.
 */
export function statefulResources(tf: TfJson): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [type, byName] of Object.entries(tf.resource ?? {})) {
    for (const [name, r] of Object.entries(byName)) {
      const reason = declaredStateful(r);
      if (reason !== undefined) out[`${type}.${name}`] = reason;
    }
  }
  return out;
}

/** Recorded addresses that are neither in the stack nor moved (by a `moved` block) to an address in it. */
export function lostAddresses(recorded: readonly string[], tf: TfJson): string[] {
  const present = new Set(Object.entries(tf.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`)));
  const moved = new Map((tf.moved ?? []).map((m) => [m.from, m.to]));
  return recorded.filter((a) => !present.has(a) && !present.has(moved.get(a) ?? ''));
}

const record = JSON.parse(fs.readFileSync(RECORD_FILE, 'utf8')) as StatefulRecord;
const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-construct-ids-')), 'cdktf.out');
const envs = synthesizeAll({ configDir: path.join(REPO_ROOT, 'config'), outdir });
const synthesized = new Map(envs.map((e) => [e.name, JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', e.name, 'cdk.tf.json'), 'utf8')) as TfJson]));

if (process.env.UPDATE_STATEFUL_ADDRESSES === '1') {
  for (const [env, tf] of synthesized) record.environments[env] = { ...statefulResources(tf), ...record.environments[env] };
  fs.writeFileSync(RECORD_FILE, JSON.stringify(record, null, 2) + '\n');
}

test('every environment of config/ has its stateful addresses recorded', () => {
  assert.deepEqual(Object.keys(record.environments).sort(), [...synthesized.keys()].sort());
});

for (const [env, tf] of synthesized) {
  test(`${env}: every recorded stateful address still exists or has a moved block`, () => {
    const recorded = Object.keys(record.environments[env] ?? {});
    assert.ok(recorded.length >= 3, `${env}: expected the namespace, kube-prometheus-stack and the custom-resource chart at least`);
    assert.deepEqual(
      lostAddresses(recorded, tf),
      [],
      `${env}: these stateful resources would be destroyed and recreated (their construct ID changed). ` +
        `Keep the ID, or add a moved block on the new resource: resource.moveFromId('<old address>') (see test/library/construct-ids.test.ts)`,
    );
  });

  test(`${env}: every stateful resource in the stack is recorded`, () => {
    const recorded = record.environments[env] ?? {};
    const unrecorded = Object.keys(statefulResources(tf)).filter((a) => !(a in recorded));
    assert.deepEqual(unrecorded, [], `${env}: record new stateful resources with UPDATE_STATEFUL_ADDRESSES=1 npm test and review the diff`);
  });
}

test('the guard fails on a renamed stateful construct and passes once moveFromId adds a moved block', () => {
  const synth = (id: string, movedFrom?: string): TfJson => {
    const stack = new TerraformStack(Testing.app({ context: { ...APP_CONTEXT } }), 'guard');
    new KubernetesProvider(stack, 'kubernetes', {});
    const ns = new NamespaceV1(stack, id, { metadata: { name: 'mlobs' } });
    markStateful(ns, STATEFUL_REASONS.namespace);
    if (movedFrom) ns.moveFromId(movedFrom);
    // The full synthesis keeps the `//` comments (Testing.synth drops them).
    const out = Testing.fullSynth(stack);
    return JSON.parse(fs.readFileSync(path.join(out, 'stacks', 'guard', 'cdk.tf.json'), 'utf8')) as TfJson;
  };
  const before = synth('namespace');
  const recorded = Object.keys(statefulResources(before));
  assert.deepEqual(recorded, ['kubernetes_namespace_v1.namespace']);
  assert.deepEqual(lostAddresses(recorded, before), []);
  assert.deepEqual(lostAddresses(recorded, synth('ns')), ['kubernetes_namespace_v1.namespace']);
  assert.deepEqual(lostAddresses(recorded, synth('ns', 'kubernetes_namespace_v1.namespace')), []);
  // A moved block to an address that does not exist does not count.
  assert.deepEqual(lostAddresses(recorded, { resource: {}, moved: [{ from: 'kubernetes_namespace_v1.namespace', to: 'kubernetes_namespace_v1.gone' }] }), [
    'kubernetes_namespace_v1.namespace',
  ]);
});

test('README lists every declared stateful resource with its reason (one source: constructs/core/stateful.ts)', () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  for (const reason of Object.values(STATEFUL_REASONS)) assert.ok(readme.includes(`| ${reason} |`), `README's table lacks: ${reason}`);
  // And the stacks declare exactly these reasons, nothing undocumented.
  const declared = new Set([...synthesized.values()].flatMap((tf) => Object.values(statefulResources(tf))));
  assert.deepEqual([...declared].sort(), Object.values(STATEFUL_REASONS).sort());
});
