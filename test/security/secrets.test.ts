/**
 * Secrets never reach synthesized output or golden files. Every environment is synthesized in
 * a child process whose surroundings are full of planted secrets: sentinel values in the
 * Kubernetes Secrets a secret manager would create (fixture files), in environment variables,
 * and in the kubeconfig the environments point at. Then every file under cdktf.out (stack JSON,
 * generated charts, configs) and every golden file is scanned for those values and for
 * credential-looking literals. Also: every credential field of the config schema is a SecretRef.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../helpers/paths';

const SENTINEL = 'mlobs-SENTINEL-7f3a9c';
const sentinel = (what: string): string => `${SENTINEL}-${what}`;

/** Every Secret the shipped environments reference, with a sentinel value for each key. */
function plantedSecrets(): Record<string, Record<string, string>> {
  const secrets: Record<string, Record<string, string>> = {};
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (typeof o.name === 'string' && typeof o.key === 'string' && Object.keys(o).length === 2) {
        (secrets[o.name] ??= {})[o.key] = sentinel(`${o.name}-${o.key}`);
      }
      if (typeof o.secretName === 'string') {
        (secrets[o.secretName] ??= {})[String(o.userKey ?? 'admin-user')] = sentinel(`${o.secretName}-user`);
        secrets[o.secretName][String(o.passwordKey ?? 'admin-password')] = sentinel(`${o.secretName}-password`);
      }
      Object.values(o).forEach(visit);
    }
  };
  for (const f of fs.readdirSync(path.join(REPO_ROOT, 'config')).filter((n) => n.endsWith('.yaml'))) {
    visit(parse(fs.readFileSync(path.join(REPO_ROOT, 'config', f), 'utf8')));
  }
  // Secrets ECK generates in-cluster (the elastic user) would hold this too.
  secrets['mlobs-es-elastic-user'] = { elastic: sentinel('elastic-user') };
  // The stack's own Elasticsearch users (basic-auth Secrets the team creates).
  for (const n of ['mlobs-es-grafana', 'mlobs-es-setup', 'mlobs-es-monitor']) secrets[n] = { username: sentinel(`${n}-username`), password: sentinel(`${n}-password`) };
  return secrets;
}

/** Literals that look like credentials, whatever file they are in. */
const CREDENTIAL_PATTERNS: readonly [string, RegExp][] = [
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['Slack token', /\bxox[abprs]-[A-Za-z0-9-]{10,}/],
  ['Slack webhook URL', /hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+/],
  ['credentials in a URL', /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"']+:[^/\s@"']+@/i],
  ['JWT', /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./],
  // A credential-named key holding a literal (not a reference, a file path, or an env var).
  ['literal password/token', /["']?\b(password|passwd|token|secret|api_key|apikey|routing_key|secret_access_key|bearer_token)["']?\s*[:=]\s*["']?(?![$<{]|\/|[A-Za-z_]*_FILE\b)[^\s"',}]{6,}/i],
];

/**
 * A reference to a Secret by name and key (`secret: <name>` then `key: <key>`, as charts take
 * them, e.g. extraEnvSecrets) names where a credential is, not the credential: it is set aside
 * before the patterns run. A lone `secret: <literal>` is still caught.
 */
const SECRET_REFERENCE = /\bsecret:\s*[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\\n|\n)\s*key:\s*[A-Za-z0-9._-]+/g;
const withoutSecretReferences = (line: string): string => line.replace(SECRET_REFERENCE, '<secret-reference>');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

function goldenFiles(): string[] {
  return filesUnder(path.join(REPO_ROOT, 'test')).filter((f) => f.split(path.sep).includes('golden'));
}

test('no planted secret value and no credential-looking literal in cdktf.out or the golden files', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-secrets-'));
  // The Secrets a secret manager would have created: only the test knows their values.
  const secrets = plantedSecrets();
  const manifests = Object.entries(secrets).map(([name, data]) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'mlobs' }, stringData: data }));
  fs.writeFileSync(path.join(root, 'secrets.yaml'), manifests.map((m) => stringify(m)).join('---\n'));
  // A kubeconfig with a token, at the path every environment is pointed at.
  const kubeconfig = path.join(root, 'kubeconfig');
  fs.writeFileSync(kubeconfig, stringify({ apiVersion: 'v1', kind: 'Config', users: [{ name: 'u', user: { token: sentinel('kube-token') } }] }));
  const configDir = path.join(root, 'config');
  fs.mkdirSync(configDir);
  for (const f of fs.readdirSync(path.join(REPO_ROOT, 'config')).filter((n) => n.endsWith('.yaml'))) {
    const env = parse(fs.readFileSync(path.join(REPO_ROOT, 'config', f), 'utf8')) as Record<string, Record<string, unknown>>;
    env.cluster = { ...(env.cluster ?? {}), kubeconfig: { ...((env.cluster?.kubeconfig as object) ?? {}), path: kubeconfig } };
    fs.writeFileSync(path.join(configDir, f), stringify(env));
  }
  const outdir = path.join(root, 'cdktf.out');
  const plantedEnv = {
    AWS_SECRET_ACCESS_KEY: sentinel('aws'),
    AWS_ACCESS_KEY_ID: 'AKIA' + 'SENTINEL00000000',
    GRAFANA_ADMIN_PASSWORD: sentinel('grafana-env'),
    ELASTIC_PASSWORD: sentinel('elastic-env'),
    SLACK_WEBHOOK_URL: `https://hooks.slack.com/services/T000/B000/${SENTINEL}`,
    KUBE_TOKEN: sentinel('kube-env'),
  };
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'stacks', 'main.js')], {
    env: { ...process.env, ...plantedEnv, MLOBS_CONFIG_DIR: configDir, CDKTF_OUTDIR: outdir, KUBECONFIG: kubeconfig },
    stdio: 'pipe',
  });

  const values = [...Object.values(secrets).flatMap((d) => Object.values(d)), ...Object.values(plantedEnv), sentinel('kube-token')];
  const scanned = [...filesUnder(outdir), ...goldenFiles()];
  assert.ok(scanned.some((f) => f.endsWith('cdk.tf.json')) && scanned.some((f) => f.includes(`${path.sep}charts${path.sep}`)), 'the scan covers stack JSON and generated charts');
  const findings: string[] = [];
  for (const f of scanned) {
    const text = fs.readFileSync(f, 'utf8');
    const where = path.relative(root, f).startsWith('..') ? path.relative(REPO_ROOT, f) : path.relative(root, f);
    if (text.includes(SENTINEL)) findings.push(`${where}: contains a planted secret value`);
    for (const v of values) if (text.includes(v)) findings.push(`${where}: contains ${v.slice(0, 24)}...`);
    text.split('\n').forEach((line, i) => {
      for (const [what, re] of CREDENTIAL_PATTERNS) if (re.test(withoutSecretReferences(line))) findings.push(`${where}:${i + 1}: ${what}: ${line.trim().slice(0, 120)}`);
    });
  }
  assert.deepEqual(findings, []);
  fs.rmSync(root, { recursive: true, force: true });
});

