/**
 * The NVSentinel inhibit rule in a real Alertmanager 0.34 (loopback, built from Go modules),
 * driven with amtool: prod's rendered configuration plus the rule passes `amtool check-config`;
 * alerts are posted with `amtool alert add` and read back with `amtool alert query`. A GPU Xid
 * page for a node NVSentinel has quarantined is inhibited; the same page for another node, and
 * for the same node name in another cluster, is not. Receivers are emptied (no notification
 * leaves the test); routing does not matter for inhibition.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { parseEnvironment } from '../../config/load';
import { renderAlertmanagerConfig } from '../../constructs/metrics/alertmanager-config.render';
import { renderGpuRuleGroups, nvsentinelInhibitRules, NVSENTINEL_QUARANTINED_ALERT } from '../../constructs/gpu';
import { gpuSchema } from '../../config/schema/gpu';
import { loadEnvironmentFile } from '../metrics/env-files';
import { requireTool, runTool } from '../metrics/tools';
import { LOOPBACK, freePort, httpGet, startChild, waitFor, type Child } from '../metrics/live/servers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-nvs-am-'));
const children: Child[] = [];
process.on('exit', () => children.forEach((c) => c.kill()));
after(async () => {
  await Promise.all(children.map((c) => c.stop(5_000)));
  fs.rmSync(tmp, { recursive: true, force: true });
});

const settings = parseEnvironment('prod', loadEnvironmentFile('prod')).settings;
const inhibit = nvsentinelInhibitRules(renderGpuRuleGroups(gpuSchema.parse({}).alerts));

function writeConfig(withRule: boolean): string {
  const alerting = { ...settings.alertmanager, inhibitRules: [...(settings.alertmanager.inhibitRules ?? []), ...(withRule ? inhibit : [])] };
  const rendered = renderAlertmanagerConfig({ alerting }).config;
  const config = { ...rendered, receivers: rendered.receivers.map((r) => ({ name: r.name })), templates: [] };
  const file = path.join(tmp, `alertmanager-${withRule ? 'with' : 'without'}.yaml`);
  fs.writeFileSync(file, stringify(config));
  return file;
}

interface QueriedAlert {
  readonly labels: Record<string, string>;
  readonly status: { readonly state: string; readonly inhibitedBy: readonly string[] };
}

async function startAlertmanager(configFile: string, name: string): Promise<{ url: string }> {
  const port = await freePort();
  const am = startChild(name, requireTool('alertmanager'), [
    `--config.file=${configFile}`,
    `--storage.path=${path.join(tmp, `${name}-data`)}`,
    `--web.listen-address=${LOOPBACK}:${port}`,
    '--cluster.listen-address=',
  ]);
  children.push(am);
  const url = `http://${LOOPBACK}:${port}`;
  await waitFor(`${name} ready`, 15_000, async () => ((await httpGet(`${url}/-/ready`).catch(() => ({ status: 0 }))).status === 200 ? true : undefined), () => am.logs());
  return { url };
}

function amtoolAdd(url: string, labels: Readonly<Record<string, string>>): void {
  const r = runTool(requireTool('amtool'), ['alert', 'add', `--alertmanager.url=${url}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  assert.equal(r.status, 0, `amtool alert add: ${r.stderr}`);
}

function amtoolQuery(url: string): QueriedAlert[] {
  // --inhibited lists inhibited alerts too; -o json gives their status.
  const r = runTool(requireTool('amtool'), ['alert', 'query', '--inhibited', '--silenced', '--active', '-o', 'json', `--alertmanager.url=${url}`]);
  assert.equal(r.status, 0, `amtool alert query: ${r.stderr}`);
  return JSON.parse(r.stdout) as QueriedAlert[];
}

const xidPage = (node: string, cluster = 'gpu-prod') => ({ alertname: 'GpuFellOffBus', severity: 'critical', component: 'gpu', cluster, environment: 'prod', node, gpu: '0', UUID: 'GPU-0', job: 'dcgm-exporter' });
const quarantined = (node: string) => ({ alertname: NVSENTINEL_QUARANTINED_ALERT, severity: 'info', component: 'gpu', cluster: 'gpu-prod', environment: 'prod', node });

async function postAndRead(url: string): Promise<QueriedAlert[]> {
  amtoolAdd(url, quarantined('gpu-node-1'));
  amtoolAdd(url, xidPage('gpu-node-1'));
  amtoolAdd(url, xidPage('gpu-node-2'));
  amtoolAdd(url, xidPage('gpu-node-1', 'gpu-other'));
  // Inhibition is evaluated against the alerts the inhibitor has seen: wait until all four are listed.
  return waitFor('four alerts listed', 10_000, async () => {
    const alerts = amtoolQuery(url);
    return alerts.length === 4 ? alerts : undefined;
  });
}

const find = (alerts: readonly QueriedAlert[], l: Readonly<Record<string, string>>): QueriedAlert => {
  const a = alerts.find((x) => x.labels.alertname === l.alertname && x.labels.node === l.node && x.labels.cluster === l.cluster);
  assert.ok(a, `alert ${JSON.stringify(l)} listed`);
  return a;
};

test('amtool check-config accepts prod with the NVSentinel inhibit rule (one more rule than without)', () => {
  const amtool = requireTool('amtool');
  const without = runTool(amtool, ['check-config', writeConfig(false)]);
  const withRule = runTool(amtool, ['check-config', writeConfig(true)]);
  assert.equal(withRule.status, 0, withRule.stdout + withRule.stderr);
  const count = (s: string): number => Number(/(\d+) inhibit rules/.exec(s)?.[1]);
  assert.ok(Number.isInteger(count(without.stdout)) && count(without.stdout) > 0, without.stdout);
  assert.equal(count(withRule.stdout), count(without.stdout) + 1, withRule.stdout);
});

test('Alertmanager 0.34: an Xid page for the quarantined node is inhibited; for another node or another cluster it is not', { timeout: 60_000 }, async () => {
  const { url } = await startAlertmanager(writeConfig(true), 'am-with');
  await postAndRead(url);
  const alerts = await waitFor('inhibition computed', 10_000, async () => {
    const a = amtoolQuery(url);
    return find(a, xidPage('gpu-node-1')).status.state === 'suppressed' ? a : undefined;
  });
  const muted = find(alerts, xidPage('gpu-node-1'));
  assert.equal(muted.status.state, 'suppressed');
  assert.equal(muted.status.inhibitedBy.length, 1);
  const other = find(alerts, xidPage('gpu-node-2'));
  assert.equal(other.status.state, 'active');
  assert.deepEqual(other.status.inhibitedBy, []);
  const otherCluster = find(alerts, xidPage('gpu-node-1', 'gpu-other'));
  assert.equal(otherCluster.status.state, 'active', 'same node name in another cluster: not inhibited (equal: cluster, node)');
  assert.equal(find(alerts, quarantined('gpu-node-1')).status.state, 'active');
});

test('control: without the rule the same Xid page for the quarantined node stays active (the check can fail)', { timeout: 60_000 }, async () => {
  const { url } = await startAlertmanager(writeConfig(false), 'am-without');
  const alerts = await postAndRead(url);
  // Give the inhibitor the same chance it had above.
  await new Promise((r) => setTimeout(r, 1_500));
  const again = amtoolQuery(url);
  assert.equal(alerts.length, 4);
  assert.equal(find(again, xidPage('gpu-node-1')).status.state, 'active');
  assert.deepEqual(find(again, xidPage('gpu-node-1')).status.inhibitedBy, []);
});
