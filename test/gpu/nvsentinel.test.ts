/**
 * `nvsentinel` mode building blocks: promtool tests of every new alert (firing and quiet) on
 * series shaped exactly as kube-state-metrics exports them (kube-prometheus-stack's
 * ServiceMonitor with honorLabels adds job/namespace/pod/instance/...; `node` is KSM's own),
 * the label names KSM derives from NVSentinel's keys, the kube-state-metrics values fragment
 * against the pinned chart (contract and helm template), the inhibit targets against the GPU
 * rules, the PodMonitor against its CRD, and every query through the PromQL parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  renderGpuRuleGroups,
  renderNvsentinelRuleGroups,
  nvsentinelInhibitRules,
  nvsentinelInhibitedGpuAlerts,
  nvsentinelKubeStateMetricsValues,
  nvsentinelPanels,
  renderNvsentinelPodMonitor,
  renderDcgmServiceMonitor,
  mergeNodesAllowlist,
  ksmLabelName,
  CRITICAL_XIDS,
  KSM,
  NVSENTINEL_QUARANTINED_ALERT,
  NVSENTINEL_QUARANTINED_RECORD,
  NVSENTINEL_NOT_INHIBITED_GPU_ALERTS,
} from '../../constructs/gpu';
import { isAlertRule, type RuleGroup } from '../../constructs/core/prometheus-rule';
import { gpuSchema } from '../../config/schema/gpu';
import { parseEnvironment } from '../../config/load';
import { commonConfigFor } from '../../stacks/environment-props';
import { promtoolCheckRules, promtoolTestRules, type AlertExpectation, type SeriesInput } from '../helpers/promtool';
import { syntaxErrors } from '../helpers/promql';
import { assertValuesKeysExist, findUnknownValuesKeys } from '../helpers/helm-values-contract';
import { helmTemplate, findObjects } from '../helpers/helm-render';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { MINIMAL_INPUT } from '../helpers/synth';
import { findAlert, renderedAnnotations } from './helpers';

const groups = renderNvsentinelRuleGroups();
const gpuGroups = renderGpuRuleGroups(gpuSchema.parse({}).alerts);

/** Target labels kube-prometheus-stack's kube-state-metrics ServiceMonitor adds (honorLabels: true keeps KSM's own `node`). */
const KSM_TARGET = {
  job: 'kube-state-metrics',
  namespace: 'mlobs',
  service: 'mlobs-kube-state-metrics',
  endpoint: 'http',
  pod: 'mlobs-kube-state-metrics-6d9f7c8b5-x2x7q',
  container: 'kube-state-metrics',
  instance: '10.42.0.12:8080',
};
function ksm(metric: string, labels: Readonly<Record<string, string>>, values: string): SeriesInput {
  const all = { ...KSM_TARGET, ...labels };
  return { series: `${metric}{${Object.entries(all).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`, values };
}
/** kube_node_labels of a node with NVSentinel's state label (and its cordon-by label, as fault-quarantine sets both). */
const stateLabel = (node: string, state: string, values: string): SeriesInput =>
  ksm('kube_node_labels', { node, [KSM.state]: state, [KSM.cordonBy]: 'NVSentinel' }, values);
const plainNode = (node: string, values: string): SeriesInput => ksm('kube_node_labels', { node }, values);
const unschedulable = (node: string, values: string): SeriesInput => ksm('kube_node_spec_unschedulable', { node }, values);

function fires(alertname: string, evalTime: string, labels: Readonly<Record<string, string>>, value: string): AlertExpectation {
  const a = findAlert(groups, alertname);
  return { evalTime, alertname, expAlerts: [{ expLabels: { ...labels, ...a.labels }, expAnnotations: renderedAnnotations(a, labels, value) }] };
}
const quiet = (alertname: string, evalTime: string): AlertExpectation => ({ evalTime, alertname, expAlerts: [] });