test('the scan finds what it is looking for (it can fail)', () => {
  const hits = (s: string) => CREDENTIAL_PATTERNS.filter(([, re]) => re.test(s)).map(([w]) => w);
  assert.deepEqual(hits('password: hunter2hunter2'), ['literal password/token']);
  assert.deepEqual(hits('"api_key": "0123456789abcdef"'), ['literal password/token']);
  assert.deepEqual(hits('url: https://admin:s3cret@es.example.com'), ['credentials in a URL']);
  assert.deepEqual(hits('-----BEGIN RSA PRIVATE KEY-----'), ['private key']);
  assert.deepEqual(hits('password_file: /etc/secrets/smtp'), []);
  assert.deepEqual(hits('password: ${ELASTIC_PASSWORD}'), []);
  assert.deepEqual(hits('passwordKey: admin-password'), []);
  // A Secret reference (name, then key) is not a credential; a lone literal is.
  assert.deepEqual(hits(withoutSecretReferences('ES_PASSWORD:\\n    secret: mlobs-es-monitor\\n    key: password')), []);
  assert.deepEqual(hits(withoutSecretReferences('secret: hunter2hunter2')), ['literal password/token']);
});

/** Property names that hold names of Secrets or keys, or non-secret settings (not credentials). */
const NOT_CREDENTIALS = new Set([
  'secretSuffix', // name suffix of the Terraform state Secret
  'accountKeySecretName', // Secret cert-manager writes the ACME account key into
  'keyId', // ACME EAB key id (public)
  'privateKeyAlgorithm',
  'adminCredentials', // { secretName, userKey, passwordKey }: names only
  'secretName',
  'userKey',
  'passwordKey',
  'credentials', // a union of SecretRefs or workload identity
  'serviceAccountAnnotations', // workload identity binding (a role ARN, not a secret)
  'authUsername', // SMTP user name
  'authEnabled',
  'key', // inside SecretRefs and tolerations: a key name
  'url', // a webhook URL; the schema refuses one that carries credentials (test/config/hostile.test.ts)
]);
const CREDENTIAL_NAME = /pass|secret|token|key|credential|apiurl|webhook/i;

test('every credential field of the config schema is a Secret reference', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'config', 'schema.json'), 'utf8')) as unknown;
  const offenders: string[] = [];
  const isSecretRef = (n: Record<string, unknown>): boolean => {
    const props = n.properties as Record<string, unknown> | undefined;
    return !!props && Object.keys(props).sort().join(',') === 'key,name' && n.additionalProperties === false;
  };
  const walk = (node: unknown, at: string): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    for (const [k, v] of Object.entries((n.properties as Record<string, unknown>) ?? {})) {
      const p = `${at}.${k}`;
      if (CREDENTIAL_NAME.test(k) && !NOT_CREDENTIALS.has(k) && !isSecretRef(v as Record<string, unknown>)) offenders.push(p);
      walk(v, p);
    }
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) (n[key] as unknown[] | undefined)?.forEach((x) => walk(x, at));
    if (n.items) walk(n.items, `${at}[]`);
    if (n.additionalProperties && typeof n.additionalProperties === 'object') walk(n.additionalProperties, `${at}.*`);
  };
  walk(schema, '');
  assert.deepEqual(offenders, [], 'credential-named fields that are not { name, key } Secret references');
  // And the check can fail: a plain-string password field is reported.
  const before = offenders.length;
  walk({ properties: { smtpPassword: { type: 'string' } } }, '<probe>');
  assert.deepEqual(offenders.slice(before), ['<probe>.smtpPassword']);
});
