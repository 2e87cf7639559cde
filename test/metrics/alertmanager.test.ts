/**
 * Alertmanager: the rendered configuration of every environment passes `amtool check-config`
 * (with the secret files present as fixtures), `amtool config routes test` proves the routing
 * promises, and no credential reaches the synthesized output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { Testing } from 'cdktf';
import { parseEnvironment } from '../../config/load';
import type { EnvironmentInput } from '../../config/schema/environment';
import type { AlertingSettings } from '../../config/schema/metrics';
import { renderAlertmanagerConfig, GPU_GONE_ALERTS, NODE_GONE_ALERTS } from '../../constructs/metrics/alertmanager-config.render';
import { APP_CONTEXT } from '../../stacks/app';
import { EnvironmentStack } from '../../stacks/environment-stack';
import { MINIMAL_INPUT } from '../helpers/synth';
import { ENVIRONMENTS, loadEnvironmentFile } from './env-files';
import { requireTool, runTool } from './tools';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-am-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** A value that stands for a real credential: it must never appear in synthesized output. */
const SENTINEL = 'SENTINEL-do-not-leak-7f3a9c';

/** Writes the config with its secret files as fixtures (holding the sentinel); returns the config path. */
function writeConfig(name: string, alerting: AlertingSettings): string {
  const dir = path.join(tmp, name);
  const secretsDir = path.join(dir, 'secrets');
  const rendered = renderAlertmanagerConfig({ alerting, secretsDir });
  const text = stringify(rendered.config);
  for (const m of text.matchAll(/_file: (\S+)/g)) {
    const file = m[1] as string;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `https://hooks.example.com/${SENTINEL}\n`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'alertmanager.yaml');
  fs.writeFileSync(file, text);
  return file;
}

const settingsOf = (env: string) => parseEnvironment(env, loadEnvironmentFile(env)).settings;
const configs = new Map(ENVIRONMENTS.map((e) => [e, writeConfig(e, settingsOf(e).alertmanager)]));

/** The receivers `amtool config routes test` resolves for a label set, sorted. */
function routesFor(env: string, labels: Record<string, string>): string[] {
  const amtool = requireTool('amtool');
  const r = runTool(amtool, ['config', 'routes', 'test', `--config.file=${configs.get(env as never)}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  assert.equal(r.status, 0, `amtool config routes test failed: ${r.stderr}`);
  return r.stdout.trim().split(',').map((s) => s.trim()).sort();
}

for (const env of ENVIRONMENTS) {
  test(`amtool check-config accepts the rendered ${env} configuration`, () => {
    const amtool = requireTool('amtool');
    const r = runTool(amtool, ['check-config', configs.get(env) as string]);
    assert.equal(r.status, 0, `amtool check-config failed for ${env}:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /SUCCESS/);
    assert.match(r.stdout, /3 inhibit rules/);
  });
}

test('amtool check-config rejects a broken configuration (the check can fail)', () => {
  const bad = path.join(tmp, 'bad.yaml');
  fs.writeFileSync(bad, stringify({ route: { receiver: 'missing' }, receivers: [{ name: 'null' }] }));
  const r = runTool(requireTool('amtool'), ['check-config', bad]);
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /undefined receiver "missing"/);
});

test('prod routing: a critical GPU alert pages the GPU pager (and the remediation webhook)', () => {
  assert.deepEqual(routesFor('prod', { alertname: 'GpuXidError', severity: 'critical', component: 'gpu', cluster: 'gpu-prod' }), ['gpu-remediation', 'pager-gpu']);
});

test('prod routing: a warning GPU alert goes to chat, never to a pager', () => {
  assert.deepEqual(routesFor('prod', { alertname: 'GpuHighTemperature', severity: 'warning', component: 'gpu' }), ['chat-ml-alerts', 'gpu-remediation']);
});

