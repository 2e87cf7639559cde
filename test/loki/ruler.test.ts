/**
 * Loki ruler: LogQL alerts for OOM, NaN loss, NCCL timeout and Xid (grammar, house rules),
 * delivered where the chart mounts them, sent to the Alertmanager Service the stack's chart
 * really renders.
 */
import { test } from 'node:test';
import { trainingLogRules } from '../../constructs/training/log-rules';
import { gpuLogRules } from '../../constructs/gpu/log-rules';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import {
  DEFAULT_LOKI_RELEASE_NAME,
  LOKI_RULES_DIR,
  LOKI_RULES_FILE,
  renderLokiRuleGroups,
  renderLokiRulesFile,
} from '../../constructs/loki';
import { isAlertRule, type AlertRule } from '../../constructs/core/prometheus-rule';
import { DEFAULT_KPS_RELEASE_NAME } from '../../constructs/metrics/kube-prometheus-stack';
import { syntaxErrors } from '../helpers/promql';
import { findObject, findObjects, helmTemplate } from '../helpers/helm-render';
import { releaseValues, synthEnvironment, type SynthResult } from '../helpers/synth';
import { loadEnvironmentFile } from '../metrics/env-files';
import { configMapData } from './helpers';

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const gathered = () => renderLokiRuleGroups([...trainingLogRules(), ...gpuLogRules()]);
const alerts = (): AlertRule[] => gathered().flatMap((g) => g.rules.filter(isAlertRule));
const synths = new Map<string, SynthResult>();
const synth = (env: string): SynthResult => {
  let r = synths.get(env);
  if (!r) synths.set(env, (r = synthEnvironment(loadEnvironmentFile(env), env)));
  return r;
};

test('LogQL alerts cover OOM, NaN loss, NCCL timeout and Xid, and every expression parses with @grafana/lezer-logql', () => {
  const rules = alerts();
  assert.deepEqual(rules.map((r) => r.alert), ['LogTrainingOutOfMemory', 'LogTrainingLossNotFinite', 'LogTrainingNcclTimeout', 'LogGpuXidError']);
  for (const [r, event] of rules.map((r, i) => [r, ['oom', 'nan_loss', 'nccl_timeout', 'xid'][i]] as const)) {
    assert.deepEqual(syntaxErrors('logql', r.expr), [], r.expr);
    assert.match(r.expr, new RegExp(`\\{event="${event}"\\}`), r.alert);
  }
  assert.notDeepEqual(syntaxErrors('logql', 'sum by (pod) (count_over_time({event="oom"}[10m]) > 0'), [], 'the grammar check can fail');
});

