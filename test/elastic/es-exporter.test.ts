/**
 * The Elasticsearch exporter (issue 17 item 3, the Elastic part): the vendored chart 7.4.0, verified
 * TLS with ECK's CA, its own monitoring user, a ServiceMonitor for the stack's Prometheus, and the
 * flows to Elasticsearch and from Prometheus; the series the Elasticsearch alerts read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadEnvironmentFile } from '../metrics/env-files';
import { releaseValues, synthEnvironment } from '../helpers/synth';
import { findObject, helmTemplate } from '../helpers/helm-render';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { CHARTS } from '../../constructs/versions';
import { DEFAULT_ES_EXPORTER_RELEASE_NAME, ES_EXPORTER_PORT } from '../../constructs/elastic/elasticsearch-exporter';
import { isAllowed, policiesOf } from '../network/helpers';
import { renderStackRuleGroups } from '../../constructs/metrics/stack-rules';

const dev = synthEnvironment(loadEnvironmentFile('dev'), 'dev');

test('helm render: verified TLS with ECK\'s CA, the monitoring user from its Secret (never in the URI), a ServiceMonitor for the stack, a restricted pod', () => {
  const values = releaseValues(dev.tf, DEFAULT_ES_EXPORTER_RELEASE_NAME);
  const objs = helmTemplate({ chart: CHARTS.elasticsearchExporter.chart, values, releaseName: DEFAULT_ES_EXPORTER_RELEASE_NAME, namespace: 'mlobs' });
  const deploy = findObject(objs, 'Deployment');
  const pod = (deploy.spec as { template: { spec: { securityContext: Record<string, unknown>; containers: { command: string[]; env: { name: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[]; securityContext: Record<string, unknown> }[]; volumes: { secret?: { secretName: string } }[] } } }).template.spec;
  const c = pod.containers[0];
  assert.ok(c);
  const args = c.command.join(' ');
  assert.match(args, /--es\.uri=https:\/\/mlobs-es-http\.mlobs\.svc:9200/);
  assert.match(args, /--es\.ca=\/ssl\/ca\.crt/);
  assert.doesNotMatch(args, /ssl-skip-verify|@/);
  assert.deepEqual(
    c.env.filter((e) => e.valueFrom).map((e) => [e.name, e.valueFrom?.secretKeyRef.name, e.valueFrom?.secretKeyRef.key]).sort(),
    [['ES_PASSWORD', 'mlobs-es-monitor', 'password'], ['ES_USERNAME', 'mlobs-es-monitor', 'username']],
  );
  assert.ok(pod.volumes.some((v) => v.secret?.secretName === 'mlobs-es-http-certs-public'));
  assert.equal(pod.securityContext['runAsNonRoot'], true);
  assert.equal(c.securityContext['readOnlyRootFilesystem'], true);
  const sm = findObject(objs, 'ServiceMonitor');
  assertValidCustomResource(sm);
  assert.equal(sm.metadata.labels?.['mlobs.dev/monitor'], 'mlobs');
});

test('network: the exporter reaches Elasticsearch; Prometheus scrapes the exporter', () => {
  const policies = policiesOf(dev.customResources);
  const ns = { 'kubernetes.io/metadata.name': 'mlobs' };
  const exporter = { namespace: ns, labels: { 'app.kubernetes.io/name': 'prometheus-elasticsearch-exporter', 'app.kubernetes.io/instance': DEFAULT_ES_EXPORTER_RELEASE_NAME } };
  const es = { namespace: ns, labels: { 'elasticsearch.k8s.elastic.co/cluster-name': 'mlobs' } };
  const prometheus = { namespace: ns, labels: { 'app.kubernetes.io/name': 'prometheus', 'operator.prometheus.io/name': 'mlobs-prometheus' } };
  assert.ok(isAllowed(policies, ns, exporter, es, { number: 9200 }));
  assert.ok(isAllowed(policies, ns, prometheus, exporter, { number: ES_EXPORTER_PORT }));
});

test('the Elasticsearch alerts read series this exporter exports (its metric names)', () => {
  const exprs = renderStackRuleGroups({ common: dev.stack.observability.common, retentionTime: '15d' }).flatMap((g) => g.rules.map((r) => r.expr)).filter((e) => e.includes('elasticsearch_'));
  assert.ok(exprs.length >= 3, exprs.join('\n'));
  for (const m of ['elasticsearch_cluster_health_status', 'elasticsearch_cluster_health_unassigned_shards', 'elasticsearch_filesystem_data_available_bytes']) {
    assert.ok(exprs.some((e) => e.includes(m)), m);
  }
});
