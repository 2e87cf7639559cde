/**
 * The Pushgateway (issue 17 item 6): an option, off by default; pinned chart, restricted pod,
 * scraped by the stack's Prometheus with honor_labels through the chart's ServiceMonitor; batch
 * jobs in any namespace may push.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadEnvironmentFile } from './env-files';
import { releaseValues, synthEnvironment, MINIMAL_INPUT } from '../helpers/synth';
import { findObject, helmTemplate } from '../helpers/helm-render';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { CHARTS } from '../../constructs/versions';
import { DEFAULT_PUSHGATEWAY_RELEASE_NAME, PUSHGATEWAY_PORT } from '../../constructs/metrics/pushgateway';
import { isAllowed, policiesOf } from '../network/helpers';

const prod = synthEnvironment(loadEnvironmentFile('prod'), 'prod');

test('off by default; prod enables it', () => {
  assert.equal(synthEnvironment(MINIMAL_INPUT, 'sandbox').stack.observability.pushgateway, undefined);
  assert.ok(prod.stack.observability.pushgateway);
  assert.equal(prod.stack.observability.pushgateway?.url, `http://mlobs-pushgateway.mlobs.svc:${PUSHGATEWAY_PORT}`);
});

test('helm render: a restricted pod, and a ServiceMonitor with honor_labels and the monitor label in the stack namespace', () => {
  const values = releaseValues(prod.tf, DEFAULT_PUSHGATEWAY_RELEASE_NAME);
  const objs = helmTemplate({ chart: CHARTS.pushgateway.chart, values, releaseName: DEFAULT_PUSHGATEWAY_RELEASE_NAME, namespace: 'mlobs' });
  const sm = findObject(objs, 'ServiceMonitor');
  assertValidCustomResource(sm);
  assert.equal(sm.metadata.namespace, 'mlobs');
  assert.equal(sm.metadata.labels?.['mlobs.dev/monitor'], 'mlobs');
  const ep = (sm.spec as { endpoints: { honorLabels?: boolean }[] }).endpoints[0];
  assert.equal(ep?.honorLabels, true, 'pushed series keep their own job and instance');
  const deploy = findObject(objs, 'Deployment');
  const pod = (deploy.spec as { template: { spec: { securityContext: Record<string, unknown>; containers: { securityContext: Record<string, unknown>; image: string }[] } } }).template.spec;
  assert.equal(pod.securityContext['runAsNonRoot'], true);
  assert.equal(pod.containers[0]?.securityContext['readOnlyRootFilesystem'], true);
  assert.deepEqual(pod.containers[0]?.securityContext['capabilities'], { drop: ['ALL'] });
  assert.match(pod.containers[0]?.image ?? '', new RegExp(`pushgateway:${CHARTS.pushgateway.appVersion.replace(/\./g, '\\.')}$`), 'the chart\'s pinned app version');
});

test('network: jobs in any namespace may push; Prometheus scrapes it', () => {
  const policies = policiesOf(prod.customResources);
  const ns = { 'kubernetes.io/metadata.name': 'mlobs' };
  const pushgateway = { namespace: ns, labels: { 'app.kubernetes.io/name': 'prometheus-pushgateway', 'app.kubernetes.io/instance': DEFAULT_PUSHGATEWAY_RELEASE_NAME } };
  const batchJob = { namespace: { 'kubernetes.io/metadata.name': 'ml-eval' }, labels: { 'batch.kubernetes.io/job-name': 'eval-7' } };
  assert.ok(isAllowed(policies, ns, batchJob, pushgateway, { number: PUSHGATEWAY_PORT }));
  assert.ok(!isAllowed(policies, ns, batchJob, pushgateway, { number: 8080 }), 'only the push port');
  const prometheus = { namespace: ns, labels: { 'app.kubernetes.io/name': 'prometheus', 'operator.prometheus.io/name': 'mlobs-prometheus' } };
  assert.ok(isAllowed(policies, ns, prometheus, pushgateway, { number: PUSHGATEWAY_PORT }));
});