test('KSM label names: NVSentinel keys become the names kube-state-metrics exports (sanitize, snake case, lower case)', () => {
  assert.equal(ksmLabelName('label', 'dgxc.nvidia.com/nvsentinel-state'), 'label_dgxc_nvidia_com_nvsentinel_state');
  assert.equal(ksmLabelName('label', 'k8saas.nvidia.com/cordon-by'), 'label_k8saas_nvidia_com_cordon_by');
  assert.equal(ksmLabelName('label', 'k8saas.nvidia.com/ManagedByNVSentinel'), 'label_k8saas_nvidia_com_managed_by_nvsentinel');
  assert.equal(ksmLabelName('annotation', 'quarantineHealthEventIsCordoned'), 'annotation_quarantine_health_event_is_cordoned');
  assert.equal(ksmLabelName('annotation', 'quarantinedNodeUncordonedManually'), 'annotation_quarantined_node_uncordoned_manually');
  assert.equal(ksmLabelName('label', 'app.kubernetes.io/name'), 'label_app_kubernetes_io_name');
});

test('NVSentinel rules pass promtool check rules; every expression parses; house rules (severity, component gpu, what to do)', () => {
  promtoolCheckRules(groups);
  for (const r of groups.flatMap((g) => g.rules)) {
    assert.deepEqual(syntaxErrors('promql', r.expr), [], r.expr);
    if (!isAlertRule(r)) continue;
    assert.equal(r.labels.component, 'gpu', r.alert);
    assert.match(r.annotations.description, /What to do:/, r.alert);
  }
  const record = groups[0]?.rules.find((r) => !isAlertRule(r));
  assert.equal(record && 'record' in record ? record.record : undefined, NVSENTINEL_QUARANTINED_RECORD);
});

test('promtool: a cordoned node with the state label, and a node with the quarantine taint, are quarantined; a dry-run node (label, not cordoned) and a human-cordoned node are not', () => {
  promtoolTestRules(groups, [
    {
      name: 'quarantined',
      inputSeries: [
        // gpu-node-1: healthy 5m, then NVSentinel quarantines it (label + cordon).
        plainNode('gpu-node-1', '1x4 _x20'),
        stateLabel('gpu-node-1', 'quarantined', '_x5 1x20'),
        unschedulable('gpu-node-1', '0x4 1x20'),
        // gpu-node-2: a taint-only rule set.
        plainNode('gpu-node-2', '1x25'),
        unschedulable('gpu-node-2', '0x25'),
        ksm('kube_node_spec_taint', { node: 'gpu-node-2', key: 'nvidia.com/gpu-error', value: 'fatal', effect: 'NoSchedule' }, '_x5 1x20'),
        // gpu-node-3: dry run: the label without a cordon.
        stateLabel('gpu-node-3', 'quarantined', '1x25'),
        unschedulable('gpu-node-3', '0x25'),
        // gpu-node-4: cordoned by a human, no NVSentinel state.
        plainNode('gpu-node-4', '1x25'),
        unschedulable('gpu-node-4', '1x25'),
        ksm('kube_node_spec_taint', { node: 'gpu-node-4', key: 'node.kubernetes.io/unschedulable', value: '', effect: 'NoSchedule' }, '1x25'),
      ],
      alertRuleTests: [
        quiet(NVSENTINEL_QUARANTINED_ALERT, '3m'),
        {
          evalTime: '10m',
          alertname: NVSENTINEL_QUARANTINED_ALERT,
          expAlerts: ['gpu-node-1', 'gpu-node-2'].map((node) => {
            const a = findAlert(groups, NVSENTINEL_QUARANTINED_ALERT);
            return { expLabels: { node, ...a.labels }, expAnnotations: renderedAnnotations(a, { node }, '1') };
          }),
        },
      ],
    },
  ]);
});

test('promtool: the harness fails when an expectation is wrong (a dry-run node expected quarantined)', () => {
  assert.throws(
    () =>
      promtoolTestRules(groups, [
        {
          name: 'wrong on purpose',
          inputSeries: [stateLabel('gpu-node-3', 'quarantined', '1x15'), unschedulable('gpu-node-3', '0x15')],
          alertRuleTests: [fires(NVSENTINEL_QUARANTINED_ALERT, '10m', { node: 'gpu-node-3' }, '1')],
        },
      ]),
    /promtool test rules failed/,
  );
});