test('prod routing: info alerts, Watchdog and InfoInhibitor reach nobody', () => {
  assert.deepEqual(routesFor('prod', { alertname: 'GpuIdle', severity: 'info', component: 'gpu' }), ['null']);
  assert.deepEqual(routesFor('prod', { alertname: 'Watchdog', severity: 'none' }), ['null']);
  assert.deepEqual(routesFor('prod', { alertname: 'InfoInhibitor', severity: 'none' }), ['null']);
});

test('prod routing: by component and team, with global fallbacks', () => {
  assert.deepEqual(routesFor('prod', { alertname: 'KubePodCrashLooping', severity: 'critical' }), ['pager-platform']);
  assert.deepEqual(routesFor('prod', { alertname: 'KubePodCrashLooping', severity: 'warning' }), ['chat-ml-alerts']);
  assert.deepEqual(routesFor('prod', { alertname: 'TrainingLossNaN', severity: 'warning', component: 'training' }), ['chat-training']);
  assert.deepEqual(routesFor('prod', { alertname: 'TrainingStalled', severity: 'critical', component: 'training' }), ['pager-platform']);
  assert.deepEqual(routesFor('prod', { alertname: 'CertificateExpiring', severity: 'warning', team: 'platform' }), ['email-platform']);
  // A severity typo is seen in chat rather than lost.
  assert.deepEqual(routesFor('prod', { alertname: 'Odd', severity: 'critcal' }), ['chat-ml-alerts']);
});

test('staging routing: never pages; critical GPU alerts go to the GPU chat', () => {
  assert.deepEqual(routesFor('staging', { alertname: 'GpuXidError', severity: 'critical', component: 'gpu' }), ['chat-staging-gpu']);
  assert.deepEqual(routesFor('staging', { alertname: 'KubePodCrashLooping', severity: 'critical' }), ['chat-staging']);
});

test('dev (no receivers): every alert is dropped', () => {
  assert.deepEqual(routesFor('dev', { alertname: 'GpuXidError', severity: 'critical', component: 'gpu' }), ['null']);
});

test('grouping and inhibition: group by alertname/cluster/namespace; critical silences warning; a gone node or GPU silences its symptoms', () => {
  const { config } = renderAlertmanagerConfig({ alerting: settingsOf('prod').alertmanager });
  assert.deepEqual(config.route.group_by, ['alertname', 'cluster', 'namespace']);
  const [sev, node, gpu] = config.inhibit_rules;
  assert.deepEqual(sev?.source_matchers, ['severity="critical"']);
  assert.deepEqual(sev?.target_matchers, ['severity="warning"']);
  assert.ok(sev?.equal.includes('alertname') && sev.equal.includes('cluster'));
  assert.deepEqual(node?.source_matchers, [`alertname=~"${NODE_GONE_ALERTS.join('|')}"`]);
  assert.deepEqual(node?.equal, ['cluster', 'node']);
  assert.deepEqual(gpu?.source_matchers, [`alertname=~"${GPU_GONE_ALERTS.join('|')}"`]);
  assert.deepEqual(gpu?.equal, ['cluster', 'node', 'gpu']);
});

test('every credential is read from a mounted Secret file (*_file), never inline', () => {
  const { config, secretNames } = renderAlertmanagerConfig({ alerting: settingsOf('prod').alertmanager });
  const text = JSON.stringify(config);
  assert.match(text, /"api_url_file":"\/etc\/alertmanager\/secrets\/alertmanager-slack\/ml-alerts-webhook-url"/);
  assert.match(text, /"routing_key_file":"\/etc\/alertmanager\/secrets\/alertmanager-pagerduty\/gpu-routing-key"/);
  assert.match(text, /"auth_password_file":"\/etc\/alertmanager\/secrets\/alertmanager-smtp\/password"/);
  assert.doesNotMatch(text, /"(api_url|routing_key|service_key|auth_password)":/);
  assert.deepEqual(secretNames, ['alertmanager-pagerduty', 'alertmanager-slack', 'alertmanager-smtp']);
});

