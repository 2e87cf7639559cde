import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { assertValuesKeysExist } from '../helpers/helm-values-contract';
import { findObject, findObjects, helmLint, helmTemplate, type KubeObject } from '../helpers/helm-render';
import { sharedPath } from '../helpers/paths';

// One render of kube-prometheus-stack (a few seconds), shared by the tests below.
const KPS_VALUES = {
  prometheus: { prometheusSpec: { retention: '15d', retentionSize: '40GB' } },
  alertmanager: { alertmanagerSpec: { retention: '72h' } },
  grafana: { replicas: 2 },
};
let kpsObjects: KubeObject[] | undefined;
function kps(): KubeObject[] {
  kpsObjects ??= helmTemplate({ chart: 'kube-prometheus-stack', values: KPS_VALUES, releaseName: 'kps' });
  return kpsObjects;
}

test('render: kube-prometheus-stack sets Prometheus and Alertmanager retention from values', () => {
  assertValuesKeysExist('kube-prometheus-stack', KPS_VALUES);
  const prometheus = findObject(kps(), 'Prometheus') as KubeObject & { spec: Record<string, unknown> };
  assert.equal(prometheus.metadata.name, 'kps-kube-prometheus-stack-prometheus');
  assert.equal(prometheus.metadata.namespace, 'mlobs');
  assert.equal(prometheus.spec.retention, '15d');
  assert.equal(prometheus.spec.retentionSize, '40GB');
  const alertmanager = findObject(kps(), 'Alertmanager') as KubeObject & { spec: Record<string, unknown> };
  assert.equal(alertmanager.spec.retention, '72h');
});

test('render: grafana.* values reach the grafana subchart', () => {
  const grafana = findObject(kps(), 'Deployment', 'kps-grafana') as KubeObject & { spec: { replicas: number } };
  assert.equal(grafana.spec.replicas, 2);
});

test('render: every custom resource kube-prometheus-stack renders validates against its pinned CRD', () => {
  const crs = kps().filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/'));
  assert.ok(crs.length > 10, `expected many monitoring.coreos.com objects, got ${crs.length}`);
  assert.deepEqual(new Set(crs.map((o) => o.kind)), new Set(['Alertmanager', 'Prometheus', 'PrometheusRule', 'ServiceMonitor']));
  for (const cr of crs) assertValidCustomResource(cr);
});

test('render: cached renders return independent copies', () => {
  const a = helmTemplate({ chart: 'kube-prometheus-stack', values: KPS_VALUES, releaseName: 'kps' });
  (findObject(a, 'Prometheus') as unknown as { spec: Record<string, unknown> }).spec.retention = 'mutated';
  assert.equal((findObject(kps(), 'Prometheus') as unknown as { spec: Record<string, unknown> }).spec.retention, '15d');
});

test('render: cert-manager with CRDs enabled, replicas and its ServiceMonitor', () => {
  const values = { crds: { enabled: true }, replicaCount: 2, prometheus: { enabled: true, servicemonitor: { enabled: true } } };
  assertValuesKeysExist('cert-manager', values);
  const objs = helmTemplate({ chart: 'cert-manager', values, releaseName: 'cm', namespace: 'cert-manager' });
  const controller = findObject(objs, 'Deployment', 'cm-cert-manager') as KubeObject & { spec: { replicas: number } };
  assert.equal(controller.spec.replicas, 2);
  assert.equal(controller.metadata.namespace, 'cert-manager');
  assert.deepEqual(
    findObjects(objs, 'CustomResourceDefinition').map((o) => o.metadata.name).sort(),
    [
      'certificaterequests.cert-manager.io',
      'certificates.cert-manager.io',
      'challenges.acme.cert-manager.io',
      'clusterissuers.cert-manager.io',
      'issuers.cert-manager.io',
      'orders.acme.cert-manager.io',
    ],
  );
  assertValidCustomResource(findObject(objs, 'ServiceMonitor'));
});