test('promtool: GpuNodeNvsentinelRemediationStuck fires for a node in one state beyond 6h (with its state), not for a node that moves on', () => {
  promtoolTestRules(groups, [
    {
      name: 'stuck',
      inputSeries: [
        stateLabel('gpu-node-1', 'draining', '1x420'),
        unschedulable('gpu-node-1', '1x420'),
        // gpu-node-2: 3h quarantined, then 3h30 draining, then drain-succeeded: never 6h in one state.
        stateLabel('gpu-node-2', 'quarantined', '1x180 _x240'),
        stateLabel('gpu-node-2', 'draining', '_x181 1x210 _x30'),
        stateLabel('gpu-node-2', 'drain-succeeded', '_x392 1x30'),
        unschedulable('gpu-node-2', '1x420'),
      ],
      alertRuleTests: [
        quiet('GpuNodeNvsentinelRemediationStuck', '5h'),
        fires('GpuNodeNvsentinelRemediationStuck', '6h10m', { node: 'gpu-node-1', state: 'draining' }, '1'),
        fires('GpuNodeNvsentinelRemediationStuck', '6h55m', { node: 'gpu-node-1', state: 'draining' }, '1'),
      ],
    },
  ]);
});

test('promtool: GpuNodeNvsentinelRemediationFailed fires for drain-failed and remediation-failed after 10m', () => {
  promtoolTestRules(groups, [
    {
      name: 'failed',
      inputSeries: [
        stateLabel('gpu-node-1', 'drain-succeeded', '1x5 _x30'),
        stateLabel('gpu-node-1', 'remediation-failed', '_x6 1x30'),
        unschedulable('gpu-node-1', '1x36'),
        stateLabel('gpu-node-2', 'drain-failed', '1x36'),
        unschedulable('gpu-node-2', '1x36'),
        stateLabel('gpu-node-3', 'remediating', '1x36'),
        unschedulable('gpu-node-3', '1x36'),
      ],
      alertRuleTests: [
        quiet('GpuNodeNvsentinelRemediationFailed', '8m'),
        {
          evalTime: '12m',
          alertname: 'GpuNodeNvsentinelRemediationFailed',
          expAlerts: [{ node: 'gpu-node-2', state: 'drain-failed' }].map((l) => {
            const a = findAlert(groups, 'GpuNodeNvsentinelRemediationFailed');
            return { expLabels: { ...l, ...a.labels }, expAnnotations: renderedAnnotations(a, l, '1') };
          }),
        },
        {
          evalTime: '20m',
          alertname: 'GpuNodeNvsentinelRemediationFailed',
          expAlerts: [
            { node: 'gpu-node-1', state: 'remediation-failed' },
            { node: 'gpu-node-2', state: 'drain-failed' },
          ].map((l) => {
            const a = findAlert(groups, 'GpuNodeNvsentinelRemediationFailed');
            return { expLabels: { ...l, ...a.labels }, expAnnotations: renderedAnnotations(a, l, '1') };
          }),
        },
      ],
    },
  ]);
});

test('promtool: GpuNodeUncordonedWhileNvsentinelQuarantined fires when a node with the state label stays schedulable 10m; a cordoned one is quiet', () => {
  promtoolTestRules(groups, [
    {
      name: 'uncordoned',
      inputSeries: [
        stateLabel('gpu-node-1', 'draining', '1x30'),
        unschedulable('gpu-node-1', '1x9 0x21'),
        stateLabel('gpu-node-2', 'draining', '1x30'),
        unschedulable('gpu-node-2', '1x30'),
      ],
      alertRuleTests: [
        quiet('GpuNodeUncordonedWhileNvsentinelQuarantined', '15m'),
        fires('GpuNodeUncordonedWhileNvsentinelQuarantined', '21m', { node: 'gpu-node-1' }, '1'),
        // Once uncordoned it is no longer "quarantined": no inhibition source for it.
        {
          evalTime: '21m',
          alertname: NVSENTINEL_QUARANTINED_ALERT,
          expAlerts: [{ expLabels: { node: 'gpu-node-2', ...findAlert(groups, NVSENTINEL_QUARANTINED_ALERT).labels }, expAnnotations: renderedAnnotations(findAlert(groups, NVSENTINEL_QUARANTINED_ALERT), { node: 'gpu-node-2' }, '1') }],
        },
      ],
    },
  ]);
});

