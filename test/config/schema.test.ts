import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadEnvironmentFile, loadEnvironments, parseEnvironment } from '../../config';
import { renderJsonSchema, JSON_SCHEMA_PATH } from '../../config/emit-json-schema';
import { REPO_ROOT } from '../helpers/paths';
import { parse as parseYaml } from 'yaml';
import { commonConfig } from '../../constructs/core/common';

const CONFIG_DIR = path.join(REPO_ROOT, 'config');
const VALID = 'grafana:\n  adminCredentials:\n    secretName: grafana-admin\n';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-config-'));
}

/** Writes `files` into a fresh directory and returns the ConfigError message of loading it. */
function loadError(files: Record<string, string | Buffer>): string {
  const dir = tmpDir();
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  try {
    loadEnvironments(dir, 'config');
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.message;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.fail('expected the config to be rejected');
}

test('the shipped environments load with defaults applied', () => {
  const envs = loadEnvironments(CONFIG_DIR);
  assert.deepEqual(
    envs.map((e) => e.name),
    ['dev', 'prod', 'staging'],
  );
  const dev = envs.find((e) => e.name === 'dev');
  assert.equal(dev?.settings.logs.collector, 'alloy');
  assert.equal(dev?.settings.tls.certificate.duration, '2160h');
  assert.equal(dev?.settings.cluster.kubeconfig.path, '~/.kube/config');
});

test('an empty file gets every documented default', () => {
  const env = parseEnvironment('qa', { grafana: { adminCredentials: { secretName: 'g' } } });
  const s = env.settings;
  assert.equal(s.namespace, 'mlobs');
  assert.deepEqual(s.logs.pipelines, ['loki']);
  assert.equal(s.gpu.exporter, 'bundled');
  assert.equal(s.backend.type, 'local');
  assert.equal(s.retention.prometheus.time, '15d');
  assert.equal(s.retention.loki.period, '744h');
  assert.equal(s.retention.elasticsearch.delete.minAge, '30d');
  assert.equal(s.tls.enabled, false);
  assert.equal(s.prometheus.replicas, 1);
  assert.equal(s.prometheus.storage.sizeGiB, 50);
  assert.equal(s.grafana.adminCredentials.passwordKey, 'admin-password');
  assert.equal(s.certManager.install, true);
});

test('a misspelled key is an error that suggests the right one', () => {
  const msg = loadError({ 'staging.yaml': VALID + 'retension:\n  prometheus: {}\n' });
  assert.match(msg, /^config\/staging\.yaml: retension: unknown key \(did you mean "retention"\?\); allowed keys here: .*retention/m);
});

test('a misspelled nested key names the full path', () => {
  const msg = loadError({ 'staging.yaml': VALID + 'retention:\n  prometheus:\n    tme: 30d\n' });
  assert.match(msg, /config\/staging\.yaml: retention\.prometheus\.tme: unknown key \(did you mean "time"\?\); allowed keys here: time, sizeGiB \(line 6\)/);
});

test('a bad duration names file, field, value and the allowed form', () => {
  const msg = loadError({ 'staging.yaml': VALID + 'retention:\n  prometheus:\n    time: 30 days\n' });
  assert.match(msg, /config\/staging\.yaml: retention\.prometheus\.time: "30 days" is not a duration; use a number and unit, like "30d" or "720h" \(line 6\)/);
  assert.equal(msg.split('\n').length, 1, 'one problem, reported once');
});

test('a wrong enum value lists the allowed values', () => {
  const msg = loadError({ 'dev.yaml': VALID + 'logs:\n  collector: fluentd\n' });
  assert.match(msg, /config\/dev\.yaml: logs\.collector: "fluentd" is not allowed; use one of "alloy", "promtail"/);
  const msg2 = loadError({ 'dev.yaml': VALID + 'gpu:\n  exporter: dcgm\n' });
  assert.match(msg2, /gpu\.exporter: "dcgm" is not allowed; use one of "bundled", "gpu-operator", "none"/);
  const msg3 = loadError({ 'dev.yaml': VALID + 'backend:\n  type: azurerm\n' });
  assert.match(msg3, /backend\.type: "azurerm" is not allowed; use one of "local", "kubernetes", "s3", "gcs"/);
});

test('a missing secret reference says what to write', () => {
  const msg = loadError({ 'dev.yaml': 'namespace: mlobs\n' });
  assert.match(msg, /config\/dev\.yaml: grafana: is required .*please set: grafana: \{ adminCredentials: \{ secretName: grafana-admin \} \}/);
  const msg2 = loadError({ 'dev.yaml': 'grafana: {}\n' });
  assert.match(msg2, /config\/dev\.yaml: grafana\.adminCredentials: is required \(an existing Secret, never a literal password\)/);
});

test('a negative size is rejected', () => {
  const msg = loadError({ 'dev.yaml': VALID + 'prometheus:\n  storage:\n    sizeGiB: -5\n' });
  assert.match(msg, /config\/dev\.yaml: prometheus\.storage\.sizeGiB: -5 must be greater than 0/);
});

test('numbers where strings belong and strings where numbers belong', () => {
  const msg = loadError({ 'dev.yaml': VALID + 'prometheus:\n  replicas: "2"\n  resources:\n    requests: {cpu: 2, memory: 4Gi}\n    limits: {memory: 4Gi}\n' });
  assert.match(msg, /prometheus\.replicas: expected a number, received string "2"/);
  assert.match(msg, /prometheus\.resources\.requests\.cpu: 2 must be a string quantity; quote it/);
});

test('several errors in one file are reported together, each on its own line', () => {
  const msg = loadError({ 'dev.yaml': 'retension: {}\nlogs:\n  collector: x\nprometheus:\n  storage:\n    sizeGiB: 0\n' });
  const lines = msg.split('\n');
  assert.ok(lines.length >= 4, msg);
  assert.ok(lines.every((l) => l.startsWith('config/dev.yaml: ')), msg);
});

test('errors from several files are reported together', () => {
  const msg = loadError({ 'a.yaml': VALID + 'namespace: Bad_NS\n', 'b.yaml': VALID + 'tls:\n  enabled: yes-please\n' });
  assert.match(msg, /config\/a\.yaml: namespace: "Bad_NS" is not a valid Kubernetes name/);
  assert.match(msg, /config\/b\.yaml: tls\.enabled: expected true or false, received string "yes-please"/);
});

test('cross-field contradictions are errors with the config to write', () => {
  assert.match(loadError({ 'dev.yaml': VALID + 'tls:\n  enabled: true\n' }), /config\/dev\.yaml: tls\.issuer: is required when tls\.enabled is true; please set: tls\.issuer: \{ kind: selfSigned \}/);
  assert.match(
    loadError({ 'dev.yaml': VALID + 'retention:\n  elasticsearch:\n    rollover: {maxAge: 7d}\n    delete: {minAge: 1d}\n' }),
    /retention\.elasticsearch\.delete\.minAge: "1d" must be longer than the rollover age "7d"/,
  );
  assert.match(
    loadError({ 'dev.yaml': VALID + 'retention:\n  prometheus: {sizeGiB: 80}\nprometheus:\n  storage: {sizeGiB: 50}\n' }),
    /retention\.prometheus\.sizeGiB: 80 is larger than the volume \(prometheus\.storage\.sizeGiB: 50\)/,
  );
  assert.match(loadError({ 'dev.yaml': VALID + 'logs:\n  pipelines: [elastic]\n  collector: promtail\n' }), /logs\.collector: "promtail" only ships to Loki/);
});

test('an environment name that is not a valid stack and Kubernetes name is an error', () => {
  assert.match(loadError({ 'Prod_EU.yaml': VALID }), /config\/Prod_EU\.yaml: the file name "Prod_EU" is not a valid environment name/);
  assert.match(loadError({ 'a-very-long-environment-name-x.yaml': VALID }), /is not a valid environment name/);
});

test('two files for one environment are an error', () => {
  assert.match(loadError({ 'dev.yaml': VALID, 'dev.yml': VALID }), /config\/dev\.yml: defines environment "dev" again \(already defined by config\/dev\.yaml\)/);
});

test('hostile files: YAML alias bomb, non-UTF-8, huge, duplicate keys, not a mapping, absolute state path', () => {
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
  assert.match(loadError({ 'dev.yaml': bomb }), /config\/dev\.yaml: could not be read: .*aliases are limited to 50/);
  assert.match(loadError({ 'dev.yaml': Buffer.from([0x6e, 0x61, 0x6d, 0xff, 0xfe, 0x0a]) }), /config\/dev\.yaml: is not valid UTF-8 text/);
  assert.match(loadError({ 'dev.yaml': VALID + '#'.repeat(300 * 1024) }), /config\/dev\.yaml: is \d+ bytes; environment files are limited to 262144 bytes/);
  assert.match(loadError({ 'dev.yaml': VALID + 'namespace: a\nnamespace: b\n' }), /config\/dev\.yaml: is not valid YAML: Map keys must be unique \(line \d+\)/);
  assert.match(loadError({ 'dev.yaml': '- a\n- b\n' }), /config\/dev\.yaml: must be a mapping of settings/);
  assert.match(loadError({ 'dev.yaml': VALID + 'backend:\n  type: local\n  path: /var/state/x.tfstate\n' }), /backend\.path: "\/var\/state\/x\.tfstate" must be a relative path/);
});

test('YAML 1.1 booleans are not silently turned into true/false', () => {
  // YAML 1.2 reads `on` as a string; our schema then rejects it where a boolean is expected.
  assert.match(loadError({ 'dev.yaml': VALID + 'tls:\n  enabled: on\n' }), /tls\.enabled: expected true or false, received string "on"/);
});

test('loadEnvironmentFile reports the file as named', () => {
  const dir = tmpDir();
  const f = path.join(dir, 'qa.yaml');
  fs.writeFileSync(f, VALID);
  assert.equal(loadEnvironmentFile(f, 'config/qa.yaml').name, 'qa');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('config/schema.json is generated from the zod schema and up to date', () => {
  const current = fs.readFileSync(JSON_SCHEMA_PATH, 'utf8');
  assert.equal(current, renderJsonSchema(), 'config/schema.json is stale: run npm run schema');
  const schema = JSON.parse(current) as { properties: Record<string, { description?: string }>; additionalProperties?: boolean };
  assert.equal(schema.additionalProperties, false, 'unknown keys must be flagged by editors too');
  assert.match(schema.properties.logs?.description ?? '', /log pipelines/);
});

test('every environment file references the JSON schema for editor completion', () => {
  for (const f of fs.readdirSync(CONFIG_DIR).filter((n) => n.endsWith('.yaml'))) {
    assert.match(fs.readFileSync(path.join(CONFIG_DIR, f), 'utf8'), /^# yaml-language-server: \$schema=\.\/schema\.json$/m, f);
  }
});

test('agentsNamespace: defaults to <namespace>-agents; refused when it is the stack namespace, reserved, or the default would be too long', () => {
  assert.equal(parseEnvironment('dev', { ...parseYaml(VALID), namespace: 'team-a' }).settings.agentsNamespace, undefined);
  assert.match(loadError({ 'dev.yaml': VALID + 'namespace: mlobs\nagentsNamespace: mlobs\n' }), /config\/dev\.yaml: agentsNamespace: "mlobs" is the stack namespace too/);
  assert.match(loadError({ 'dev.yaml': VALID + 'agentsNamespace: kube-system\n' }), /agentsNamespace: .*reserved by Kubernetes/);
  const long = 'n'.repeat(58);
  assert.match(loadError({ 'dev.yaml': VALID + `namespace: ${long}\n` }), /namespace: .* leaves no room for the default agents namespace .* \(65 characters, a namespace name has at most 63\): shorten namespace to 56 characters or set agentsNamespace/);
  assert.equal(parseEnvironment('dev', { ...parseYaml(VALID), namespace: long, agentsNamespace: 'agents' }).settings.agentsNamespace, 'agents');
});

test('commonConfig: the agents namespace defaults to <namespace>-agents and must be a valid namespace other than the stack one', () => {
  assert.equal(commonConfig({ environment: 't' }).agentsNamespace, 'mlobs-agents');
  assert.equal(commonConfig({ environment: 't', namespace: 'team-a' }).agentsNamespace, 'team-a-agents');
  assert.equal(commonConfig({ environment: 't', agentsNamespace: 'agents' }).agentsNamespace, 'agents');
  assert.throws(() => commonConfig({ environment: 't', namespace: 'x', agentsNamespace: 'x' }), /agentsNamespace: must differ from the stack namespace/);
  assert.throws(() => commonConfig({ environment: 't', namespace: 'n'.repeat(58) }), /agentsNamespace: "n{58}-agents" is not a valid namespace name .*; it is the default for namespace/);
});
