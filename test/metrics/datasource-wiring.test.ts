/**
 * Grafana's log datasources come from the log pipeline objects a team composes, so Grafana
 * reads Loki where the Loki construct serves it: composing KubePrometheusStack and LokiPipeline
 * with TLS on in settings but no Tls component must give an http datasource on the gateway's
 * http port (Loki serves plain HTTP then), never https on 443.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { Testing, TerraformStack } from 'cdktf';
import { parseEnvironment } from '../../config/load';
import { commonConfigFor } from '../../constructs/core/common';
import { CustomResourceChart } from '../../constructs/core/custom-resource-chart';
import { templateText } from '../../constructs/core/terraform-literal';
import { KubePrometheusStack } from '../../constructs/metrics/kube-prometheus-stack';
import { LokiPipeline } from '../../constructs/loki/loki-pipeline';
import { APP_CONTEXT } from '../../stacks/app';
import { MINIMAL_INPUT } from '../helpers/synth';


test('a composed Loki datasource is the Loki construct\'s endpoint (TLS in settings, no Tls component: http)', () => {
  const env = parseEnvironment('team', { ...MINIMAL_INPUT, logs: { pipelines: ['loki'] }, tls: { enabled: true, issuer: { kind: 'selfSigned' } } });
  const app = Testing.app({ context: { ...APP_CONTEXT } });
  const stack = new TerraformStack(app, 'team');
  const common = commonConfigFor(env.name, env.settings);
  const resources = new CustomResourceChart(stack, 'resources', { namespace: common.namespace });
  const metrics = new KubePrometheusStack(stack, 'metrics', { common, settings: env.settings });
  const logs = new LokiPipeline(stack, 'loki', { common, settings: env.settings, resources });
  metrics.addDatasource(logs);
  const tf = JSON.parse(Testing.synth(stack)) as { resource: { helm_release: Record<string, { name: string; values: string[] }> } };
  const kps = Object.values(tf.resource.helm_release).find((r) => r.name === 'kube-prometheus-stack');
  assert.ok(kps);
  const values = parse(templateText(kps.values[0] as string), { version: '1.1' }) as { grafana: { additionalDataSources?: { type: string; url: string }[] } };
  const datasources = values.grafana.additionalDataSources ?? [];
  const loki = datasources.find((d) => d.type === 'loki');
  assert.ok(loki, JSON.stringify(datasources));
  assert.equal(logs.loki.endpoint.tls, false, 'no Tls component: Loki serves plain HTTP');
  assert.equal(loki.url, logs.loki.endpoint.url);
  assert.match(loki.url, /^http:\/\/loki-gateway\.mlobs\.svc:80$/);
});
