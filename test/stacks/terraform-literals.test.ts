/**
 * Terraform and OpenTofu read every string of cdk.tf.json as a template (`${...}`, `%{...}`).
 * The stack escapes literal text by one mechanism (constructs/core/terraform-literal.ts); these
 * tests prove it with the real engine: every string of every environment, as OpenTofu evaluates
 * it, is the text mlobs rendered (the Alloy configuration's `${3}-01-${1}T${2}`, Go templates
 * in Helm values, a hostile kubeconfig context), and no string holds a sequence OpenTofu would
 * evaluate outside `depends_on`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { Lazy, Testing, TerraformOutput, TerraformStack } from 'cdktf';
import { synthesizeAll } from '../../stacks/app';
import { PinnedRelease } from '../../constructs/core/pinned-release';
import { firstTemplateSequence, templateText, tfLiteral, unescapeTemplateText } from '../../constructs/core/terraform-literal';
import { REPO_ROOT } from '../helpers/paths';
import { MINIMAL_INPUT, synthEnvironment } from '../helpers/synth';
import { evaluateStrings } from '../helpers/tofu';
import { loadEnvironmentFile } from '../metrics/env-files';
import { parseEnvironment } from '../../config/load';
import type { EnvironmentInput } from '../../config/schema/environment';

const OUTDIR = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-literals-')), 'cdktf.out');
const envs = synthesizeAll({ configDir: path.join(REPO_ROOT, 'config'), outdir: OUTDIR });
const stackJson = (env: string): unknown => JSON.parse(fs.readFileSync(path.join(OUTDIR, 'stacks', env, 'cdk.tf.json'), 'utf8'));

/** Every string leaf (and key) of a JSON document with its path, `depends_on` lists left out (references by design). */
function strings(doc: unknown, at = '$'): { path: string; value: string }[] {
  if (typeof doc === 'string') return [{ path: at, value: doc }];
  if (Array.isArray(doc)) return doc.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (doc && typeof doc === 'object') {
    return Object.entries(doc).flatMap(([k, v]) =>
      k === 'depends_on' ? [] : [...(k.includes('{') ? [{ path: `${at} (key)`, value: k }] : []), ...strings(v, `${at}.${k}`)],
    );
  }
  return [];
}

test('tfLiteral escapes ${ and %{ (keys too), leaves cdktf tokens and non-data objects alone, and templateText undoes it', () => {
  const sample = ['${3}-01-${1}T${2}', '%{ if x }', '$${already}', '$$$${', '{{ $labels.instance }}', 'a$', '%', '$ {x}', ''];
  for (const s of sample) assert.equal(templateText(tfLiteral(s)), s, s);
  assert.deepEqual(tfLiteral({ 'k${x}': ['${a}', 1, true, null] }), { 'k$${x}': ['$${a}', 1, true, null] });
  const marker = new (class Dependable {
    readonly fqn = 'helm_release.x';
  })();
  assert.equal(tfLiteral([marker])[0], marker);
  // A cdktf token inside a literal string survives and still resolves.
  const app = Testing.app();
  const stack = new TerraformStack(app, 's');
  new TerraformOutput(stack, 'o', { value: tfLiteral(`\${pre} ${Lazy.stringValue({ produce: () => 'lazy' })} %{post}`) });
  const synthesized = JSON.parse(Testing.synth(stack)) as { output: { o: { value: string } } };
  assert.equal(synthesized.output.o.value, '$${pre} lazy %%{post}');
  assert.equal(firstTemplateSequence('ok $${x} %%{y}'), -1);
  assert.equal(firstTemplateSequence('$$${x}'), -1);
  assert.equal(firstTemplateSequence('a ${x}'), 2);
  assert.equal(firstTemplateSequence('%{x}'), 0);
  assert.throws(() => templateText('x ${y}'), /would be evaluated/);
});

for (const env of envs) {
  test(`${env.name}: no string of cdk.tf.json holds a sequence OpenTofu would evaluate (outside depends_on)`, () => {
    const all = strings(stackJson(env.name));
    assert.ok(all.length > 100, `${all.length} strings`);
    const bad = all.filter((s) => firstTemplateSequence(s.value) >= 0);
    assert.deepEqual(bad.map((s) => `${s.path}: ${s.value.slice(firstTemplateSequence(s.value), firstTemplateSequence(s.value) + 30)}`), []);
  });
}