test('promtool: GpuNodeNvsentinelQuarantineCancelled (info) fires on the manual-uncordon annotation, not on other nodes', () => {
  promtoolTestRules(groups, [
    {
      name: 'cancelled',
      inputSeries: [
        ksm('kube_node_annotations', { node: 'gpu-node-1', [KSM.uncordonedManually]: 'True' }, '_x3 1x10'),
        ksm('kube_node_annotations', { node: 'gpu-node-2' }, '1x13'),
      ],
      alertRuleTests: [quiet('GpuNodeNvsentinelQuarantineCancelled', '2m'), fires('GpuNodeNvsentinelQuarantineCancelled', '6m', { node: 'gpu-node-1' }, '1')],
    },
  ]);
});

test('promtool: NvsentinelCircuitBreakerTripped fires on fault_quarantine_breaker_state{state="TRIPPED"} after 5m; CLOSED is quiet', () => {
  const target = { job: 'nvsentinel', namespace: 'nvsentinel', pod: 'fault-quarantine-7c9d-abcde', container: 'fault-quarantine', endpoint: 'metrics', instance: '10.42.1.7:2112', module: 'fault-quarantine' };
  const s = (state: string, values: string): SeriesInput => ({ series: `fault_quarantine_breaker_state{${Object.entries({ ...target, state }).map(([k, v]) => `${k}="${v}"`).join(', ')}}`, values });
  promtoolTestRules(groups, [
    {
      name: 'breaker',
      inputSeries: [s('CLOSED', '1x5 _x15'), s('TRIPPED', '_x6 1x14')],
      alertRuleTests: [
        quiet('NvsentinelCircuitBreakerTripped', '5m'),
        quiet('NvsentinelCircuitBreakerTripped', '9m'),
        fires('NvsentinelCircuitBreakerTripped', '13m', { job: 'nvsentinel', namespace: 'nvsentinel', state: 'TRIPPED' }, '1'),
      ],
    },
  ]);
});

test('kube-state-metrics values fragment: keys exist in the pinned chart; the allowlists name NVSentinel keys per node', () => {
  const v = nvsentinelKubeStateMetricsValues();
  assertValuesKeysExist('kube-prometheus-stack', v);
  // The chart spells the annotations key with a capital L: the lower-case spelling is unknown (the contract can fail).
  assert.deepEqual(findUnknownValuesKeys('kube-prometheus-stack', { 'kube-state-metrics': { metricAnnotationsAllowlist: [] } }), ['kube-state-metrics.metricAnnotationsAllowlist']);
  assert.deepEqual(v['kube-state-metrics'].metricLabelsAllowlist, [
    'nodes=[dgxc.nvidia.com/nvsentinel-state,k8saas.nvidia.com/cordon-by,k8saas.nvidia.com/ManagedByNVSentinel,nvsentinel.dgxc.nvidia.com/managed]',
  ]);
  assert.deepEqual(v['kube-state-metrics'].metricAnnotationsAllowList, ['nodes=[quarantineHealthEventIsCordoned,quarantinedNodeUncordonedManually]']);
  assert.deepEqual(mergeNodesAllowlist(['nodes=[a,b]', 'pods=[x]'], ['nodes=[b,c]']), ['nodes=[a,b,c]', 'pods=[x]']);
  assert.throws(() => mergeNodesAllowlist(['nodes=a']), /not <resource>=\[key,...\]/);
});

test('helm template: the fragment becomes kube-state-metrics arguments --metric-labels-allowlist and --metric-annotations-allowlist', () => {
  const objs = helmTemplate({ chart: 'kube-prometheus-stack', values: nvsentinelKubeStateMetricsValues(), releaseName: 'mlobs', namespace: 'mlobs' });
  const ksmDeploy = findObjects(objs, 'Deployment').find((o) => o.metadata.name.endsWith('kube-state-metrics'));
  assert.ok(ksmDeploy, 'kube-state-metrics Deployment rendered');
  const args = ((ksmDeploy.spec as { template: { spec: { containers: { args?: string[] }[] } } }).template.spec.containers[0]?.args ?? []) as string[];
  assert.ok(args.includes('--metric-labels-allowlist=nodes=[dgxc.nvidia.com/nvsentinel-state,k8saas.nvidia.com/cordon-by,k8saas.nvidia.com/ManagedByNVSentinel,nvsentinel.dgxc.nvidia.com/managed]'), args.join('\n'));
  assert.ok(args.includes('--metric-annotations-allowlist=nodes=[quarantineHealthEventIsCordoned,quarantinedNodeUncordonedManually]'), args.join('\n'));
});

