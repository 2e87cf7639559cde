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
