/**
 * Grafana: datasources per log pipeline, dashboards through the sidecar, every PromQL
 * expression parsed by the real grammar, Ingress + TLS per environment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { parser as logqlParser } from '@grafana/lezer-logql';
import { releaseValues, synthEnvironment, MINIMAL_INPUT } from '../helpers/synth';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { DEFAULT_KPS_RELEASE_NAME, DASHBOARD_LABEL, METRICS_DASHBOARDS, queriesOf, buildDashboard, timeseries, promql, logql, logs } from '../../constructs/metrics';
import { loadEnvironmentFile } from './env-files';

interface LezerParser {
  parse(text: string): { iterate(spec: { enter(node: { type: { isError: boolean }; from: number }): void }): void };
}

/** Positions of error nodes (⚠) in the parse tree; empty when the expression is valid. */
function syntaxErrors(p: LezerParser, expr: string): number[] {
  const at: number[] = [];
  p.parse(expr).iterate({ enter: (n) => void (n.type.isError && at.push(n.from)) });
  return at;
}

type Values = Record<string, unknown>;
const grafanaOf = (v: Values) => v.grafana as Values;

test('every PromQL expression of every dashboard parses with @prometheus-io/lezer-promql', () => {
  let n = 0;
  for (const d of METRICS_DASHBOARDS) {
    for (const q of queriesOf(d)) {
      const parser = q.language === 'promql' ? promqlParser : logqlParser;
      assert.deepEqual(syntaxErrors(parser as unknown as LezerParser, q.expr), [], `${d.uid}: ${q.language} does not parse: ${q.expr}`);
      n++;
    }
  }
  assert.ok(n >= 5, `checked ${n} expressions`);
});

test('the grammar check catches broken PromQL and LogQL (it can fail)', () => {
  assert.notDeepEqual(syntaxErrors(promqlParser as unknown as LezerParser, 'sum by (job (rate(up[5m]))'), []);
  assert.notDeepEqual(syntaxErrors(promqlParser as unknown as LezerParser, 'rate(up[5m]'), []);
  assert.deepEqual(syntaxErrors(logqlParser as unknown as LezerParser, '{namespace="ml"} |= "NCCL"'), []);
  assert.notDeepEqual(syntaxErrors(logqlParser as unknown as LezerParser, '{namespace="ml" |= "NCCL"'), []);
});

test('dashboard builder: panels flow on a 24-column grid and LogQL panels need a Loki datasource', () => {
  const spec = {
    uid: 'x',
    title: 'x',
    tags: [],
    panels: [timeseries({ title: 'a', width: 16, queries: [promql('up')] }), timeseries({ title: 'b', width: 12, queries: [promql('up')] })],
  };
  const model = buildDashboard(spec, { prometheus: { type: 'prometheus', uid: 'prometheus' } }) as { panels: { gridPos: unknown }[] };
  assert.deepEqual(model.panels.map((p) => p.gridPos), [{ x: 0, y: 0, w: 16, h: 8 }, { x: 0, y: 8, w: 12, h: 8 }]);
  assert.throws(
    () => buildDashboard({ ...spec, panels: [logs({ title: 'l', queries: [logql('{job="a"}')] })] }, { prometheus: { type: 'prometheus', uid: 'prometheus' } }),
    /panel "l": LogQL queries need a Loki datasource; enable logs.pipelines: \[loki\]/,
  );
});