test('OpenTofu evaluates every string of every environment to the text mlobs rendered', () => {
  const all = envs.flatMap((e) => strings(stackJson(e.name)).map((s) => ({ ...s, env: e.name })));
  // Strings with a `$` or `%` are the ones a template could change; the others are evaluated too, as a control.
  const candidates = all.filter((s) => /[$%]/.test(s.value));
  const controls = all.filter((s) => !/[$%]/.test(s.value)).slice(0, 50);
  const checked = [...candidates, ...controls];
  const evaluated = evaluateStrings(checked.map((s) => s.value));
  let templated = 0;
  checked.forEach((s, i) => {
    if (s.value !== evaluated[i]) templated++;
    assert.equal(evaluated[i], unescapeTemplateText(s.value), `${s.env} ${s.path}`);
  });
  assert.ok(templated > 0, 'some strings carry escapes (the Alloy config does)');
  // The Alloy configuration reaches the cluster with its Go-template references intact.
  const dev = stackJson('dev') as { resource: { kubernetes_config_map_v1: Record<string, { data: Record<string, string> }> } };
  const alloy = Object.values(dev.resource.kubernetes_config_map_v1).flatMap((c) => Object.values(c.data)).find((d) => d.includes('loki.process'));
  assert.ok(alloy, 'dev has an Alloy configuration ConfigMap');
  const [alloyEvaluated] = evaluateStrings([alloy]);
  assert.match(alloyEvaluated ?? '', /\$\{3\}-01-\$\{1\}T\$\{2\}/);
});

test("OpenTofu reads each release's values back as exactly the values the construct rendered", () => {
  for (const e of envs) {
    const { stack, tf } = synthEnvironment(loadEnvironmentFile(e.name), e.name);
    const releases = Object.values((tf.resource?.helm_release ?? {}) as Record<string, { name: string; values?: string[] }>).filter((r) => r.values?.[0]);
    const evaluated = evaluateStrings(releases.map((r) => r.values?.[0] as string));
    const pinned = new Map<string, PinnedRelease>();
    for (const c of stack.node.findAll()) if (c instanceof PinnedRelease) pinned.set(c.releaseName, c);
    assert.ok(pinned.size >= 3, `${e.name}: ${pinned.size} pinned releases`);
    releases.forEach((r, i) => {
      const construct = pinned.get(r.name);
      assert.ok(construct, `${e.name}: release ${r.name} comes from a PinnedRelease`);
      assert.deepEqual(parse(evaluated[i] ?? '', { version: '1.1' }), JSON.parse(JSON.stringify(construct.values)), `${e.name} ${r.name}`);
    });
  }
});

test('a hostile kubeconfig context or backend path is literal text for OpenTofu, not an expression', () => {
  const hostile = '${file("/etc/hostname")}%{ if true }x%{ endif }';
  const { tf } = synthEnvironment({ ...MINIMAL_INPUT, cluster: { kubeconfig: { path: './kube$%{x}', context: hostile } }, backend: { type: 'local', path: 'state/${x}.tfstate' } });
  const provider = (tf.provider?.kubernetes?.[0] ?? {}) as { config_context?: string; config_path?: string };
  const backend = (tf.terraform?.backend as { local: { path: string } }).local.path;
  const [context, configPath, statePath] = evaluateStrings([provider.config_context ?? '', provider.config_path ?? '', backend]);
  assert.equal(context, hostile);
  assert.equal(configPath, './kube$%{x}');
  assert.equal(statePath, '../../../state/${x}.tfstate');
});

/** Every string leaf of a config input, with its path. */
function stringPaths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof v === 'string') return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringPaths(x, [...at, i]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => stringPaths(x, [...at, k]));
  return [];
}

function setAt(root: unknown, p: readonly (string | number)[], value: string): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (const k of p.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  cur[p[p.length - 1] as string | number] = value;
  return copy;
}

test('template sequences planted in every string field of every environment never reach cdk.tf.json unescaped', () => {
  const PLANT = '${file("/etc/hostname")}%{ if true }x%{ endif }';
  let accepted = 0;
  let refused = 0;
  for (const e of envs) {
    const input = loadEnvironmentFile(e.name) as unknown;
    let planted = input;
    for (const p of stringPaths(input)) {
      const candidate = setAt(planted, p, `${String(p.reduce((v: unknown, k) => (v as Record<string | number, unknown>)[k], input))}${PLANT}`);
      try {
        parseEnvironment(e.name, candidate as EnvironmentInput);
        planted = candidate;
        accepted++;
      } catch {
        refused++; // the schema refuses the sequence in this field: nothing can reach Terraform
      }
    }
    const { tf } = synthEnvironment(planted as EnvironmentInput, e.name);
    const bad = strings(tf).filter((s) => firstTemplateSequence(s.value) >= 0);
    assert.deepEqual(bad.map((s) => s.path), [], `${e.name}: unescaped template sequences`);
    // The planted text did reach the configuration (escaped), so the check above had something to find.
    assert.ok(JSON.stringify(tf).includes('$${file(\\"/etc/hostname\\")}%%{ if true }'), `${e.name}: the planted text is in cdk.tf.json`);
  }
  assert.ok(accepted > 0, 'some fields take free text (e.g. the kubeconfig context)');
  process.stdout.write(`# planted fields: ${accepted} accepted and escaped, ${refused} refused by the schema\n`);
});
