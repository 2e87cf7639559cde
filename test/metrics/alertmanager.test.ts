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
import { goTemplateProblems, renderTemplateFile } from '../../constructs/metrics/message-templates';
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
  const templatesDir = path.join(dir, 'templates');
  const rendered = renderAlertmanagerConfig({ alerting, secretsDir, templatesDir });
  fs.mkdirSync(templatesDir, { recursive: true });
  for (const [name, text] of Object.entries(rendered.templateFiles)) fs.writeFileSync(path.join(templatesDir, name), text);
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
    const rules = renderAlertmanagerConfig({ alerting: settingsOf(env).alertmanager }).config.inhibit_rules.length;
    assert.match(r.stdout, new RegExp(`${rules} inhibit rules`));
    assert.match(r.stdout, / - 1 templates/, 'the message templates are loaded and parsed');
  });
}

test('amtool check-config rejects a broken configuration (the check can fail)', () => {
  const bad = path.join(tmp, 'bad.yaml');
  fs.writeFileSync(bad, stringify({ route: { receiver: 'missing' }, receivers: [{ name: 'null' }] }));
  const r = runTool(requireTool('amtool'), ['check-config', bad]);
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /undefined receiver "missing"/);
});

test('prod routing: a critical GPU alert pages the GPU pager (and mails the platform team: alsoNotify)', () => {
  assert.deepEqual(routesFor('prod', { alertname: 'GpuXidError', severity: 'critical', component: 'gpu', cluster: 'gpu-prod' }), ['email-platform', 'pager-gpu']);
});

test('prod routing: a warning GPU alert goes to chat, never to a pager', () => {
  assert.deepEqual(routesFor('prod', { alertname: 'GpuHighTemperature', severity: 'warning', component: 'gpu' }), ['chat-ml-alerts', 'email-platform']);
});

test('prod routing: info alerts and InfoInhibitor reach nobody; Watchdog goes only to the heartbeat', () => {
  assert.deepEqual(routesFor('prod', { alertname: 'GpuIdle', severity: 'info', component: 'gpu' }), ['null']);
  assert.deepEqual(routesFor('prod', { alertname: 'Watchdog', severity: 'none' }), ['mlobs-heartbeat']);
  assert.deepEqual(routesFor('staging', { alertname: 'Watchdog', severity: 'none' }), ['mlobs-heartbeat']);
  assert.deepEqual(routesFor('dev', { alertname: 'Watchdog', severity: 'none' }), ['null'], 'no heartbeat configured: dropped');
  assert.deepEqual(routesFor('prod', { alertname: 'InfoInhibitor', severity: 'none' }), ['null']);
});

test('the dead man\'s switch: a webhook from a Secret, sent every interval, one alert, never "resolved"', () => {
  const { config, secretNames } = renderAlertmanagerConfig({ alerting: settingsOf('prod').alertmanager });
  const route = config.route.routes?.[0];
  assert.deepEqual(route, { receiver: 'mlobs-heartbeat', matchers: ['alertname="Watchdog"'], group_wait: '0s', group_interval: '1m', repeat_interval: '1m' });
  assert.deepEqual(config.receivers.find((r) => r.name === 'mlobs-heartbeat'), {
    name: 'mlobs-heartbeat',
    webhook_configs: [{ url_file: '/etc/alertmanager/secrets/alertmanager-heartbeat/prod-ping-url', send_resolved: false, max_alerts: 1 }],
  });
  assert.ok(secretNames.includes('alertmanager-heartbeat'));
});

test('routing depth: critical routes page at once; a team route keeps its own timing', () => {
  const { config } = renderAlertmanagerConfig({ alerting: settingsOf('prod').alertmanager });
  const routes = config.route.routes ?? [];
  const globalCritical = routes.find((r) => r.matchers?.[0] === 'severity="critical"');
  assert.deepEqual([globalCritical?.group_wait, globalCritical?.group_interval, globalCritical?.repeat_interval], ['0s', '1m', '30m']);
  const gpu = routes.find((r) => r.matchers?.[0] === 'component="gpu"');
  assert.equal(gpu?.routes?.find((r) => r.matchers?.[0] === 'severity="critical"')?.group_wait, '0s');
  const research = routes.find((r) => r.matchers?.[0] === 'team="research"');
  assert.deepEqual([research?.group_wait, research?.repeat_interval], ['1m', '2h']);
  assert.equal(research?.routes?.find((r) => r.matchers?.[0] === 'severity="critical"')?.group_wait, undefined, 'the team\'s timing, inherited');
  assert.deepEqual(routesFor('prod', { alertname: 'TrainingLossSpike', severity: 'critical', team: 'research' }), ['pager-research']);
  assert.deepEqual(routesFor('prod', { alertname: 'TrainingLossSpike', severity: 'warning', team: 'ml-cn' }), ['wechat-ml-cn']);
  assert.deepEqual(routesFor('staging', { alertname: 'CertificateExpiring', severity: 'warning', team: 'platform' }), ['teams-platform-staging']);
});

