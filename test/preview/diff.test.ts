/**
 * The preview differ on small fixtures: values key paths, chart bumps, replacements,
 * redaction, and the ten-line budget for a one-key change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffEnvironment, diffValues, environmentMarkdown, type ManifestObject, type SynthesizedEnvironment } from '../../cli/preview/diff';
import { configDirFor } from '../../cli/preview/synthesize';

interface Release {
  readonly chart: string;
  readonly version?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly values?: string;
}

function stack(resources: Readonly<Record<string, Release>>, manifests: readonly ManifestObject[] = []): SynthesizedEnvironment {
  const helm: Record<string, { chart: string; name: string; namespace: string; version: string; values: string[]; '//': { metadata: { path: string } } }> = {};
  for (const [id, r] of Object.entries(resources)) {
    helm[id] = {
      '//': { metadata: { path: `dev/mlobs/${id}` } },
      chart: r.chart,
      name: r.name ?? id,
      namespace: r.namespace ?? 'mlobs',
      version: r.version ?? '1.0.0',
      values: [r.values ?? ''],
    };
  }
  return { stack: { resource: { helm_release: helm } }, manifests };
}

const METRICS_VALUES = 'prometheus:\n  prometheusSpec:\n    retention: 7d\n    retentionSize: 15GiB\n    replicas: 1\ngrafana:\n  enabled: true\n';

test('a values key change is one line with its key path, old → new', () => {
  const base = stack({ metrics: { chart: 'kube-prometheus-stack', values: METRICS_VALUES } });
  const head = stack({ metrics: { chart: 'kube-prometheus-stack', values: METRICS_VALUES.replace('retention: 7d', 'retention: 14d') } });
  const env = diffEnvironment('dev', base, head);
  assert.equal(env.status, 'changed');
  assert.equal(env.resources.length, 1);
  assert.deepEqual(env.resources[0]!.values, [{ path: 'prometheus.prometheusSpec.retention', old: '7d', new: '14d', redacted: false }]);
  const md = environmentMarkdown(env);
  assert.equal(md.filter((l) => l.includes('prometheus.prometheusSpec.retention')).length, 1);
  assert.ok(md.includes('  - `prometheus.prometheusSpec.retention`: `7d` → `14d`'), md.join('\n'));
});

test('a one-key values change renders at most ten lines for the environment', () => {
  const big = Array.from({ length: 200 }, (_, i) => `key${i}: value${i}`).join('\n') + '\n' + METRICS_VALUES;
  const base = stack({ metrics: { chart: 'kube-prometheus-stack', values: big }, loki: { chart: 'loki', values: 'a: 1\n' } });
  const head = stack({ metrics: { chart: 'kube-prometheus-stack', values: big.replace('replicas: 1', 'replicas: 2') }, loki: { chart: 'loki', values: 'a: 1\n' } });
  const md = environmentMarkdown(diffEnvironment('dev', base, head));
  assert.ok(md.length <= 10, `expected at most 10 lines, got ${md.length}:\n${md.join('\n')}`);
  assert.ok(md.some((l) => l.includes('`prometheus.prometheusSpec.replicas`: `1` → `2`')), md.join('\n'));
});

test('YAML 1.1 as Helm reads it: an unquoted "on" is a boolean', () => {
  const base = stack({ r: { chart: 'x', values: 'flag: on\n' } });
  const head = stack({ r: { chart: 'x', values: 'flag: off\n' } });
  assert.deepEqual(diffEnvironment('dev', base, head).resources[0]!.values, [{ path: 'flag', old: true, new: false, redacted: false }]);
});

test('a chart version bump is called out', () => {
  const base = stack({ loki: { chart: 'loki', version: '6.30.0', values: 'a: 1\n' } });
  const head = stack({ loki: { chart: 'loki', version: '6.31.1', values: 'a: 1\n' } });
  const env = diffEnvironment('dev', base, head);
  assert.deepEqual(env.resources[0]!.chartBump, { chart: 'loki', from: '6.30.0', to: '6.31.1' });
  assert.ok(environmentMarkdown(env).includes('  - **chart bump** loki: `6.30.0` → `6.31.1`'));
});

test('a stateful release removed while one of its type appears is a loud destroy-and-recreate', () => {
  const base = stack({ mlobs_loki_release_AAAA: { chart: 'loki', name: 'loki' } });
  const head = stack({ mlobs_logs_loki_release_BBBB: { chart: 'loki', name: 'loki' } });
  const env = diffEnvironment('dev', base, head);
  assert.deepEqual(env.resources.map((r) => `${r.action} ${r.address}`), ['remove helm_release.mlobs_loki_release_AAAA', 'add helm_release.mlobs_logs_loki_release_BBBB']);
  assert.equal(env.replacements.length, 1);
  assert.equal(env.replacements[0]!.stateful, true);
  const md = environmentMarkdown(env).join('\n');
  assert.match(md, /DESTROY AND RECREATE, DATA LOSS\*\*: helm_release\.mlobs_loki_release_AAAA is destroyed and helm_release\.mlobs_logs_loki_release_BBBB created .*moved/);
});

test('a changed release name forces replacement', () => {
  const base = stack({ es: { chart: 'eck-operator', name: 'elastic-operator' } });
  const head = stack({ es: { chart: 'eck-operator', name: 'eck-operator' } });
  const env = diffEnvironment('dev', base, head);
  assert.equal(env.resources[0]!.action, 'replace');
  assert.match(environmentMarkdown(env).join('\n'), /destroy and recreate\*\*: helm_release\.es is replaced: name "elastic-operator" → "eck-operator" forces replacement/);
});

test('a renamed Elasticsearch custom resource is a data-loss replacement; changed fields are listed', () => {
  const es = (name: string, count: number): ManifestObject => ({ apiVersion: 'elasticsearch.k8s.elastic.co/v1', kind: 'Elasticsearch', metadata: { name, namespace: 'mlobs' }, spec: { nodeSets: [{ name: 'default', count }] } });
  const renamed = diffEnvironment('dev', stack({}, [es('mlobs', 1)]), stack({}, [es('logs', 1)]));
  assert.equal(renamed.replacements.length, 1);
  assert.match(renamed.replacements[0]!.message, /Elasticsearch mlobs\/mlobs is deleted and Elasticsearch mlobs\/logs created: its data is lost/);
  const scaled = diffEnvironment('dev', stack({}, [es('mlobs', 1)]), stack({}, [es('mlobs', 3)]));
  assert.deepEqual(scaled.manifests[0]!.fields, [{ path: 'spec.nodeSets[name=default].count', old: 1, new: 3, redacted: false }]);
  assert.equal(scaled.replacements.length, 0);
});

test('sensitive values are redacted; secret references show their names', () => {
  const changes = diffValues(
    { adminPassword: 'hunter2', auth: { token: 'abc' }, existingSecret: 'grafana-admin', env: [{ valueFrom: { secretKeyRef: { name: 'es-creds', key: 'password' } } }], password_file: '/run/a' },
    { adminPassword: 'hunter3', auth: { token: 'abd' }, existingSecret: 'grafana-admin-2', env: [{ valueFrom: { secretKeyRef: { name: 'es-creds-2', key: 'password' } } }], password_file: '/run/b' },
  );
  assert.deepEqual(changes, [
    { path: 'adminPassword', old: '(redacted)', new: '(redacted)', redacted: true },
    { path: 'auth.token', old: '(redacted)', new: '(redacted)', redacted: true },
    { path: 'existingSecret', old: 'grafana-admin', new: 'grafana-admin-2', redacted: false },
    { path: 'env[0].valueFrom.secretKeyRef.name', old: 'es-creds', new: 'es-creds-2', redacted: false },
    { path: 'password_file', old: '/run/a', new: '/run/b', redacted: false },
  ]);
  const secret = (v: string): ManifestObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'mlobs' }, stringData: { config: v } });
  const md = environmentMarkdown(diffEnvironment('dev', stack({}, [secret('one')]), stack({}, [secret('two')]))).join('\n');
  assert.ok(md.includes('`stringData.config`: `(redacted)` → `(redacted)`'), md);
  assert.ok(!md.includes('one') && !md.includes('two'), md);
});

test('an unchanged environment is one line', () => {
  const s = stack({ loki: { chart: 'loki', values: METRICS_VALUES } });
  assert.deepEqual(environmentMarkdown(diffEnvironment('prod', s, s)), ['### prod: no changes']);
});

test("the generated chart's release is an in-place change when its content changes (as the real plan shows it)", () => {
  const cr = (retention: string): ManifestObject => ({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'r', namespace: 'mlobs' }, spec: { note: retention } });
  const base = stack({ resources: { chart: './charts/mlobs-resources-3869d80b4ec9', version: '0.1.0-h3869d80b4ec9' } }, [cr('7d')]);
  const head = stack({ resources: { chart: './charts/mlobs-resources-b062807f115c', version: '0.1.0-hb062807f115c' } }, [cr('14d')]);
  const env = diffEnvironment('dev', base, head);
  assert.deepEqual(
    env.resources.map((r) => [r.address, r.action]),
    [['helm_release.resources', 'change']],
  );
  assert.deepEqual(env.resources[0]!.fields, [{ path: 'version', old: '0.1.0-h3869d80b4ec9', new: '0.1.0-hb062807f115c', redacted: false }]);
  assert.equal(env.manifests.length, 1);
  assert.match(environmentMarkdown(env)[0] ?? '', /0 to add, 1 to change/);
  // Unchanged content: no change at all.
  assert.equal(diffEnvironment('dev', base, base).status, 'unchanged');
});

test('each ref gets its own config folder: an override inside the repository applies relative to each ref, one outside does not apply', () => {
  assert.deepEqual(configDirFor('/tmp/ref', '/repo', undefined), { dir: '/tmp/ref/config' });
  assert.deepEqual(configDirFor('/tmp/ref', '/repo', '/repo/envs/eu'), { dir: '/tmp/ref/envs/eu' });
  const outside = configDirFor('/tmp/ref', '/repo', '/etc/mlobs');
  assert.equal(outside.dir, '/tmp/ref/config');
  assert.match(outside.note ?? '', /MLOBS_CONFIG_DIR=\/etc\/mlobs is outside the repository; each ref is synthesized with its own config\//);
  assert.equal(configDirFor('/tmp/ref', '/repo', '/repo/../elsewhere').dir, '/tmp/ref/config');
});

test('destroying or replacing what a resource declares stateful is DATA LOSS: the namespace, the ECK operator, the custom-resource chart', () => {
  const declared = (type: string, body: Record<string, unknown>, reason: string): SynthesizedEnvironment['stack'] => ({
    resource: { [type]: { x: { '//': { metadata: { path: 'dev/x' }, 'mlobs-stateful': reason }, ...body } } },
  }) as SynthesizedEnvironment['stack'];
  const cases: [string, string, Record<string, string | string[] | Record<string, string>>][] = [
    ['kubernetes_namespace_v1', 'the namespace: destroying it deletes everything in it', { metadata: { name: 'mlobs' } }],
    ['helm_release', 'the ECK operator and its CRDs: removing them deletes every Elasticsearch resource', { name: 'elastic-operator', chart: 'eck-operator', version: '3.5.0', values: [''] }],
    ['helm_release', 'the custom-resource chart: every custom resource of the stack', { name: 'mlobs-resources', chart: './charts/mlobs-resources-0123456789ab', version: '0.1.0-h0123456789ab' }],
  ];
  for (const [type, reason, body] of cases) {
    const env = diffEnvironment('dev', { stack: declared(type, body, reason), manifests: [] }, { stack: { resource: {} }, manifests: [] });
    assert.equal(env.resources.length, 1);
    assert.equal(env.resources[0]!.stateful, true, `${type} ${String(body.name ?? '')}`);
    const md = environmentMarkdown(env).join('\n');
    assert.ok(md.includes(`\`${type}.x\``) && md.includes(`**DATA LOSS**: ${reason}`), md);
    // Renamed (destroyed and another created): the loud replacement line.
    const renamed = diffEnvironment('dev', { stack: declared(type, body, reason), manifests: [] }, { stack: { resource: { [type]: { y: { ...body } } } } as SynthesizedEnvironment['stack'], manifests: [] });
    assert.match(environmentMarkdown(renamed).join('\n'), /DESTROY AND RECREATE, DATA LOSS/);
  }
  // Without a declaration, a stateless release is a plain destroy.
  const plain = diffEnvironment('dev', stack({ alloy: { chart: 'alloy' } }), stack({}));
  assert.equal(plain.resources[0]!.stateful, false);
  assert.doesNotMatch(environmentMarkdown(plain).join('\n'), /DATA LOSS/);
});
