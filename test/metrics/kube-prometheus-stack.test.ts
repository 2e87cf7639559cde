/**
 * kube-prometheus-stack: values contract, and a real `helm template` of the pinned chart with
 * the values prod synthesizes (rendered once for this file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { parse } from 'yaml';
import { loadEnvironmentFile } from './env-files';
import { releaseValues, synthEnvironment, MINIMAL_INPUT } from '../helpers/synth';
import { assertValuesKeysExist, findUnknownValuesKeys } from '../helpers/helm-values-contract';
import { findObject, findObjects, helmTemplate, type KubeObject } from '../helpers/helm-render';
import { MONITOR_LABEL_KEY } from '../../constructs/core/common';
import { DEFAULT_KPS_RELEASE_NAME } from '../../constructs/metrics';
import { renderAlertmanagerConfig } from '../../constructs/metrics/alertmanager-config.render';

const prod = synthEnvironment(loadEnvironmentFile('prod'), 'prod');
const staging = synthEnvironment(loadEnvironmentFile('staging'), 'staging');
const prodValues = releaseValues(prod.tf, DEFAULT_KPS_RELEASE_NAME);
const stagingValues = releaseValues(staging.tf, DEFAULT_KPS_RELEASE_NAME);

let rendered: KubeObject[] | undefined;
function prodRender(): KubeObject[] {
  rendered ??= helmTemplate({
    chart: 'kube-prometheus-stack',
    values: prodValues,
    releaseName: DEFAULT_KPS_RELEASE_NAME,
    namespace: 'mlobs',
    apiVersions: ['monitoring.coreos.com/v1', 'networking.k8s.io/v1/Ingress'],
  });
  return rendered;
}
const spec = (o: KubeObject): Record<string, unknown> => o.spec as Record<string, unknown>;

test('every values key prod, staging and dev set exists in kube-prometheus-stack 88.5.3 and its subcharts', () => {
  assertValuesKeysExist('kube-prometheus-stack', prodValues);
  assertValuesKeysExist('kube-prometheus-stack', stagingValues);
  const dev = releaseValues(synthEnvironment(loadEnvironmentFile('dev'), 'dev').tf, DEFAULT_KPS_RELEASE_NAME);
  assertValuesKeysExist('kube-prometheus-stack', dev);
});

test('the values contract catches a misspelled key (the contract can fail)', () => {
  const bad = { prometheus: { prometheusSpec: { retentionn: '1d' } } };
  assert.deepEqual(findUnknownValuesKeys('kube-prometheus-stack', bad), ['prometheus.prometheusSpec.retentionn']);
});

test('helm template: the Prometheus CR carries retention, size, external labels and our selectors', () => {
  const p = findObject(prodRender(), 'Prometheus');
  const s = spec(p);
  assert.equal(s.retention, '30d');
  assert.equal(s.retentionSize, '400GiB');
  assert.deepEqual(s.externalLabels, { cluster: 'gpu-prod', environment: 'prod' });
  assert.equal(s.replicas, 2);
  assert.equal(s.scrapeInterval, '30s');
  const selector = { matchLabels: { [MONITOR_LABEL_KEY]: 'mlobs' } };
  for (const k of ['ruleSelector', 'serviceMonitorSelector', 'podMonitorSelector', 'probeSelector', 'scrapeConfigSelector']) {
    assert.deepEqual(s[k], selector, k);
  }
  const claim = (s.storage as { volumeClaimTemplate: { spec: Record<string, unknown> } }).volumeClaimTemplate.spec;
  assert.equal(claim.storageClassName, 'premium-rwo');
  assert.deepEqual(claim.resources, { requests: { storage: '500Gi' } });
});

test('helm template: every ServiceMonitor and PrometheusRule the chart ships carries the monitor label (else Prometheus ignores it)', () => {
  const objs = prodRender();
  const monitored = [...findObjects(objs, 'ServiceMonitor'), ...findObjects(objs, 'PrometheusRule')];
  assert.ok(findObjects(objs, 'ServiceMonitor').length >= 5, 'expected the chart to render its ServiceMonitors');
  assert.ok(findObjects(objs, 'PrometheusRule').length >= 5, 'expected the default rules');
  const missing = monitored.filter((o) => o.metadata.labels?.[MONITOR_LABEL_KEY] !== 'mlobs').map((o) => `${o.kind}/${o.metadata.name}`);
  assert.deepEqual(missing, []);
  const names = findObjects(objs, 'ServiceMonitor').map((o) => o.metadata.name);
  assert.ok(names.some((n) => n.includes('node-exporter')), `node-exporter ServiceMonitor missing: ${names.join(', ')}`);
  assert.ok(names.some((n) => n.includes('kube-state-metrics')), `kube-state-metrics ServiceMonitor missing: ${names.join(', ')}`);
});

test('helm template: CRDs are kept current by the chart upgrade hook job (server-side apply, force conflicts)', () => {
  const jobs = findObjects(prodRender(), 'Job')
    .filter((j) => j.metadata.annotations?.['helm.sh/hook']?.includes('pre-upgrade'))
    .filter((j) => JSON.stringify(j).includes('crds.yaml'));
  assert.equal(jobs.length, 1, 'one CRD upgrade hook job');
  const text = JSON.stringify(jobs[0]);
  assert.match(text, /"--server-side"/);
  assert.match(text, /"--force-conflicts"/);
  // The chart defaults busybox to `latest`: it must be the pinned tag.
  assert.match(text, /"image":"docker\.io\/busybox:1\.37\.0"/);
  assert.doesNotMatch(text, /busybox:latest/);
});

test('helm template: the deployed alertmanager.yaml equals the rendered config (no chart defaults merged in)', () => {
  const secret = findObjects(prodRender(), 'Secret').find((s) => s.metadata.name.startsWith('alertmanager-'));
  assert.ok(secret, 'alertmanager config Secret');
  const deployed = parse(Buffer.from((secret.data as Record<string, string>)['alertmanager.yaml'] as string, 'base64').toString('utf8'));
  // the stack's configuration: the environment's alerting plus the quarantine responder's route (prod runs it)
  const expected = prod.stack.observability.metrics.alertmanagerConfig.config;
  assert.deepEqual(deployed, JSON.parse(JSON.stringify(expected)));
  assert.ok(JSON.stringify(deployed).includes('mlobs-gpu-responder'), 'the responder route is deployed');
  const am = findObject(prodRender(), 'Alertmanager');
  assert.deepEqual(spec(am).secrets, ['alertmanager-heartbeat', 'alertmanager-opsgenie', 'alertmanager-pagerduty', 'alertmanager-slack', 'alertmanager-smtp', 'alertmanager-wechat', 'mlobs-gpu-responder']);
  assert.equal(spec(am).replicas, 3);
  // The message templates ride in the same Secret, where the config's templates glob loads them.
  const tmpl = Buffer.from((secret.data as Record<string, string>)['mlobs.tmpl'] ?? '', 'base64').toString('utf8');
  assert.equal(tmpl, renderAlertmanagerConfig({ alerting: prod.env.settings.alertmanager }).templateFiles['mlobs.tmpl']);
  assert.match(tmpl, /\{\{ define "mlobs\.text" \}\}/);
});

test('staging and prod differ only through config: retention, replicas and routes', () => {
  const ps = (v: Record<string, unknown>) => (v.prometheus as { prometheusSpec: Record<string, unknown> }).prometheusSpec;
  assert.equal(ps(stagingValues).retention, '15d');
  assert.equal(ps(stagingValues).retentionSize, '90GiB');
  assert.equal(ps(prodValues).retention, '30d');
  assert.equal((stagingValues.alertmanager as { alertmanagerSpec: { replicas: number } }).alertmanagerSpec.replicas, 2);
  assert.equal((prodValues.alertmanager as { alertmanagerSpec: { replicas: number } }).alertmanagerSpec.replicas, 3);
  const receivers = (v: Record<string, unknown>) =>
    ((v.alertmanager as { config: { receivers: { name: string }[] } }).config.receivers).map((r) => r.name);
  assert.ok(receivers(prodValues).includes('pager-gpu'));
  assert.ok(!receivers(stagingValues).some((n) => n.startsWith('pager')), 'staging never pages');
});

test('a minimal environment gets the defaults: 15d / 40GiB retention, one replica, cluster label = environment name', () => {
  const v = releaseValues(synthEnvironment(MINIMAL_INPUT, 'sandbox').tf, DEFAULT_KPS_RELEASE_NAME);
  const p = (v.prometheus as { prometheusSpec: Record<string, unknown> }).prometheusSpec;
  assert.equal(p.retention, '15d');
  assert.equal(p.retentionSize, '40GiB');
  assert.equal(p.replicas, 1);
  assert.deepEqual(p.externalLabels, { cluster: 'sandbox', environment: 'sandbox' });
});


test('helm template: Grafana reads its admin from the existing Secret, serves anonymous off, and exposes an Ingress with TLS', () => {
  const objs = prodRender();
  const deploy = findObjects(objs, 'Deployment').find((d) => d.metadata.name.includes('grafana'));
  assert.ok(deploy, 'Grafana Deployment');
  const text = JSON.stringify(deploy);
  assert.match(text, /"GF_SECURITY_ADMIN_USER","valueFrom":\{"secretKeyRef":\{"name":"grafana-admin","key":"admin-user"\}/);
  assert.match(text, /"GF_SECURITY_ADMIN_PASSWORD","valueFrom":\{"secretKeyRef":\{"name":"grafana-admin","key":"admin-password"\}/);
  const ini = findObjects(objs, 'ConfigMap').find((c) => c.metadata.name.includes('grafana') && typeof (c.data as Record<string, string> | undefined)?.['grafana.ini'] === 'string');
  assert.ok(ini, 'grafana.ini ConfigMap');
  assert.match((ini.data as Record<string, string>)['grafana.ini'] as string, /\[auth\.anonymous\]\nenabled = false/);
  const ingress = findObjects(objs, 'Ingress').find((i) => i.metadata.name.includes('grafana'));
  assert.ok(ingress, 'Grafana Ingress');
  assert.deepEqual((spec(ingress).tls as unknown[])[0], { hosts: ['grafana.ml.example.com'], secretName: 'grafana' });
});