test('every Loki alert has severity, component, summary, description and an https runbook_url', () => {
  for (const r of alerts()) {
    assert.match(r.labels.severity, /^(critical|warning)$/, r.alert);
    assert.match(r.labels.component, /^(training|gpu)$/, r.alert);
    assert.equal(r.labels.source, 'loki-ruler');
    for (const k of ['summary', 'description'] as const) assert.ok(r.annotations[k].length > 20, `${r.alert} ${k}`);
    assert.match(r.annotations.runbook_url, /^https:\/\//, r.alert);
  }
  const file = parse(renderLokiRulesFile(gathered())) as Values;
  assert.equal(file.groups[0].rules.length, 4);
  assert.equal(file.groups[0].rules[3].labels.component, 'gpu');
  assert.throws(
    () => renderLokiRulesFile([{ name: 'g', rules: [{ ...alerts()[0]!, annotations: { summary: 's', description: 'd', runbook_url: 'http://x' } }] }]),
    /runbook_url must be an https URL/,
  );
});

for (const [env, tenant, target, workload] of [
  ['dev', 'dev', 'single-binary', 'loki'],
  ['prod', 'ml-prod', 'backend', 'loki-backend'],
] as const) {
  test(`${env}: the rules ConfigMap is the one the chart mounts at ${LOKI_RULES_DIR}/${tenant} in ${workload}; the ruler loads it and sends to Alertmanager`, () => {
    const r = synth(env);
    const name = `${DEFAULT_LOKI_RELEASE_NAME}-${target}-rules-${tenant}`;
    assert.equal(configMapData(r.tf, name)[LOKI_RULES_FILE], renderLokiRulesFile(gathered()));
    const objs = helmTemplate({ chart: 'loki', values: releaseValues(r.tf, DEFAULT_LOKI_RELEASE_NAME), releaseName: DEFAULT_LOKI_RELEASE_NAME, namespace: 'mlobs', apiVersions: ['monitoring.coreos.com/v1'] });
    const pod = (findObject(objs, 'StatefulSet', workload) as unknown as Values).spec.template.spec;
    const volume = pod.volumes.find((v: Values) => v.configMap?.name === name);
    assert.ok(volume, `${workload} mounts ConfigMap ${name}; has ${JSON.stringify(pod.volumes.map((v: Values) => v.configMap?.name))}`);
    const mount = pod.containers[0].volumeMounts.find((m: Values) => m.name === volume.name);
    assert.equal(mount.mountPath, `${LOKI_RULES_DIR}/${tenant}`);
    assert.ok(!findObjects(objs, 'ConfigMap').some((c) => c.metadata.name === name), 'the chart does not create it (we do)');
    const config = parse((findObject(objs, 'ConfigMap', 'loki') as unknown as Values).data['config.yaml']) as Values;
    assert.equal(config.ruler.alertmanager_url, r.stack.observability.metrics.alertmanagerUrl);
    assert.equal(config.ruler.enable_alertmanager_v2, true);
    assert.deepEqual(config.ruler.storage, { type: 'local', local: { directory: LOKI_RULES_DIR } });
    const release = Object.values(r.tf.resource?.helm_release ?? {}).find((x) => (x as Values).name === DEFAULT_LOKI_RELEASE_NAME) as Values;
    assert.ok((release.depends_on as string[]).some((d) => d.includes('ruler-rules')), 'Loki waits for its rules ConfigMap');
  });
}

test('the ruler\'s Alertmanager URL is the Service the stack\'s kube-prometheus-stack renders (name and port)', () => {
  const r = synth('dev');
  const objs = helmTemplate({ chart: 'kube-prometheus-stack', values: releaseValues(r.tf, DEFAULT_KPS_RELEASE_NAME), releaseName: DEFAULT_KPS_RELEASE_NAME, namespace: 'mlobs' });
  const url = new URL(r.stack.observability.metrics.alertmanagerUrl);
  const [svcName, ns] = url.hostname.split('.');
  const svc = findObject(objs, 'Service', svcName) as unknown as Values;
  assert.equal(ns, 'mlobs');
  assert.ok(svc.spec.ports.some((p: Values) => p.port === Number(url.port)), JSON.stringify(svc.spec.ports));
  assert.equal(svc.spec.selector['app.kubernetes.io/name'], 'alertmanager');
});

test('log rules are each component\'s mixin, gathered by the composition: without them the ruler file has no group; without an Alertmanager they are refused', async () => {
  const { Testing, TerraformStack } = await import('cdktf');
  const { LokiPipeline } = await import('../../constructs/loki/loki-pipeline');
  const { CustomResourceChart } = await import('../../constructs/core/custom-resource-chart');
  const { commonConfig } = await import('../../constructs/core/common');
  assert.deepEqual(renderLokiRuleGroups([]), []);
  assert.deepEqual(gathered()[0]?.rules.map((r) => ('alert' in r ? r.alert : '')), ['LogTrainingOutOfMemory', 'LogTrainingLossNotFinite', 'LogTrainingNcclTimeout', 'LogGpuXidError']);
  const stack = new TerraformStack(Testing.app(), 't');
  const common = commonConfig({ environment: 't' });
  const resources = new CustomResourceChart(stack, 'resources', { namespace: common.namespace });
  assert.throws(() => new LokiPipeline(stack, 'loki', { common, resources, logRules: trainingLogRules() }), /^Error: t\/loki: props\.logRules are given but props\.alertmanager is not/);
});