test('admin from the existing Secret, anonymous access and sign-up off', () => {
  const g = grafanaOf(releaseValues(synthEnvironment(loadEnvironmentFile('prod'), 'prod').tf, DEFAULT_KPS_RELEASE_NAME));
  assert.deepEqual(g.admin, { existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' });
  const ini = g['grafana.ini'] as Record<string, Record<string, unknown>>;
  assert.equal(ini['auth.anonymous']?.enabled, false);
  assert.equal(ini.users?.allow_sign_up, false);
  assert.equal(g.adminPassword, undefined);
});

test('datasources follow logs.pipelines: prod Loki + Elasticsearch over TLS, staging Loki, none without pipelines', () => {
  const ds = (v: Values) => (grafanaOf(v).additionalDataSources as { type: string; url: string }[]).map((d) => `${d.type} ${d.url}`);
  assert.deepEqual(ds(releaseValues(synthEnvironment(loadEnvironmentFile('prod'), 'prod').tf, DEFAULT_KPS_RELEASE_NAME)), [
    'loki https://loki-gateway.mlobs.svc:443',
    'elasticsearch https://mlobs-es-http.mlobs.svc:9200',
  ]);
  assert.deepEqual(ds(releaseValues(synthEnvironment(loadEnvironmentFile('staging'), 'staging').tf, DEFAULT_KPS_RELEASE_NAME)), ['loki https://loki-gateway.mlobs.svc:443']);
  const none = releaseValues(synthEnvironment({ ...MINIMAL_INPUT, logs: { pipelines: [] } }).tf, DEFAULT_KPS_RELEASE_NAME);
  assert.deepEqual(ds(none), []);
  const sidecar = grafanaOf(none).sidecar as { datasources: { enabled: boolean; uid: string } };
  assert.equal(sidecar.datasources.enabled, true, 'Prometheus datasource always on');
});

test('dashboards ship as ConfigMaps with the sidecar label the Grafana sidecar watches', () => {
  const { tf } = synthEnvironment(MINIMAL_INPUT);
  const cms = Object.values(tf.resource?.kubernetes_config_map_v1 ?? {}) as { metadata: { name: string; labels: Record<string, string> }; data: Record<string, string> }[];
  const cm = cms.find((c) => c.metadata.name === 'dashboard-mlobs-stack-health');
  assert.ok(cm, `dashboard ConfigMap missing; have ${cms.map((c) => c.metadata.name).join(', ')}`);
  assert.equal(cm.metadata.labels[DASHBOARD_LABEL.key], DASHBOARD_LABEL.value);
  const model = JSON.parse(cm.data['mlobs-stack-health.json'] as string) as { uid: string; panels: unknown[] };
  assert.equal(model.uid, 'mlobs-stack-health');
  // One row per part the stack runs (issue 17 item 3), beside Prometheus and Alertmanager.
  const titles = (model.panels as { title: string }[]).map((p) => p.title);
  for (const part of ['Loki:', 'Collectors:', 'Certificates', 'Elasticsearch:']) assert.ok(titles.some((t) => t.startsWith(part)), `a ${part} panel; have ${titles.join(', ')}`);
  const sidecar = grafanaOf(releaseValues(tf, DEFAULT_KPS_RELEASE_NAME)).sidecar as { dashboards: Record<string, unknown> };
  assert.deepEqual({ label: sidecar.dashboards.label, labelValue: sidecar.dashboards.labelValue }, { label: DASHBOARD_LABEL.key, labelValue: DASHBOARD_LABEL.value });
});

test('prod: Grafana behind an Ingress with a cert-manager Certificate for its host (valid against the pinned CRD)', () => {
  const r = synthEnvironment(loadEnvironmentFile('prod'), 'prod');
  const ingress = grafanaOf(releaseValues(r.tf, DEFAULT_KPS_RELEASE_NAME)).ingress as Values;
  assert.deepEqual(ingress.tls, [{ secretName: 'grafana', hosts: ['grafana.ml.example.com'] }]);
  assert.equal(ingress.ingressClassName, 'nginx');
  const cert = r.customResources.find((m) => m.kind === 'Certificate' && m.metadata.name === 'grafana');
  assert.ok(cert, 'Certificate grafana');
  assert.deepEqual((cert.spec as { dnsNames: string[] }).dnsNames, ['grafana.ml.example.com']);
  assertValidCustomResource(cert);
  const ini = grafanaOf(releaseValues(r.tf, DEFAULT_KPS_RELEASE_NAME))['grafana.ini'] as Record<string, Record<string, unknown>>;
  assert.equal(ini.server?.root_url, 'https://grafana.ml.example.com/');
});

test('an Ingress without TLS when the environment does not enable it; no Ingress when not configured', () => {
  const plain = synthEnvironment({ ...MINIMAL_INPUT, grafana: { adminCredentials: { secretName: 'g' }, ingress: { host: 'grafana.local' } } });
  const ingress = grafanaOf(releaseValues(plain.tf, DEFAULT_KPS_RELEASE_NAME)).ingress as Values;
  assert.equal(ingress.enabled, true);
  assert.equal(ingress.tls, undefined);
  assert.equal(plain.customResources.filter((m) => m.kind === 'Certificate').length, 0);
  const none = grafanaOf(releaseValues(synthEnvironment(MINIMAL_INPUT).tf, DEFAULT_KPS_RELEASE_NAME)).ingress as Values;
  assert.deepEqual(none, { enabled: false });
});

test('the Elasticsearch datasource follows elastic.name (ECK service <name>-es-http)', () => {
  const v = releaseValues(synthEnvironment({ ...MINIMAL_INPUT, logs: { pipelines: ['elastic'] }, elastic: { name: 'mllogs' } }).tf, DEFAULT_KPS_RELEASE_NAME);
  const ds = (grafanaOf(v).additionalDataSources as { type: string; url: string }[]).find((d) => d.type === 'elasticsearch');
  assert.equal(ds?.url, 'https://mllogs-es-http.mlobs.svc:9200');
});

test('Loki datasource: the Loki construct\'s endpoint, the tenant in X-Scope-OrgID, and the gateway CA mounted from its certificate Secret', () => {
  const r = synthEnvironment(loadEnvironmentFile('prod'), 'prod');
  const g = grafanaOf(releaseValues(r.tf, DEFAULT_KPS_RELEASE_NAME));
  const loki = (g.additionalDataSources as Record<string, unknown>[]).find((d) => d.type === 'loki');
  const endpoint = r.stack.observability.loki?.loki.endpoint;
  assert.ok(loki && endpoint);
  assert.equal(loki.url, endpoint.url, 'Grafana reads the URL the Loki construct serves');
  assert.deepEqual(loki.jsonData, { maxLines: 1000, httpHeaderName1: 'X-Scope-OrgID', tlsAuthWithCACert: true, tlsSkipVerify: false });
  assert.deepEqual(loki.secureJsonData, { httpHeaderValue1: 'ml-prod', tlsCACert: '$__file{/etc/secrets/loki-ca/ca.crt}' });
  const mounts = g.extraSecretMounts as { name: string; secretName: string; mountPath: string; readOnly: boolean }[];
  assert.deepEqual(mounts.find((m) => m.name === 'loki-ca'), { name: 'loki-ca', secretName: endpoint.caSecretName, mountPath: '/etc/secrets/loki-ca', readOnly: true });
  const cert = r.customResources.find((m) => m.kind === 'Certificate' && (m.spec as { secretName: string }).secretName === endpoint.caSecretName);
  assert.ok(cert, 'the mounted Secret is the gateway certificate\'s');
});

test('Loki datasource without auth or TLS: no tenant header, no CA, no mount', () => {
  const r = synthEnvironment({ ...MINIMAL_INPUT, logs: { pipelines: ['loki'] }, loki: { authEnabled: false } });
  const g = grafanaOf(releaseValues(r.tf, DEFAULT_KPS_RELEASE_NAME));
  const loki = (g.additionalDataSources as Record<string, unknown>[]).find((d) => d.type === 'loki');
  assert.deepEqual(loki, { name: 'Loki', uid: 'loki', type: 'loki', access: 'proxy', url: 'http://loki-gateway.mlobs.svc:80', editable: false, jsonData: { maxLines: 1000 } });
  assert.equal(g.extraSecretMounts, undefined);
  assert.equal(r.stack.observability.loki?.loki.endpoint.url, loki?.url);
});
