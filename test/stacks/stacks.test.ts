import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { parse } from 'yaml';
import type { EnvironmentInput } from '../../config';
import { ConfigError } from '../../config';
import { synthesizeAll } from '../../stacks/app';
import { REPO_ROOT } from '../helpers/paths';
import { helmReleases, MINIMAL_INPUT, synthEnvironment, type TerraformJson } from '../helpers/synth';

const CONFIG_DIR = path.join(REPO_ROOT, 'config');

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function readStack(outdir: string, env: string): TerraformJson {
  return JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', env, 'cdk.tf.json'), 'utf8')) as TerraformJson;
}

/** Synthesizes the real config/ once for the tests below. */
const OUT = tmp('mlobs-out-');
const OUTDIR = path.join(OUT, 'cdktf.out');
synthesizeAll({ configDir: CONFIG_DIR, outdir: OUTDIR });

/** The issuer each shipped environment asks for, and the objects it takes to get it. */
const EXPECTED_ISSUER: Record<string, { ref: string; manifests: string[] }> = {
  dev: { ref: 'Issuer/mlobs-ca', manifests: ['issuer-mlobs-mlobs-selfsigned', 'certificate-mlobs-mlobs-ca', 'issuer-mlobs-mlobs-ca'] },
  staging: { ref: 'ClusterIssuer/corp-ca', manifests: [] },
  prod: { ref: 'Issuer/mlobs-acme', manifests: ['issuer-mlobs-mlobs-acme'] },
};

for (const env of ['dev', 'staging', 'prod']) {
  test(`${env}: one stack named after the environment with providers, backend, namespace, cert-manager and issuer`, () => {
    const tf = readStack(OUTDIR, env);
    const json = JSON.stringify(tf);
    assert.equal((tf['//'] as { metadata: { stackName: string } }).metadata.stackName, env);
    assert.ok(Testing.toHaveProvider(json, 'kubernetes'), 'kubernetes provider');
    assert.ok(Testing.toHaveProvider(json, 'helm'), 'helm provider');
    assert.ok(Testing.toHaveResourceWithProperties(json, 'kubernetes_namespace_v1', { metadata: { name: 'mlobs' } }), 'namespace');
    const releases = helmReleases(tf);
    const cm = releases.get('cert-manager');
    assert.equal(cm?.chart, 'cert-manager');
    assert.equal(cm?.version, 'v1.21.1');
    assert.equal(cm?.repository, 'https://charts.jetstack.io');
    const resources = releases.get('mlobs-resources');
    assert.ok(resources, 'the custom-resource chart release');
    assert.match(String(resources.chart), /^\.\/charts\/mlobs-resources-[0-9a-f]{12}$/);
    const chartDir = path.join(OUTDIR, 'stacks', env, String(resources.chart));
    assert.ok(fs.existsSync(path.join(chartDir, 'Chart.yaml')), 'the generated chart is written next to the stack');
    const expected = EXPECTED_ISSUER[env] as { ref: string; manifests: string[] };
    const written = fs.existsSync(path.join(chartDir, 'manifests')) ? fs.readdirSync(path.join(chartDir, 'manifests')).sort() : [];
    const names = written.map((f) => f.replace(/^\d{3}-|\.json$/g, ''));
    for (const m of expected.manifests) assert.ok(names.includes(m), `${m} missing from the chart: ${names.join(', ')}`);
    if (expected.manifests.length > 0) {
      assert.ok((resources.depends_on as string[]).some((d) => d.includes('cert-manager')), 'custom resources install after cert-manager');
    }
    const env0 = synthEnvironment(parse(fs.readFileSync(path.join(CONFIG_DIR, `${env}.yaml`), 'utf8')) as EnvironmentInput, env);
    const ref = env0.stack.observability.tls?.issuerRef;
    assert.equal(`${ref?.kind}/${ref?.name}`, expected.ref);
  });
}

