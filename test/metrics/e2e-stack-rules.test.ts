/**
 * The stack's own rules against the real promtool (Prometheus 3.14, the chart's): they load, each
 * alert fires and stays quiet when it should; and every PrometheusRule in every environment's
 * custom-resource chart passes `promtool check rules`.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { parseEnvironment } from '../../config/load';
import { commonConfigFor } from '../../stacks/environment-props';
import type { KubeManifest } from '../../constructs/core/manifest';
import { isAlertRule } from '../../constructs/core/prometheus-rule';
import { RETENTION_RUNBOOK_URL, STACK_RULES_NAME, renderStackPrometheusRule, renderStackRuleGroups } from '../../constructs/metrics/stack-rules';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { promtoolCheckRules, promtoolTestRules } from '../helpers/promtool';
import { synthEnvironment } from '../helpers/synth';
import { ENVIRONMENTS, loadEnvironmentFile } from './env-files';
import { requireTool, runTool } from './tools';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-stack-rules-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const settings = parseEnvironment('prod', loadEnvironmentFile('prod')).settings;
const common = commonConfigFor('prod', settings);
const groups = renderStackRuleGroups({ common, retentionTime: '30d' });

const ALERT = 'PrometheusDeletingDataBeforeRetentionTime';
const OURS = 'prometheus_tsdb_size_retentions_total{namespace="mlobs",pod="mlobs-prometheus-0",job="mlobs-prometheus"}';
const FIRING = {
  expLabels: { alertname: ALERT, severity: 'warning', component: 'platform', namespace: 'mlobs', pod: 'mlobs-prometheus-0', job: 'mlobs-prometheus' },
  expAnnotations: {
    summary: 'Prometheus mlobs-prometheus-0 is deleting data before its retention time',
    description:
      'Prometheus mlobs/mlobs-prometheus-0 reached its size limit (retention.prometheus.sizeGiB) and deleted its oldest blocks in the last 3h, ' +
      'so it keeps less than the configured 30d (retention.prometheus.time). ' +
      'Raise retention.prometheus.sizeGiB together with prometheus.storage.sizeGiB, or shorten retention.prometheus.time.',
    runbook_url: RETENTION_RUNBOOK_URL,
  },
};

/** `promtool check rules` on a PrometheusRule object as shipped (its spec.groups, untouched). */
function promtoolCheckManifest(m: KubeManifest): string {
  const file = path.join(tmp, `${m.metadata.namespace ?? 'default'}-${m.metadata.name}.yaml`);
  fs.writeFileSync(file, stringify({ groups: (m.spec as { groups: unknown[] }).groups }));
  const r = runTool(requireTool('promtool'), ['check', 'rules', file]);
  assert.equal(r.status, 0, `promtool check rules rejects PrometheusRule ${m.metadata.name}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

test('stack rules: every alert has severity, component and the three annotations; promtool loads the group', () => {
  const alerts = groups.flatMap((g) => g.rules).filter(isAlertRule);
  // The first group is the Prometheus retention rule; the self-monitoring groups follow (e2e-self-monitoring-rules.test.ts).
  assert.deepEqual(groups[0].rules.filter(isAlertRule).map((a) => a.alert), [ALERT]);
  for (const a of alerts) {
    assert.ok(a.labels.severity && a.labels.component, a.alert);
    assert.ok(a.annotations.summary && a.annotations.description && a.annotations.runbook_url.startsWith('https://'), a.alert);
  }
  assert.match(promtoolCheckRules(groups), new RegExp(`SUCCESS: ${alerts.length} rules found`));
});

test('stack rules: the PrometheusRule object carries the monitor label, matches its CRD and passes promtool as shipped', () => {
  const m = renderStackPrometheusRule({ common, retentionTime: '30d' });
  assert.equal(m.metadata.name, STACK_RULES_NAME);
  assert.equal(m.metadata.namespace, 'mlobs');
  assert.equal(m.metadata.labels?.['mlobs.dev/monitor'], 'mlobs');
  assertValidCustomResource(m);
  const count = (m.spec as { groups: { rules: unknown[] }[] }).groups.reduce((n, g) => n + g.rules.length, 0);
  assert.match(promtoolCheckManifest(m), new RegExp(`SUCCESS: ${count} rules found`));
});

test(`promtool: ${ALERT} fires once a block is deleted for size, and only for this stack's namespace`, () => {
  promtoolTestRules(groups, [
    {
      name: 'a size-based deletion fires at once, and clears 3h later',
      // 10 minutes without deletions, then one; then no more.
      inputSeries: [{ series: OURS, values: '0x10 1x300' }],
      alertRuleTests: [
        { evalTime: '9m', alertname: ALERT, expAlerts: [] },
        { evalTime: '15m', alertname: ALERT, expAlerts: [FIRING] },
        { evalTime: '2h', alertname: ALERT, expAlerts: [FIRING] },
        { evalTime: '4h', alertname: ALERT, expAlerts: [] },
      ],
    },
    {
      name: 'quiet when no block is deleted for size',
      inputSeries: [{ series: OURS, values: '0x300' }],
      alertRuleTests: [{ evalTime: '4h', alertname: ALERT, expAlerts: [] }],
    },
    {
      name: "quiet for a Prometheus in another namespace (not this stack's)",
      inputSeries: [{ series: 'prometheus_tsdb_size_retentions_total{namespace="team-a",pod="prometheus-0"}', values: '0x10 1+1x60' }],
      alertRuleTests: [{ evalTime: '30m', alertname: ALERT, expAlerts: [] }],
    },
  ]);
});

test('every PrometheusRule in every environment\'s custom-resource chart passes promtool check rules', (t) => {
  const found: string[] = [];
  for (const env of ENVIRONMENTS) {
    const { customResources } = synthEnvironment(loadEnvironmentFile(env), env);
    for (const m of customResources.filter((r) => r.kind === 'PrometheusRule')) {
      promtoolCheckManifest(m);
      found.push(`${env}/${m.metadata.name}`);
    }
  }
  // Components add their PrometheusRules over time (GPU rules, the stack's own rules): the
  // list is reported, not pinned; each one found must load in promtool.
  t.diagnostic(`PrometheusRules checked: ${found.join(', ') || 'none'}`);
  // The check itself rejects a broken group (so a bad rule in a chart would fail here).
  const broken: KubeManifest = { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'broken', namespace: 'x' }, spec: { groups: [{ name: 'g', rules: [{ record: 'x', expr: 'sum(' }] }] } };
  assert.throws(() => promtoolCheckManifest(broken), /promtool check rules rejects PrometheusRule broken/);
});
