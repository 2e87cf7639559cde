/**
 * Grafana's log datasources come from the log pipeline objects a team composes, so Grafana
 * reads Loki where the Loki construct serves it: composing KubePrometheusStack and LokiPipeline
 * from props alone (no environment file) without a Tls component must give an http datasource on
 * the gateway's http port (Loki serves plain HTTP then), never https on 443; with a Tls component
 * both sides switch to https together.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { Testing, TerraformStack } from 'cdktf';
import { commonConfig } from '../../constructs/core/common';
import { Tls } from '../../constructs/tls/tls';
import { Loki } from '../../constructs/loki/loki';
import { ElasticsearchCluster } from '../../constructs/elastic/elasticsearch-cluster';
import { CustomResourceChart } from '../../constructs/core/custom-resource-chart';
import { templateText } from '../../constructs/core/terraform-literal';
import { KubePrometheusStack } from '../../constructs/metrics/kube-prometheus-stack';
import { LokiPipeline } from '../../constructs/loki/loki-pipeline';
import { APP_CONTEXT } from '../../stacks/app';


function composed(withTls: boolean) {
  const app = Testing.app({ context: { ...APP_CONTEXT } });
  const stack = new TerraformStack(app, 'team');
  const common = commonConfig({ environment: 'team' });
  const resources = new CustomResourceChart(stack, 'resources', { namespace: common.namespace });
  const tls = withTls ? new Tls(stack, 'tls', { common, issuer: { kind: 'selfSigned' }, resources }) : undefined;
  const metrics = new KubePrometheusStack(stack, 'metrics', { common, grafana: { adminCredentials: { secretName: 'grafana-admin' } }, ...(tls ? { tls } : {}) });
  const logs = new LokiPipeline(stack, 'loki', { common, resources, ...(tls ? { tls } : {}) });
  metrics.addDatasource(logs);
  const tf = JSON.parse(Testing.synth(stack)) as { resource: { helm_release: Record<string, { name: string; values: string[] }> } };
  const kps = Object.values(tf.resource.helm_release).find((r) => r.name === 'kube-prometheus-stack');
  assert.ok(kps);
  const values = parse(templateText(kps.values[0] as string), { version: '1.1' }) as { grafana: { additionalDataSources?: { type: string; url: string }[] } };
  const datasources = values.grafana.additionalDataSources ?? [];
  const loki = datasources.find((d) => d.type === 'loki');
  assert.ok(loki, JSON.stringify(datasources));
  return { logs, loki };
}

test('a composed Loki datasource is the Loki construct\'s endpoint (no Tls component: http on the gateway port)', () => {
  const { logs, loki } = composed(false);
  assert.equal(logs.loki.endpoint.tls, false, 'no Tls component: Loki serves plain HTTP');
  assert.equal(loki.url, logs.loki.endpoint.url);
  assert.match(loki.url, /^http:\/\/loki-gateway\.mlobs\.svc:80$/);
});

test('with a Tls component, Loki serves and Grafana reads https on the same endpoint', () => {
  const { logs, loki } = composed(true);
  assert.equal(logs.loki.endpoint.tls, true);
  assert.equal(loki.url, logs.loki.endpoint.url);
  assert.match(loki.url, /^https:\/\/loki-gateway\.mlobs\.svc:443$/);
});

/** Grafana's datasources of a KubePrometheusStack with these log sources added. */
function datasourcesWith(add: (m: KubePrometheusStack) => void): { type: string; url: string; jsonData?: Record<string, unknown> }[] {
  const stack = new TerraformStack(Testing.app({ context: { ...APP_CONTEXT } }), 'team');
  const common = commonConfig({ environment: 'team' });
  const metrics = new KubePrometheusStack(stack, 'metrics', { common, grafana: { adminCredentials: { secretName: 'grafana-admin' } } });
  add(metrics);
  const tf = JSON.parse(Testing.synth(stack)) as { resource: { helm_release: Record<string, { name: string; values: string[] }> } };
  const kps = Object.values(tf.resource.helm_release).find((r) => r.name === 'kube-prometheus-stack');
  assert.ok(kps);
  const values = parse(templateText(kps.values[0] as string), { version: '1.1' }) as { grafana: { additionalDataSources?: { type: string; url: string }[] } };
  return values.grafana.additionalDataSources ?? [];
}

test('backends that already exist: Grafana reads an existing Loki and Elasticsearch from their attributes', () => {
  const ds = datasourcesWith((m) => {
    m.addDatasource(Loki.fromAttributes({ url: 'https://loki-gateway.logging.svc:443/', tenant: 'ml', caSecretName: 'loki-ca' }));
    m.addDatasource(ElasticsearchCluster.fromAttributes({ url: 'https://logs-es-http.elastic.svc:9200', index: 'logs-ml-*', caSecretName: 'es-ca', user: { secretName: 'grafana-es' } }));
  });
  const loki = ds.find((d) => d.type === 'loki');
  assert.equal(loki?.url, 'https://loki-gateway.logging.svc:443');
  assert.match(JSON.stringify(loki), /X-Scope-OrgID/);
  const es = ds.find((d) => d.type === 'elasticsearch');
  assert.equal(es?.url, 'https://logs-es-http.elastic.svc:9200');
  assert.equal(es?.jsonData?.['index'], 'logs-ml-*');
});

test('attributes of an existing backend are checked: no credentials in a URL, http(s) only', () => {
  assert.throws(() => Loki.fromAttributes({ url: 'http://user:pw@loki.logging.svc' }), /^Error: Loki\.fromAttributes: attrs\.url: the URL carries a credential/);
  assert.throws(() => ElasticsearchCluster.fromAttributes({ url: 'ftp://es', index: 'x', caSecretName: 'c', user: { secretName: 's' } }), /is not an http\(s\) URL/);
  assert.throws(() => KubePrometheusStack.alertmanagerFromAttributes({ url: 'not a url' }), /^Error: KubePrometheusStack\.alertmanagerFromAttributes: attrs\.url: "not a url" is not a URL/);
});

test('the Loki ruler sends to an existing Alertmanager given by its attributes', () => {
  const stack = new TerraformStack(Testing.app({ context: { ...APP_CONTEXT } }), 'team');
  const common = commonConfig({ environment: 'team' });
  const resources = new CustomResourceChart(stack, 'resources', { namespace: common.namespace });
  new LokiPipeline(stack, 'loki', { common, resources, alertmanager: KubePrometheusStack.alertmanagerFromAttributes({ url: 'http://alertmanager.monitoring.svc:9093/' }) });
  const tf = JSON.parse(Testing.synth(stack)) as { resource: { helm_release: Record<string, { name: string; values: string[] }> } };
  const loki = Object.values(tf.resource.helm_release).find((r) => r.name === 'loki');
  assert.ok(loki);
  assert.match(loki.values[0] as string, /alertmanager_url: http:\/\/alertmanager\.monitoring\.svc:9093\n/);
});