test('Teams, Opsgenie and WeChat receivers: credentials from Secret files, the shared message templates', () => {
  const { config } = renderAlertmanagerConfig({ alerting: settingsOf('prod').alertmanager });
  const og = config.receivers.find((r) => r.name === 'pager-research') as unknown as { opsgenie_configs: Record<string, unknown>[] };
  assert.equal(og.opsgenie_configs[0]?.['api_key_file'], '/etc/alertmanager/secrets/alertmanager-opsgenie/research-api-key');
  assert.equal(og.opsgenie_configs[0]?.['api_url'], 'https://api.eu.opsgenie.com/', 'region: eu');
  assert.equal(og.opsgenie_configs[0]?.['message'], '{{ template "mlobs.title" . }}');
  const wc = config.receivers.find((r) => r.name === 'wechat-ml-cn') as unknown as { wechat_configs: Record<string, unknown>[] };
  assert.equal(wc.wechat_configs[0]?.['api_secret_file'], '/etc/alertmanager/secrets/alertmanager-wechat/ml-cn-app-secret');
  assert.equal(wc.wechat_configs[0]?.['to_party'], '2');
  const staging = renderAlertmanagerConfig({ alerting: settingsOf('staging').alertmanager }).config;
  const teams = staging.receivers.find((r) => r.name === 'teams-platform-staging') as unknown as { msteamsv2_configs: Record<string, unknown>[] };
  assert.equal(teams.msteamsv2_configs[0]?.['webhook_url_file'], '/etc/alertmanager/secrets/alertmanager-teams/platform-staging-webhook-url');
  assert.equal(teams.msteamsv2_configs[0]?.['text'], '{{ template "mlobs.text" . }}');
  assert.deepEqual(config.templates, ['/etc/alertmanager/config/*.tmpl']);
});

test('the default messages show environment, job, node, GPU, the description (with the value) and the runbook (amtool template render)', () => {
  const dir = path.join(tmp, 'render');
  fs.mkdirSync(dir, { recursive: true });
  const { templateFiles } = renderAlertmanagerConfig({ alerting: settingsOf('prod').alertmanager });
  for (const [n, t] of Object.entries(templateFiles)) fs.writeFileSync(path.join(dir, n), t);
  const data = {
    receiver: 'chat',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'GpuTemperatureCritical', severity: 'critical', environment: 'prod', cluster: 'gpu-prod', job: 'llama-ft', node: 'gpu-node-7', gpu: '3' },
        annotations: { summary: 'A GPU is near its slowdown temperature', description: 'GPU 3 on node gpu-node-7 is at 91 °C', runbook_url: 'https://docs.nvidia.com/x' },
        startsAt: '2026-12-06T00:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus/graph',
        fingerprint: 'abc',
      },
    ],
    groupLabels: { alertname: 'GpuTemperatureCritical' },
    commonLabels: { alertname: 'GpuTemperatureCritical', severity: 'critical', environment: 'prod', cluster: 'gpu-prod' },
    commonAnnotations: { summary: 'A GPU is near its slowdown temperature' },
    externalURL: 'http://alertmanager',
  };
  const dataFile = path.join(dir, 'data.json');
  fs.writeFileSync(dataFile, JSON.stringify(data));
  const render = (name: string, type = 'text') => {
    const r = runTool(requireTool('amtool'), ['template', 'render', `--template.glob=${dir}/*.tmpl`, `--template.text={{ template "${name}" . }}`, `--template.type=${type}`, `--template.data=${dataFile}`]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  assert.match(render('mlobs.title'), /\[FIRING:1\] GpuTemperatureCritical \(prod\)/);
  const text = render('mlobs.text');
  for (const x of ['environment: prod', 'job: llama-ft', 'node: gpu-node-7', 'gpu: 3', 'at 91 °C', 'runbook: https://docs.nvidia.com/x']) assert.ok(text.includes(x), `${x} in:\n${text}`);
  assert.match(render('mlobs.emailHtml', 'html'), /<a href="https:\/\/docs\.nvidia\.com\/x">runbook<\/a>/);
  assert.match(render('mlobs.pagerdutyDescription'), /GpuTemperatureCritical \(prod\): A GPU is near its slowdown temperature/);
});

