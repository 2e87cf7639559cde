import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPrometheusRule, type RuleGroup } from '../../constructs/core/prometheus-rule';
import { commonConfigFor } from '../../stacks/environment-props';
import { parseEnvironment } from '../../config';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { promtoolCheckRules, promtoolTestRules } from '../helpers/promtool';

const GROUP: RuleGroup = {
  name: 'example',
  rules: [
    {
      alert: 'ExampleHigh',
      expr: 'example_value > 10',
      for: '5m',
      labels: { severity: 'warning', component: 'platform' },
      annotations: { summary: 'Example is {{ $value }}', description: 'Example above 10 for 5m.', runbook_url: 'https://example.com/runbooks/example-high' },
    },
  ],
};
const common = commonConfigFor('t', parseEnvironment('t', { grafana: { adminCredentials: { secretName: 'g' } } }).settings);

test('a PrometheusRule carries the monitor label and validates against its CRD', () => {
  const m = renderPrometheusRule('example', [GROUP], common);
  assert.equal(m.metadata.labels?.['mlobs.dev/monitor'], 'mlobs');
  assertValidCustomResource(m);
});

test('promtool: the helper proves an alert fires after its for-duration and stays quiet below threshold', () => {
  assert.match(promtoolCheckRules([GROUP]), /SUCCESS: 1 rules found/);
  promtoolTestRules(
    [GROUP],
    [
      {
        name: 'fires after 5m above 10, quiet before',
        inputSeries: [{ series: 'example_value{job="x"}', values: '20x20' }],
        alertRuleTests: [
          { evalTime: '3m', alertname: 'ExampleHigh', expAlerts: [] },
          {
            evalTime: '10m',
            alertname: 'ExampleHigh',
            expAlerts: [
              {
                expLabels: { severity: 'warning', component: 'platform', job: 'x' },
                expAnnotations: { summary: 'Example is 20', description: 'Example above 10 for 5m.', runbook_url: 'https://example.com/runbooks/example-high' },
              },
            ],
          },
        ],
      },
      { name: 'quiet at 5', inputSeries: [{ series: 'example_value{job="x"}', values: '5x20' }], alertRuleTests: [{ evalTime: '10m', alertname: 'ExampleHigh', expAlerts: [] }] },
    ],
  );
  // And the helper fails when the expectation is wrong (a test that can fail).
  assert.throws(
    () => promtoolTestRules([GROUP], [{ name: 'wrong', inputSeries: [{ series: 'example_value', values: '5x20' }], alertRuleTests: [{ evalTime: '10m', alertname: 'ExampleHigh', expAlerts: [{ expLabels: { severity: 'warning', component: 'platform' } }] }] }]),
    /promtool test rules failed/,
  );
  assert.throws(() => promtoolCheckRules([{ name: 'bad', rules: [{ record: 'x', expr: 'sum(' }] }]), /promtool check rules failed/);
});

test('an alert without runbook, with a bad severity, or a duplicate name is refused', () => {
  const bad: RuleGroup = {
    name: 'bad',
    rules: [
      { ...(GROUP.rules[0] as object), annotations: { summary: 's', description: '', runbook_url: 'http://x' } } as RuleGroup['rules'][number],
      GROUP.rules[0] as RuleGroup['rules'][number],
    ],
  };
  assert.throws(() => renderPrometheusRule('bad', [bad], common), /annotation "description" is empty[\s\S]*runbook_url must be an https URL[\s\S]*the alert name is used twice/);
});