test('each environment gets its own backend from config', () => {
  const dev = readStack(OUTDIR, 'dev').terraform as { backend: Record<string, Record<string, unknown>> };
  assert.deepEqual(dev.backend, { local: { path: '../../../terraform.dev.tfstate' } });
  const staging = readStack(OUTDIR, 'staging').terraform as { backend: Record<string, Record<string, unknown>> };
  assert.deepEqual(Object.keys(staging.backend), ['kubernetes']);
  assert.equal(staging.backend.kubernetes?.secret_suffix, 'mlobs-staging');
  assert.equal(staging.backend.kubernetes?.config_context, 'gpu-staging');
  const prod = readStack(OUTDIR, 'prod').terraform as { backend: Record<string, Record<string, unknown>> };
  assert.equal(prod.backend.s3?.bucket, 'acme-ml-terraform-state');
  assert.equal(prod.backend.s3?.use_lockfile, true);
  assert.equal(prod.backend.s3?.encrypt, true);
});

test('providers are pinned exactly and use the kubeconfig path and context from config', () => {
  const tf = readStack(OUTDIR, 'staging');
  const t = tf.terraform as { required_providers: Record<string, { version: string }> };
  assert.equal(t.required_providers.helm?.version, '3.0.2');
  assert.equal(t.required_providers.kubernetes?.version, '2.38.0');
  assert.deepEqual(tf.provider?.kubernetes?.[0], { config_context: 'gpu-staging', config_path: '~/.kube/config' });
  assert.deepEqual(tf.provider?.helm?.[0], { kubernetes: { config_context: 'gpu-staging', config_path: '~/.kube/config' } });
});

test('synthesis is deterministic and independent of the checkout location', () => {
  const other = path.join(tmp('mlobs-out2-'), 'elsewhere', 'cdktf.out');
  synthesizeAll({ configDir: CONFIG_DIR, outdir: other });
  for (const env of ['dev', 'staging', 'prod']) {
    const a = fs.readFileSync(path.join(OUTDIR, 'stacks', env, 'cdk.tf.json'), 'utf8');
    const b = fs.readFileSync(path.join(other, 'stacks', env, 'cdk.tf.json'), 'utf8');
    assert.equal(a, b, `${env} differs between two syntheses`);
    for (const needle of [REPO_ROOT, os.tmpdir(), os.homedir()]) {
      assert.ok(!a.includes(needle), `${env} contains the machine path ${needle}`);
    }
  }
});

test('adding config/<name>.yaml adds a stack with no code change', () => {
  const dir = tmp('mlobs-cfg-');
  for (const f of ['dev.yaml', 'staging.yaml', 'prod.yaml']) fs.copyFileSync(path.join(CONFIG_DIR, f), path.join(dir, f));
  fs.copyFileSync(path.join(CONFIG_DIR, 'dev.yaml'), path.join(dir, 'qa.yaml'));
  // A hyphenated name too: it must be valid everywhere the name flows (data stream names, tenants...).
  fs.copyFileSync(path.join(CONFIG_DIR, 'dev.yaml'), path.join(dir, 'qa-eu.yaml'));
  const out = path.join(tmp('mlobs-out3-'), 'cdktf.out');
  const envs = synthesizeAll({ configDir: dir, outdir: out });
  assert.deepEqual(
    envs.map((e) => e.name),
    ['dev', 'prod', 'qa', 'qa-eu', 'staging'],
  );
  const qa = readStack(out, 'qa');
  assert.equal((qa['//'] as { metadata: { stackName: string } }).metadata.stackName, 'qa');
  assert.deepEqual((qa.terraform as { backend: unknown }).backend, { local: { path: '../../../terraform.qa.tfstate' } });
});