test('amtool refuses a template file that does not parse (so check-config is a real template check)', () => {
  const dir = path.join(tmp, 'bad-template');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'bad.tmpl'), '{{ define "x" }}{{ if .Status }}open{{ end }}');
  const file = path.join(dir, 'alertmanager.yaml');
  fs.writeFileSync(file, stringify({ route: { receiver: 'null' }, receivers: [{ name: 'null' }], templates: [`${dir}/*.tmpl`] }));
  const r = runTool(requireTool('amtool'), ['check-config', file]);
  assert.notEqual(r.status, 0);
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
  const [sev, node, gpu, hot, custom] = config.inhibit_rules;
  assert.deepEqual(sev?.source_matchers, ['severity="critical"']);
  assert.deepEqual(sev?.target_matchers, ['severity="warning"']);
  assert.ok(sev?.equal.includes('alertname') && sev.equal.includes('cluster'));
  assert.deepEqual(node?.source_matchers, [`alertname=~"${NODE_GONE_ALERTS.join('|')}"`]);
  assert.deepEqual(node?.equal, ['cluster', 'node']);
  assert.deepEqual(gpu?.source_matchers, [`alertname=~"${GPU_GONE_ALERTS.join('|')}"`]);
  assert.deepEqual(gpu?.equal, ['cluster', 'node', 'gpu']);
  // A hot or throttling GPU is slow for that reason: its idle alert is muted on the same GPU.
  assert.deepEqual(hot?.source_matchers, ['alertname=~"GpuTemperatureCritical|GpuThermalThrottling|GpuPowerThrottling"']);
  assert.deepEqual(hot?.target_matchers, ['alertname=~"GpuAllocatedIdle"']);
  assert.deepEqual(hot?.equal, ['cluster', 'node', 'gpu']);
  // The environment's own rule, last.
  assert.deepEqual(custom, { source_matchers: ['alertname="TrainingNcclTimeout"'], target_matchers: ['alertname="TrainingJobStalled"'], equal: ['namespace', 'job'] });
});

test('every credential is read from a mounted Secret file (*_file), never inline', () => {
  const { config, secretNames } = renderAlertmanagerConfig({ alerting: settingsOf('prod').alertmanager });
  const text = JSON.stringify(config);
  assert.match(text, /"api_url_file":"\/etc\/alertmanager\/secrets\/alertmanager-slack\/ml-alerts-webhook-url"/);
  assert.match(text, /"routing_key_file":"\/etc\/alertmanager\/secrets\/alertmanager-pagerduty\/gpu-routing-key"/);
  assert.match(text, /"auth_password_file":"\/etc\/alertmanager\/secrets\/alertmanager-smtp\/password"/);
  assert.doesNotMatch(text, /"(routing_key|service_key|auth_password)":/);
  // Slack's URL is a credential (file); Opsgenie's api_url is only the public endpoint.
  assert.deepEqual([...text.matchAll(/"api_url":"([^"]+)"/g)].map((m) => m[1]), ['https://api.eu.opsgenie.com/']);
  assert.deepEqual(secretNames, ['alertmanager-heartbeat', 'alertmanager-opsgenie', 'alertmanager-pagerduty', 'alertmanager-slack', 'alertmanager-smtp', 'alertmanager-wechat']);
  assert.doesNotMatch(text, /"(api_key|api_secret|webhook_url)":/);
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

test('bad alerting input is a config error naming the field: a template that does not parse, a bad matcher, a literal credential, a WeChat receiver without recipients', () => {
  assert.throws(() => parseEnvironment('t', withAlerting({ messageTemplates: { text: '{{ range .Alerts }}{{ .Labels.job }}' } })), /alertmanager\.messageTemplates\.text[\s\S]*does not parse as a Go template: "\{\{ range \.\.\. \}\}" is never closed/);
  assert.throws(() => parseEnvironment('t', withAlerting({ messageTemplates: { title: '{{ .Status ' } })), /alertmanager\.messageTemplates\.title[\s\S]*is never closed with "\}\}"/);
  assert.throws(
    () => parseEnvironment('t', withAlerting({ inhibitRules: [{ sourceMatchers: ['alertname=="x"'], targetMatchers: ['severity="warning"'] }] })),
    /alertmanager\.inhibitRules\[0\]\.sourceMatchers\[0\][\s\S]*is not a matcher/,
  );
  assert.throws(
    () => parseEnvironment('t', withAlerting({ inhibitRules: [{ sourceMatchers: ['alertname=~"(unclosed"'], targetMatchers: ['severity="warning"'] }] })),
    /alertmanager\.inhibitRules\[0\]\.sourceMatchers\[0\][\s\S]*regex does not compile/,
  );
  assert.throws(() => parseEnvironment('t', withAlerting({ receivers: [{ type: 'msteams', name: 'teams', webhookUrl: 'https://x.webhook.office.com/abc' as never }] })), /alertmanager\.receivers\[0\]\.webhookUrl/);
  assert.throws(
    () => parseEnvironment('t', withAlerting({ receivers: [{ type: 'wechat', name: 'wc', corpId: 'c', agentId: '1', apiSecret: { name: 's', key: 'k' } }] })),
    /alertmanager\.receivers\[0\]\.toUser[\s\S]*needs recipients/,
  );
  assert.throws(() => parseEnvironment('t', withAlerting({ receivers: [{ type: 'webhook', name: 'mlobs-heartbeat', url: 'http://a.b' }] })), /"mlobs-heartbeat" is reserved/);
});

test('the template check can fail and passes the defaults', () => {
  assert.deepEqual(goTemplateProblems(renderTemplateFile(), { body: false }), []);
  assert.deepEqual(goTemplateProblems('{{ if .X }}a{{ else }}b{{ end }}'), []);
  assert.notDeepEqual(goTemplateProblems('{{ end }}'), []);
  assert.notDeepEqual(goTemplateProblems('{{ "unterminated }}'), []);
  assert.notDeepEqual(goTemplateProblems('{{ define "x" }}{{ end }}'), []);
});