test("render: values violating the chart's values.schema.json make helmTemplate throw with helm's message", () => {
  assert.throws(
    () => helmTemplate({ chart: 'cert-manager', values: { replicaCount: 'two' } }),
    /helm template cert-manager@v1\.21\.1 failed:\nError: values don't meet the specifications of the schema\(s\)[\s\S]*replicaCount: Invalid type\. Expected: number, given: string/,
  );
});

test("render: a chart's required values make helmTemplate throw; loki renders with the test values", () => {
  assert.throws(() => helmTemplate({ chart: 'loki' }), /Please define loki\.storage\.bucketNames\.chunks/);
  const testValues = parseYaml(fs.readFileSync(sharedPath('charts', 'loki', '18.11.0', 'chart-test-values.yaml'), 'utf8'));
  const objs = helmTemplate({ chart: 'loki', values: testValues });
  assert.equal(findObject(objs, 'StatefulSet', 'test-loki').metadata.namespace, 'mlobs');
});

/** Writes a tiny chart, like the ones we generate at synth time for our custom resources. */
function writeChart(templates: Record<string, string>, crds: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-chart-'));
  fs.writeFileSync(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: generated\nversion: 0.1.0\n');
  fs.mkdirSync(path.join(dir, 'templates'));
  for (const [name, text] of Object.entries(templates)) fs.writeFileSync(path.join(dir, 'templates', name), text);
  if (Object.keys(crds).length > 0) fs.mkdirSync(path.join(dir, 'crds'));
  for (const [name, text] of Object.entries(crds)) fs.writeFileSync(path.join(dir, 'crds', name), text);
  return dir;
}

test('render: chartDir, kubeVersion, apiVersions, includeCrds and helmLint on a generated chart', (t) => {
  const dir = writeChart(
    {
      'cm.yaml': [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: {{ .Release.Name }}-info',
        '  namespace: {{ .Release.Namespace }}',
        'data:',
        '  kube: {{ .Capabilities.KubeVersion.Version | quote }}',
        '  hasMonitoring: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}',
        '  greeting: {{ .Values.greeting | quote }}',
        '',
      ].join('\n'),
    },
    { 'crd.yaml': 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.example.com\n' },
  );
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const objs = helmTemplate({
    chart: 'generated',
    chartDir: dir,
    values: { greeting: 'hello' },
    releaseName: 'r1',
    namespace: 'ns1',
    kubeVersion: 'v1.30.4',
    apiVersions: ['monitoring.coreos.com/v1'],
    includeCrds: true,
  });
  const cm = findObject(objs, 'ConfigMap', 'r1-info') as KubeObject & { data: Record<string, string> };
  assert.deepEqual(cm.data, { kube: 'v1.30.4', hasMonitoring: 'true', greeting: 'hello' });
  assert.equal(cm.metadata.namespace, 'ns1');
  assert.equal(findObject(objs, 'CustomResourceDefinition').metadata.name, 'things.example.com');
  assert.equal(findObjects(helmTemplate({ chart: 'generated', chartDir: dir }), 'CustomResourceDefinition').length, 0);
  assert.match(helmLint(dir, { greeting: 'hi' }), /1 chart\(s\) linted, 0 chart\(s\) failed/);
});

test('render: a broken template makes helmTemplate and helmLint throw with helm stderr', (t) => {
  const dir = writeChart({ 'bad.yaml': 'kind: ConfigMap\nname: {{ .Values.x | nosuchfunc }}\n' });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  assert.throws(() => helmTemplate({ chart: 'generated', chartDir: dir }), /helm template generated .*failed:[\s\S]*function "nosuchfunc" not defined/);
  assert.throws(() => helmLint(dir, {}), /helm lint .* failed:[\s\S]*function "nosuchfunc" not defined/);
});

test('render: findObject names what exists when nothing or too much matches', () => {
  assert.throws(() => findObject(kps(), 'Prometheus', 'nope'), /no Prometheus "nope" in the rendered objects; Prometheus names: kps-kube-prometheus-stack-prometheus/);
  assert.throws(() => findObject(kps(), 'Ingress'), /no Ingress in the rendered objects; kinds: .*Prometheus/);
  assert.throws(() => findObject(kps(), 'ServiceMonitor'), /\d+ objects match ServiceMonitor; pass a name \(kps-/);
});