test('a broken config fails before anything is written and leaves the previous output intact', () => {
  const dir = tmp('mlobs-cfg-');
  fs.copyFileSync(path.join(CONFIG_DIR, 'dev.yaml'), path.join(dir, 'dev.yaml'));
  fs.writeFileSync(path.join(dir, 'staging.yaml'), 'retention:\n  prometheus:\n    time: 30 days\n');
  const parent = tmp('mlobs-out4-');
  const out = path.join(parent, 'cdktf.out');
  // First: nothing existed, nothing may appear.
  assert.throws(() => synthesizeAll({ configDir: dir, outdir: out }), (e: unknown) => e instanceof ConfigError && /staging\.yaml: retention\.prometheus\.time: "30 days" is not a duration/.test(e.message));
  assert.deepEqual(fs.readdirSync(parent), [], 'no partial cdktf.out and no temp directory left');
  // Then: a previous good output survives a failed run unchanged.
  fs.copyFileSync(path.join(CONFIG_DIR, 'staging.yaml'), path.join(dir, 'staging.yaml'));
  synthesizeAll({ configDir: dir, outdir: out });
  const before = fs.readFileSync(path.join(out, 'stacks', 'dev', 'cdk.tf.json'), 'utf8');
  fs.writeFileSync(path.join(dir, 'staging.yaml'), 'logs: {collector: fluentd}\n');
  assert.throws(() => synthesizeAll({ configDir: dir, outdir: out }), ConfigError);
  assert.equal(fs.readFileSync(path.join(out, 'stacks', 'dev', 'cdk.tf.json'), 'utf8'), before);
  assert.deepEqual(fs.readdirSync(path.join(out, 'stacks')).sort(), ['dev', 'staging']);
  assert.deepEqual(fs.readdirSync(parent), ['cdktf.out']);
});

test('a removed environment disappears from the output (no stale stacks)', () => {
  const dir = tmp('mlobs-cfg-');
  fs.copyFileSync(path.join(CONFIG_DIR, 'dev.yaml'), path.join(dir, 'dev.yaml'));
  fs.copyFileSync(path.join(CONFIG_DIR, 'dev.yaml'), path.join(dir, 'qa.yaml'));
  const out = path.join(tmp('mlobs-out5-'), 'cdktf.out');
  synthesizeAll({ configDir: dir, outdir: out });
  fs.rmSync(path.join(dir, 'qa.yaml'));
  synthesizeAll({ configDir: dir, outdir: out });
  assert.deepEqual(fs.readdirSync(path.join(out, 'stacks')), ['dev']);
});

test('TLS off: no cert-manager and no issuer', () => {
  const { tf, customResources } = synthEnvironment({ ...MINIMAL_INPUT });
  assert.equal(helmReleases(tf).has('cert-manager'), false);
  const certManagerKinds = customResources.filter((m) => m.apiVersion.startsWith('cert-manager.io/'));
  assert.deepEqual(certManagerKinds, [], 'no Issuer or Certificate without TLS');
});

test('certManager.install: false reuses the cluster cert-manager but still creates the issuer', () => {
  // (no collector hop over TLS: with one, the agents namespace needs a ClusterIssuer, refused without the stack's cert-manager; see tls.test.ts)
  const { tf, customResources } = synthEnvironment({ ...MINIMAL_INPUT, tls: { enabled: true, issuer: { kind: 'selfSigned' }, hops: { loki: false, collectors: false } }, certManager: { install: false } });
  assert.equal(helmReleases(tf).has('cert-manager'), false);
  // The issuer chain, in order (other components add their own resources around it).
  assert.deepEqual(
    customResources
      .filter((m) => m.apiVersion.startsWith('cert-manager.io/'))
      .map((m) => `${m.kind}/${m.metadata.name}`)
      .filter((id) => id.startsWith('Issuer/') || id === 'Certificate/mlobs-ca'),
    ['Issuer/mlobs-selfsigned', 'Certificate/mlobs-ca', 'Issuer/mlobs-ca'],
  );
});

test('cert-manager replicas > 1 turn on disruption budgets for every cert-manager component', () => {
  const { tf } = synthEnvironment({ ...MINIMAL_INPUT, tls: { enabled: true, issuer: { kind: 'selfSigned' } }, certManager: { replicas: 2 } });
  const r = helmReleases(tf).get('cert-manager');
  const values = String((r?.values as string[])[0]);
  assert.match(values, /^replicaCount: 2$/m);
  assert.match(values, /^podDisruptionBudget:\n {2}enabled: true\n {2}minAvailable: 1$/m);
  assert.match(values, /^webhook:\n {2}replicaCount: 2$/m);
});