test('inhibit targets: every critical-Xid alert and the hardware alerts of the GPU rules; workload/config alerts excluded; a new GPU alert needs a decision', () => {
  const targets = nvsentinelInhibitedGpuAlerts(gpuGroups);
  for (const x of CRITICAL_XIDS) assert.ok(targets.includes(x.alert), x.alert);
  for (const n of ['GpuXidError', 'GpuEccUncorrectableErrors', 'GpuRowRemapFailure', 'GpuLost']) assert.ok(targets.includes(n), n);
  for (const n of NVSENTINEL_NOT_INHIBITED_GPU_ALERTS) assert.ok(!targets.includes(n), n);
  const rules = nvsentinelInhibitRules(gpuGroups);
  assert.equal(rules.length, 1);
  assert.deepEqual(rules[0]?.sourceMatchers, [`alertname="${NVSENTINEL_QUARANTINED_ALERT}"`]);
  assert.deepEqual(rules[0]?.equal, ['cluster', 'node']);
  const extra: RuleGroup = { name: 'x', rules: [{ alert: 'GpuSomethingNew', expr: 'vector(1)', labels: { severity: 'warning', component: 'gpu' }, annotations: { summary: 's', description: 'd', runbook_url: 'u' } }] };
  assert.throws(() => nvsentinelInhibitedGpuAlerts([...gpuGroups, extra]), /GpuSomethingNew/);
});

test('label names match on both sides: GPU series get `node` = the Kubernetes node name (our ServiceMonitor), as kube-state-metrics names it', () => {
  const env = parseEnvironment('x', MINIMAL_INPUT);
  const sm = renderDcgmServiceMonitor({ common: commonConfigFor('x', env.settings), name: 'dcgm', serviceNamespace: 'gpu', serviceLabels: { app: 'dcgm' }, portName: 'metrics' });
  const relabelings = (sm.spec as { endpoints: { relabelings: { sourceLabels?: string[]; targetLabel?: string }[] }[] }).endpoints[0]?.relabelings ?? [];
  assert.ok(relabelings.some((r) => r.targetLabel === 'node' && r.sourceLabels?.[0] === '__meta_kubernetes_pod_node_name'));
  // The source alert carries exactly `node` (plus rule labels) from the recording rule: checked by the promtool tests above.
  assert.deepEqual(nvsentinelInhibitRules(gpuGroups)[0]?.equal, ['cluster', 'node']);
});

test('Grafana panels: queries parse and use the recording rule and the state label', () => {
  const panels = nvsentinelPanels();
  assert.equal(panels.length, 3);
  for (const p of panels) for (const q of p.queries) assert.deepEqual(syntaxErrors('promql', q.expr.replace(/\$node/g, 'x')), [], q.expr);
  assert.ok(panels.some((p) => p.queries.some((q) => q.expr.includes(NVSENTINEL_QUARANTINED_RECORD))));
  assert.ok(panels.some((p) => p.queries.some((q) => q.expr.includes(KSM.state))));
});

test('PodMonitor for NVSentinel: our monitor label, NVSentinel pods by release, port metrics, valid against its CRD', () => {
  const env = parseEnvironment('x', MINIMAL_INPUT);
  const common = commonConfigFor('x', env.settings);
  const pm = renderNvsentinelPodMonitor({ common });
  assertValidCustomResource(pm);
  assert.equal(pm.metadata.labels?.['mlobs.dev/monitor'], common.monitorSelector['mlobs.dev/monitor']);
  const spec = pm.spec as { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; podMetricsEndpoints: { port: string; path: string }[] };
  assert.deepEqual(spec.selector.matchLabels, { 'app.kubernetes.io/instance': 'nvsentinel' });
  assert.deepEqual(spec.namespaceSelector.matchNames, ['nvsentinel']);
  assert.equal(spec.podMetricsEndpoints[0]?.port, 'metrics');
  assert.equal(spec.podMetricsEndpoints[0]?.path, '/metrics');
});
