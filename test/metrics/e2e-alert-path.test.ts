/**
 * Live alert path on loopback, with the versions the chart runs (Prometheus 3.14, Alertmanager 0.34, built from Go modules):
 * a metrics target served by this process -> Prometheus evaluating the stack's own rules ->
 * Alertmanager with prod's rendered routing -> a webhook receiver in this process.
 *
 * Proves: the rule group the stack renders loads and fires in a real Prometheus; the alert
 * carries the rule labels and the external labels the chart sets (cluster, environment);
 * prod's route tree sends it to the receiver the config names for warnings, exactly once;
 * and an Alertmanager restart on the same storage neither loses the alert (Prometheus
 * re-sends it; it is active again in /api/v2/alerts) nor notifies it twice (the notification
 * log survives). A control run on empty storage shows that the same wait does catch a
 * second notification when the log is gone, so the "no duplicate" check can fail.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { parseEnvironment } from '../../config/load';
import { NULL_RECEIVER } from '../../config/schema/metrics';
import { commonConfigFor } from '../../stacks/environment-props';
import { renderAlertmanagerConfig, type AlertmanagerConfig, type AlertmanagerReceiver } from '../../constructs/metrics/alertmanager-config.render';
import { STACK_RULES_NAME } from '../../constructs/metrics/stack-rules';
import { synthEnvironment } from '../helpers/synth';
import { loadEnvironmentFile } from './env-files';
import { requireTool } from './tools';
import {
  LOOPBACK,
  freePort,
  httpGet,
  sleep,
  startChild,
  startMetricsTarget,
  startWebhookReceiver,
  waitFor,
  type Child,
  type LocalServer,
  type WebhookMessage,
} from './live/servers';

const ENV = 'prod';
/** Pod label the target gets, as the ServiceMonitor relabeling would set it in the cluster. */
const PROMETHEUS_POD = 'mlobs-prometheus-0';
const ALERT = 'PrometheusDeletingDataBeforeRetentionTime';
/** Alertmanager's group_wait in the test (seconds); see testAlertmanagerConfig. */
const GROUP_WAIT_S = 1;
/** How long after the alert is back in a restarted Alertmanager we watch for a second notification. */
const DUPLICATE_WATCH_MS = 5_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-live-'));
const children: Child[] = [];
const servers: LocalServer[] = [];
const killAll = (): void => {
  for (const c of children) c.kill();
};
// Backstop: even if the runner dies before `after`, no server outlives the test process.
process.on('exit', killAll);
after(async () => {
  killAll();
  await Promise.all(children.map((c) => c.stop(5_000)));
  await Promise.all(servers.map((s) => s.close()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

const settings = parseEnvironment(ENV, loadEnvironmentFile(ENV)).settings;
const common = commonConfigFor(ENV, settings);

/**
 * The Alertmanager configuration for the test: prod's rendered route tree, group_by and
 * inhibit rules unchanged, with two deliberate changes. (1) Every receiver other than `null`
 * becomes a webhook to the local server, keeping its name: prod's receivers are Slack,
 * PagerDuty and email, which cannot be pointed at loopback; the webhook message names the
 * receiver, so the routing decision is still asserted. (2) Timings: group_wait 1s so the test
 * is fast; group_interval and repeat_interval 1h so that any second notification within the
 * test can only be a duplicate.
 */
function testAlertmanagerConfig(webhookUrl: string): AlertmanagerConfig {
  const rendered = renderAlertmanagerConfig({ alerting: settings.alertmanager }).config;
  const receivers: AlertmanagerReceiver[] = rendered.receivers.map((r) =>
    r.name === NULL_RECEIVER ? r : { name: r.name, webhook_configs: [{ url: webhookUrl, send_resolved: true, max_alerts: 0 }] },
  );
  return {
    ...rendered,
    route: { ...rendered.route, group_wait: `${GROUP_WAIT_S}s`, group_interval: '1h', repeat_interval: '1h' },
    receivers,
  };
}

interface ApiAlert {
  readonly fingerprint: string;
  readonly labels: Record<string, string>;
  readonly status: { readonly state: string };
}

async function alertmanagerAlerts(port: number): Promise<ApiAlert[]> {
  const r = await httpGet(`http://${LOOPBACK}:${port}/api/v2/alerts`);
  if (r.status !== 200) throw new Error(`/api/v2/alerts: HTTP ${r.status}`);
  return JSON.parse(r.body) as ApiAlert[];
}

async function ready(child: Child, port: number): Promise<void> {
  await waitFor(
    `${child.name} /-/ready on ${LOOPBACK}:${port}`,
    15_000,
    async () => {
      if (child.proc.exitCode !== null) throw new Error(`${child.name} exited with ${child.proc.exitCode}`);
      return (await httpGet(`http://${LOOPBACK}:${port}/-/ready`)).status === 200 ? true : undefined;
    },
    () => child.logs(),
  );
}

test('live: the stack rule fires in Prometheus 3.x, prod routing delivers it once, and an Alertmanager restart neither loses nor repeats it', { timeout: 60_000 }, async () => {
  const prometheusBin = requireTool('prometheus');
  const alertmanagerBin = requireTool('alertmanager');

  // The target: Prometheus' own size-retention counter, which goes up after the first scrape
  // (a block deleted for size), as the stack's Prometheus would expose it.
  const target = await startMetricsTarget((n) =>
    [
      '# HELP prometheus_tsdb_size_retentions_total The number of times that blocks were deleted because the maximum number of bytes was exceeded.',
      '# TYPE prometheus_tsdb_size_retentions_total counter',
      `prometheus_tsdb_size_retentions_total ${n > 1 ? 1 : 0}`,
      '',
    ].join('\n'),
  );
  servers.push(target);
  const webhook = await startWebhookReceiver();
  servers.push(webhook);

  // Alertmanager with prod's routing.
  const amPort = await freePort();
  const amConfig = path.join(tmp, 'alertmanager.yaml');
  fs.writeFileSync(amConfig, stringify(testAlertmanagerConfig(webhook.url)));
  const amArgs = (storage: string): string[] => [
    `--config.file=${amConfig}`,
    `--storage.path=${storage}`,
    `--web.listen-address=${LOOPBACK}:${amPort}`,
    '--cluster.listen-address=',
    '--log.level=info',
  ];
  const amStorage = path.join(tmp, 'am-data');
  let am = startChild('alertmanager', alertmanagerBin, amArgs(amStorage));
  children.push(am);

  // Prometheus with the stack's PrometheusRule groups, exactly as the synthesized stack ships them.
  const rule = synthEnvironment(loadEnvironmentFile(ENV), ENV).customResources.find((m) => m.kind === 'PrometheusRule' && m.metadata.name === STACK_RULES_NAME);
  assert.ok(rule, `the ${ENV} stack ships the ${STACK_RULES_NAME} PrometheusRule`);
  const spec = rule.spec as { groups: unknown[] };
  fs.writeFileSync(path.join(tmp, 'rules.yaml'), stringify({ groups: spec.groups }));
  const promPort = await freePort();
  const promConfig = {
    global: {
      scrape_interval: '1s',
      evaluation_interval: '1s',
      // What kube-prometheus-stack.values.ts sets as prometheusSpec.externalLabels.
      external_labels: { cluster: common.clusterName, environment: common.environment },
    },
    rule_files: [path.join(tmp, 'rules.yaml')],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`${LOOPBACK}:${amPort}`] }] }] },
    scrape_configs: [
      {
        job_name: 'mlobs-prometheus',
        static_configs: [{ targets: [`${LOOPBACK}:${target.port}`], labels: { namespace: common.namespace, pod: PROMETHEUS_POD } }],
      },
    ],
  };
  fs.writeFileSync(path.join(tmp, 'prometheus.yaml'), stringify(promConfig));
  const prom = startChild('prometheus', prometheusBin, [
    `--config.file=${path.join(tmp, 'prometheus.yaml')}`,
    `--storage.tsdb.path=${path.join(tmp, 'prom-data')}`,
    `--web.listen-address=${LOOPBACK}:${promPort}`,
    // Re-send firing alerts every second, so a restarted Alertmanager learns them at once.
    '--rules.alert.resend-delay=1s',
    '--log.level=info',
  ]);
  children.push(prom);
  const logs = (): string => `${prom.logs()}\n${am.logs()}`;

  await ready(am, amPort);
  await ready(prom, promPort);

  // 1. Exactly one notification, to prod's warning receiver, with exactly the expected alert.
  await waitFor('the first webhook notification', 30_000, async () => (webhook.messages.length > 0 ? true : undefined), logs);
  await sleep(2_000); // room for a wrong extra notification (another receiver, a `continue` route)
  assert.equal(webhook.messages.length, 1, `expected one notification, got ${JSON.stringify(webhook.messages, null, 2)}`);
  const first = webhook.messages[0] as WebhookMessage;
  assert.equal(settings.alertmanager.routing.warning, 'chat-ml-alerts');
  assert.equal(first.receiver, 'chat-ml-alerts', 'a warning with component=platform goes to prod\'s warning receiver');
  assert.equal(first.status, 'firing');
  assert.deepEqual(first.groupLabels, { alertname: ALERT, cluster: 'gpu-prod', namespace: 'mlobs' });
  assert.equal(first.alerts.length, 1);
  const alert = first.alerts[0];
  assert.ok(alert);
  assert.deepEqual(alert.labels, {
    alertname: ALERT,
    severity: 'warning',
    component: 'platform',
    cluster: 'gpu-prod',
    environment: 'prod',
    namespace: 'mlobs',
    pod: PROMETHEUS_POD,
    job: 'mlobs-prometheus',
    instance: `${LOOPBACK}:${target.port}`,
  });
  assert.equal(alert.annotations.summary, `Prometheus ${PROMETHEUS_POD} is deleting data before its retention time`);
  assert.match(alert.annotations.description ?? '', /mlobs\/mlobs-prometheus-0 .* less than the configured 30d/);

  // 2. Restart Alertmanager on the same storage: the alert comes back (Prometheus re-sends
  // it), and the notification log prevents a second notification within repeat_interval.
  await sleep(1_000);
  await am.stop();
  am = startChild('alertmanager (restarted)', alertmanagerBin, amArgs(amStorage));
  children.push(am);
  await ready(am, amPort);
  const back = await waitFor(
    'the alert to be active again in the restarted Alertmanager',
    15_000,
    async () => (await alertmanagerAlerts(amPort)).find((a) => a.fingerprint === alert.fingerprint && a.status.state === 'active'),
    logs,
  );
  assert.deepEqual(back.labels, alert.labels);
  await sleep(DUPLICATE_WATCH_MS);
  assert.equal(webhook.messages.length, 1, `a restart must not notify again: ${JSON.stringify(webhook.messages.slice(1), null, 2)}`);
  assert.equal((await alertmanagerAlerts(amPort)).filter((a) => a.status.state === 'active').length, 1, 'still exactly one active alert');

  // 3. Control: the same restart on empty storage (notification log lost) does notify again,
  // within the window watched above. So step 2 would have caught a duplicate.
  await am.stop();
  am = startChild('alertmanager (empty storage)', alertmanagerBin, amArgs(path.join(tmp, 'am-data-empty')));
  children.push(am);
  await ready(am, amPort);
  const seen = Date.now();
  await waitFor('the alert in the empty-storage Alertmanager', 15_000, async () => ((await alertmanagerAlerts(amPort)).length > 0 ? true : undefined), logs);
  await waitFor('a second notification after losing the notification log', DUPLICATE_WATCH_MS, async () => (webhook.messages.length > 1 ? true : undefined), logs);
  assert.ok(Date.now() - seen <= DUPLICATE_WATCH_MS + GROUP_WAIT_S * 1000);
  assert.deepEqual(webhook.messages[1]?.alerts.map((a) => a.labels), [alert.labels]);
});