test('a webhook URL that carries a credential comes from a Secret (url_file, accepted by amtool 0.34)', () => {
  const env = parseEnvironment('t', {
    ...MINIMAL_INPUT,
    alertmanager: { receivers: [{ type: 'webhook', name: 'hook', urlSecret: { name: 'hooks', key: 'url' } }], routing: { warning: 'hook' } },
  });
  const { config, secretNames } = renderAlertmanagerConfig({ alerting: env.settings.alertmanager });
  assert.deepEqual(config.receivers[1], { name: 'hook', webhook_configs: [{ url_file: '/etc/alertmanager/secrets/hooks/url', max_alerts: 0, send_resolved: true }] });
  assert.deepEqual(secretNames, ['hooks']);
  const file = writeConfig('webhook-url-file', env.settings.alertmanager);
  assert.match(fs.readFileSync(file, 'utf8'), /url_file: \S+\/hooks\/url/);
  const r = runTool(requireTool('amtool'), ['check-config', file]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS/);
});

test('the planted sentinel secret value never appears in the synthesized stacks', () => {
  const out = fs.mkdtempSync(path.join(tmp, 'synth-'));
  const app = Testing.app({ outdir: out, context: { ...APP_CONTEXT } });
  for (const e of ENVIRONMENTS) new EnvironmentStack(app, parseEnvironment(e, loadEnvironmentFile(e)));
  app.synth();
  let scanned = 0;
  const walk = (d: string): void => {
    for (const f of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, f.name);
      if (f.isDirectory()) walk(p);
      else {
        scanned++;
        assert.ok(!fs.readFileSync(p, 'utf8').includes(SENTINEL), `${path.relative(out, p)} contains the secret value`);
      }
    }
  };
  walk(out);
  assert.ok(scanned >= 3, `scanned ${scanned} files`);
  // The fixtures do hold it: the scan would have found a leak.
  const someFixture = fs.readFileSync(configs.get('prod') as string, 'utf8').match(/api_url_file: (\S+)/)?.[1] as string;
  assert.ok(fs.readFileSync(someFixture, 'utf8').includes(SENTINEL));
});

const withAlerting = (alertmanager: EnvironmentInput['alertmanager']): EnvironmentInput => ({ ...MINIMAL_INPUT, alertmanager });

test('a route naming an undefined receiver fails with the defined ones and what to write', () => {
  assert.throws(
    () => parseEnvironment('t', withAlerting({ receivers: [{ type: 'slack', name: 'chat', apiUrl: { name: 's', key: 'u' }, channel: '#a' }], routing: { critical: 'pager' } })),
    /alertmanager\.routing\.critical[\s\S]*"pager" is not a receiver \(defined: chat\); please add it to alertmanager\.receivers/,
  );
});

test('a Slack URL written as a literal is rejected (credentials are Secret references)', () => {
  assert.throws(
    () => parseEnvironment('t', withAlerting({ receivers: [{ type: 'slack', name: 'chat', apiUrl: 'https://hooks.slack.com/services/x' as never, channel: '#a' }] })),
    /alertmanager\.receivers\[0\]\.apiUrl/,
  );
});

test('a webhook url with an embedded token is rejected in favour of urlSecret', () => {
  assert.throws(
    () => parseEnvironment('t', withAlerting({ receivers: [{ type: 'webhook', name: 'hook', url: 'https://x.example.com/a?token=abc' }] })),
    /looks like it carries a credential; put the URL in a Secret and use urlSecret/,
  );
});

test('receiver "null" is reserved and names are unique', () => {
  assert.throws(
    () => parseEnvironment('t', withAlerting({ receivers: [{ type: 'webhook', name: 'null', url: 'http://a.b' }] })),
    /"null" is reserved/,
  );
  const hook = { type: 'webhook' as const, name: 'hook', url: 'http://a.b' };
  assert.throws(() => parseEnvironment('t', withAlerting({ receivers: [hook, hook] })), /"hook" is defined twice/);
});
