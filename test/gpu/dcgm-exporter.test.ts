/**
 * dcgm-exporter modes: bundled (pinned chart on GPU nodes only + our ServiceMonitor),
 * gpu-operator (no second exporter, a ServiceMonitor on the operator's service), none.
 * The bundled values hold to the pinned chart's values and render with the real helm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { helmReleases, releaseValues, synthEnvironment, MINIMAL_INPUT } from '../helpers/synth';
import { assertValuesKeysExist } from '../helpers/helm-values-contract';
import { helmTemplate, type KubeObject } from '../helpers/helm-render';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { DEFAULT_DCGM_RELEASE_NAME, DCGM_JOB, renderDcgmExporterValues } from '../../constructs/gpu';
import { MONITOR_LABEL_KEY } from '../../constructs/core/common';
import { commonConfigFor } from '../../stacks/environment-props';
import { parseEnvironment } from '../../config/load';
import type { KubeManifest } from '../../constructs/core/manifest';

const byKind = (rs: readonly KubeManifest[], kind: string) => rs.filter((r) => r.kind === kind);
type Obj = Record<string, unknown>;

test('bundled: one dcgm-exporter release of the pinned chart and a ServiceMonitor with the monitor label', () => {
  const r = synthEnvironment({ ...MINIMAL_INPUT, gpu: { exporter: 'bundled' } });
  const rel = helmReleases(r.tf).get(DEFAULT_DCGM_RELEASE_NAME);
  assert.ok(rel, 'a dcgm-exporter release');
  assert.equal(rel.chart, 'dcgm-exporter');
  assert.equal(rel.version, '4.8.2');
  const sms = byKind(r.customResources, 'ServiceMonitor').filter((m) => m.metadata.name === DEFAULT_DCGM_RELEASE_NAME);
  assert.equal(sms.length, 1);
  const sm = sms[0] as KubeManifest;
  assert.equal(sm.metadata.labels?.[MONITOR_LABEL_KEY], 'mlobs');
  const spec = sm.spec as { namespaceSelector: { matchNames: string[] }; endpoints: { relabelings: Obj[] }[] };
  assert.deepEqual(spec.namespaceSelector.matchNames, ['mlobs-agents'], 'the exporter runs in the agents namespace');
  assert.equal(rel.namespace, 'mlobs-agents');
  assert.equal(sm.metadata.namespace, 'mlobs', 'the monitor stays with the stack');
  assert.ok(spec.endpoints[0]?.relabelings.some((x) => x.targetLabel === 'node'), 'node label from the pod node');
  assert.ok(spec.endpoints[0]?.relabelings.some((x) => x.targetLabel === 'job' && x.replacement === DCGM_JOB));
  assertValidCustomResource(sm);
  assert.ok(byKind(r.customResources, 'PrometheusRule').some((m) => m.metadata.name === 'mlobs-gpu'));
});

test('bundled: the DaemonSet is scheduled only on GPU nodes (default nodeSelector + nvidia.com/gpu toleration)', () => {
  const r = synthEnvironment({ ...MINIMAL_INPUT, gpu: { exporter: 'bundled' } });
  const v = releaseValues(r.tf, DEFAULT_DCGM_RELEASE_NAME);
  assert.deepEqual(v.nodeSelector, { 'nvidia.com/gpu.present': 'true' });
  assert.deepEqual(v.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  assert.deepEqual((v.serviceMonitor as Obj).enabled, false, "the chart's own ServiceMonitor is off (ours is in the CR chart)");
});

test('bundled: nodeSelector and tolerations are configurable', () => {
  const r = synthEnvironment({
    ...MINIMAL_INPUT,
    gpu: { exporter: 'bundled', nodeSelector: { 'node.kubernetes.io/instance-type': 'p5.48xlarge' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] },
  });
  const v = releaseValues(r.tf, DEFAULT_DCGM_RELEASE_NAME);
  assert.deepEqual(v.nodeSelector, { 'node.kubernetes.io/instance-type': 'p5.48xlarge' });
  assert.deepEqual(v.tolerations, [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }]);
});

test('gpu-operator: no dcgm-exporter release, a ServiceMonitor on the operator namespace and service', () => {
  const r = synthEnvironment({ ...MINIMAL_INPUT, gpu: { exporter: 'gpu-operator', operator: { namespace: 'nvidia-gpu-operator' } } });
  const charts = [...helmReleases(r.tf).values()].map((x) => x.chart);
  assert.ok(!charts.includes('dcgm-exporter'), `no second exporter; releases: ${charts.join(', ')}`);
  const sm = byKind(r.customResources, 'ServiceMonitor').find((m) => m.metadata.name === 'gpu-operator-dcgm-exporter');
  assert.ok(sm);
  const spec = sm.spec as { selector: { matchLabels: Obj }; namespaceSelector: { matchNames: string[] }; endpoints: { port: string }[] };
  assert.deepEqual(spec.namespaceSelector.matchNames, ['nvidia-gpu-operator']);
  assert.deepEqual(spec.selector.matchLabels, { app: 'nvidia-dcgm-exporter' });
  assert.equal(spec.endpoints[0]?.port, 'gpu-metrics');
  assertValidCustomResource(sm);
  assert.ok(byKind(r.customResources, 'PrometheusRule').some((m) => m.metadata.name === 'mlobs-gpu'));
});

test('none: no exporter, no GPU ServiceMonitor, no GPU rules or dashboard', () => {
  const r = synthEnvironment({ ...MINIMAL_INPUT, gpu: { exporter: 'none' } });
  assert.ok(![...helmReleases(r.tf).values()].some((x) => x.chart === 'dcgm-exporter'));
  assert.ok(!r.customResources.some((m) => /dcgm|mlobs-gpu/.test(m.metadata.name)));
  assert.ok(!r.json.includes('dashboard-mlobs-gpu-fleet'));
});

test('an unknown exporter mode is rejected with the allowed values', () => {
  assert.throws(() => parseEnvironment('x', { ...MINIMAL_INPUT, gpu: { exporter: 'dcgm' as never } }), /bundled.*gpu-operator.*none/s);
});

function renderBundled(profilingMetrics: boolean): KubeObject[] {
  const env = parseEnvironment('x', MINIMAL_INPUT);
  const values = renderDcgmExporterValues({ common: commonConfigFor('x', env.settings), nodeSelector: env.settings.gpu.nodeSelector, tolerations: env.settings.gpu.tolerations, profilingMetrics });
  assertValuesKeysExist('dcgm-exporter', values);
  return helmTemplate({ chart: 'dcgm-exporter', values, releaseName: DEFAULT_DCGM_RELEASE_NAME, namespace: 'mlobs' });
}

test('helm render of the bundled chart: DaemonSet with GPU nodeSelector, tolerations, pinned image, explicit privileges', () => {
  const objs = renderBundled(true);
  const ds = objs.find((o) => o.kind === 'DaemonSet');
  assert.ok(ds, 'a DaemonSet');
  const pod = ((ds as unknown as { spec: { template: { spec: Obj } } }).spec.template.spec);
  assert.deepEqual(pod.nodeSelector, { 'nvidia.com/gpu.present': 'true' });
  assert.deepEqual(pod.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  assert.equal(pod.hostPID, false);
  const c = (pod.containers as Obj[])[0] as Obj;
  assert.equal(c.image, 'nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless');
  const sc = c.securityContext as { privileged: boolean; allowPrivilegeEscalation: boolean; capabilities: { add: string[]; drop: string[] } };
  assert.equal(sc.privileged, false);
  assert.equal(sc.allowPrivilegeEscalation, false);
  assert.deepEqual(sc.capabilities, { add: ['SYS_ADMIN'], drop: ['ALL'] });
  assert.ok((c.env as { name: string; value?: string }[]).some((e) => e.name === 'DCGM_EXPORTER_KUBERNETES' && e.value === 'true'), 'pod mapping on');
  const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'exporter-metrics-config-map') as unknown as { data: { metrics: string } };
  assert.match(cm.data.metrics, /^DCGM_FI_DEV_ECC_DBE_VOL_TOTAL, counter,/m);
  assert.match(cm.data.metrics, /^DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL, counter,/m);
  assert.ok(!objs.some((o) => o.kind === 'ServiceMonitor'), "the chart's ServiceMonitor is off");
});

test('helm render without profiling metrics: no SYS_ADMIN and no DCGM_FI_PROF_* fields', () => {
  const objs = renderBundled(false);
  const ds = objs.find((o) => o.kind === 'DaemonSet') as unknown as { spec: { template: { spec: { containers: { securityContext: { capabilities: { add: string[] } } }[] } } } };
  assert.deepEqual(ds.spec.template.spec.containers[0]?.securityContext.capabilities.add, []);
  const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'exporter-metrics-config-map') as unknown as { data: { metrics: string } };
  assert.doesNotMatch(cm.data.metrics, /DCGM_FI_PROF_/);
});
