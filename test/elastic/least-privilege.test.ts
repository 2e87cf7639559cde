/**
 * Least privilege on the Elastic side (issue 17 item 4): Grafana and the setup Job read and write
 * as their own users (ECK file realm, roles the stack defines), nothing the stack runs uses the
 * `elastic` superuser; Kibana gets an Ingress with TLS where the `ui` hop asks for it; the
 * `tls.hops.elasticsearch` switch that did nothing is gone with a clear error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { parseEnvironment } from '../../config/load';
import { ConfigError } from '../../config';
import { ES_USER_ROLES } from '../../constructs/elastic/settings';
import type { KubeManifest } from '../../constructs/core/manifest';
import { MINIMAL_INPUT, synthEnvironment } from '../helpers/synth';
import { validateBuiltinObject } from '../helpers/builtin-contract';
import { isAllowed, policiesOf } from '../network/helpers';
import { loadEnvironmentFile } from '../metrics/env-files';
import { templateText } from '../../constructs/core/terraform-literal';

const prod = synthEnvironment(loadEnvironmentFile('prod'), 'prod');

test('the stack\'s own roles: a reader of the ML data streams and a setup role without index writes or superuser privileges', () => {
  const secret = prod.customResources.find((m) => m.kind === 'Secret' && m.metadata.name === 'mlobs-es-roles') as (KubeManifest & { data: Record<string, string> }) | undefined;
  assert.ok(secret);
  assert.deepEqual(validateBuiltinObject(secret), []);
  const roles = parse(Buffer.from(secret.data['roles.yml'] ?? '', 'base64').toString('utf8')) as Record<string, { cluster: string[]; indices: { names: string[]; privileges: string[] }[] }>;
  assert.deepEqual(Object.keys(roles).sort(), ['mlobs_monitor', 'mlobs_reader', 'mlobs_setup']);
  assert.deepEqual(roles['mlobs_monitor'], { cluster: ['monitor'], indices: [{ names: ['*'], privileges: ['monitor'] }] });
  assert.deepEqual(roles['mlobs_reader']?.indices, [{ names: ['logs-ml-*'], privileges: ['read', 'view_index_metadata'] }]);
  assert.deepEqual(roles['mlobs_setup']?.indices, []);
  for (const r of Object.values(roles)) assert.ok(!r.cluster.some((c) => c === 'all' || c === 'manage' || c.startsWith('manage_security')), JSON.stringify(r));
  const es = prod.customResources.find((m) => m.kind === 'Elasticsearch') as (KubeManifest & { spec: { auth: { roles: { secretName: string }[]; fileRealm: { secretName: string }[] } } }) | undefined;
  assert.deepEqual(es?.spec.auth, { roles: [{ secretName: 'mlobs-es-roles' }], fileRealm: [{ secretName: 'mlobs-es-grafana' }, { secretName: 'mlobs-es-setup' }, { secretName: 'mlobs-es-monitor' }] });
  assert.deepEqual(ES_USER_ROLES, { grafana: ['mlobs_reader'], setup: ['mlobs_setup', 'kibana_admin'], monitor: ['mlobs_monitor'] });
});

test('nothing the stack runs uses the elastic superuser: Grafana reads with its user from a mounted Secret, the setup Job with its own', () => {
  // The stack's Terraform JSON and every manifest of its generated chart.
  for (const t of [prod.json, JSON.stringify(prod.customResources)]) assert.doesNotMatch(t, /es-elastic-user|-u elastic:/);
  const kps = Object.values((prod.tf.resource as Record<string, Record<string, { name: string; values: string[] }>>)['helm_release'] ?? {}).find((r) => r.name === 'kube-prometheus-stack');
  const values = parse(templateText(kps?.values[0] ?? ''), { version: '1.1' }) as { grafana: { additionalDataSources: Record<string, unknown>[]; extraSecretMounts: { secretName: string; mountPath: string }[] } };
  const ds = values.grafana.additionalDataSources.find((d) => d['type'] === 'elasticsearch');
  assert.equal(ds?.['basicAuthUser'], '$__file{/etc/secrets/elasticsearch-user/username}');
  assert.deepEqual((ds?.['secureJsonData'] as Record<string, string>)['basicAuthPassword'], '$__file{/etc/secrets/elasticsearch-user/password}');
  assert.ok(values.grafana.extraSecretMounts.some((m) => m.secretName === 'mlobs-es-grafana' && m.mountPath === '/etc/secrets/elasticsearch-user'));
});

test('Kibana behind an Ingress: TLS from the issuer where the ui hop asks, HTTPS to Kibana, the ingress controller admitted', () => {
  const input = { ...MINIMAL_INPUT, logs: { pipelines: ['elastic' as const] }, tls: { enabled: true, issuer: { kind: 'selfSigned' as const } }, elastic: { kibana: { ingress: { host: 'kibana.ml.example.com' } } } };
  const r = synthEnvironment(input);
  const ing = r.customResources.find((m) => m.kind === 'Ingress') as (KubeManifest & { spec: { tls?: { hosts: string[]; secretName: string }[]; rules: { host: string }[] } }) | undefined;
  assert.ok(ing);
  assert.deepEqual(validateBuiltinObject(ing), []);
  assert.equal(ing.metadata.annotations?.['nginx.ingress.kubernetes.io/backend-protocol'], 'HTTPS');
  assert.deepEqual(ing.spec.tls, [{ hosts: ['kibana.ml.example.com'], secretName: 'mlobs-kibana-ui' }]);
  assert.ok(r.customResources.some((m) => m.kind === 'Certificate' && m.metadata.name === 'mlobs-kibana-ui'));
  const policies = policiesOf(r.customResources);
  const ns = { 'kubernetes.io/metadata.name': 'mlobs' };
  const controller = { namespace: { 'kubernetes.io/metadata.name': 'ingress-nginx' }, labels: { 'app.kubernetes.io/name': 'ingress-nginx' } };
  assert.ok(isAllowed(policies, ns, controller, { namespace: ns, labels: { 'kibana.k8s.elastic.co/name': 'mlobs' } }, { number: 5601 }));
  // Without the ui hop: plain HTTP at the ingress, no certificate.
  const plain = synthEnvironment({ ...input, tls: { ...input.tls, hops: { ui: false } } });
  const ing2 = plain.customResources.find((m) => m.kind === 'Ingress') as (KubeManifest & { spec: { tls?: unknown } }) | undefined;
  assert.equal(ing2?.spec.tls, undefined);
});

test('tls.hops.elasticsearch is gone: an old file gets the error naming the field and what to write instead', () => {
  assert.throws(
    () => parseEnvironment('x', { ...MINIMAL_INPUT, tls: { enabled: true, issuer: { kind: 'selfSigned' }, hops: { elasticsearch: true } } } as never),
    (e: unknown) => e instanceof ConfigError && /tls\.hops\.elasticsearch[\s\S]*was removed: Elasticsearch HTTP is always TLS[\s\S]*elastic\.httpCertificate/.test(e.message),
  );
});
