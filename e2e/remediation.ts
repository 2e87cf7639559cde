/**
 * The GPU quarantine responder on the local control plane (e2e/deploy.e2e.ts, responder mode):
 * the real Alertmanager 0.34, configured with the route and receiver the stack deployed (its
 * Secret files and the responder URL pointed at this machine), posts a fatal-Xid alert for the
 * GPU node to the responder, which runs from the files of the deployed ConfigMap with the
 * deployed Deployment's environment and the deployed ServiceAccount's token (so its RBAC is
 * the one the chart installed). Then: the node is cordoned and tainted; a burst beyond the
 * limit acts on no more nodes and the Events and log say why; a request without the token
 * (or with a wrong one) is refused and changes nothing.
 *
 * What is not real here: the responder and Alertmanager run as local processes, not in pods
 * (kwok runs no containers), and Alertmanager reaches the responder on loopback, not through
 * the Service and the NetworkPolicy (no CNI).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_ALERTMANAGER_SECRETS_DIR } from '../constructs/metrics/alertmanager-config.render';
import { DEFAULT_RESPONDER_NAME } from '../constructs/gpu/quarantine-responder.render';
import { QUARANTINE_TAINT } from '../responder/policy';
import { engineBin } from '../test/helpers/engines';
import { LOOPBACK, freePort, sleep } from '../test/metrics/live/servers';
import type { Tools } from './tools';

/** The report's `remediation` field. */
export interface RemediationReport {
  /** Nodes the responder cordoned and tainted after Alertmanager's notification. */
  readonly cordoned: readonly string[];
  /** Nodes of the burst the rate limit refused, with the Event's message. */
  readonly rateLimited: Readonly<Record<string, string>>;
  /** HTTP statuses of webhook requests without the token and with a wrong one; nothing changed. */
  readonly unauthenticatedRejected: { readonly noToken: number; readonly wrongToken: number; readonly nodesUnchanged: boolean };
}

interface Node {
  metadata: { name: string; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { unschedulable?: boolean; taints?: { key: string; value?: string; effect: string }[] };
}
interface Event {
  metadata: { creationTimestamp: string };
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string };
}

/** A local process with all its output kept (the responder's decisions are its stdout lines). */
class Proc {
  out = '';
  constructor(readonly name: string, readonly proc: ChildProcess) {
    proc.stdout?.on('data', (b: Buffer) => (this.out += b.toString('utf8')));
    proc.stderr?.on('data', (b: Buffer) => (this.out += b.toString('utf8')));
  }
  kill(): void {
    if (this.proc.pid !== undefined && this.proc.exitCode === null) {
      try {
        process.kill(-this.proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Polls `probe` (synchronous kubectl reads) until it returns a value. */
async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined, context: () => string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`);
    await sleep(500);
  }
}

/** Whether GET `url` answers 200 (false while the process is starting). */
async function ok(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await r.text();
    return r.status === 200;
  } catch {
    return false;
  }
}

async function waitReady(what: string, url: string, context: () => string): Promise<void> {
  const end = Date.now() + 30_000;
  while (!(await ok(url))) {
    if (Date.now() > end) throw new Error(`${what} did not answer ${url} within 30 s\n${context()}`);
    await sleep(300);
  }
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  await r.text();
  return r.status;
}

const quarantined = (n: Node): boolean => n.spec.unschedulable === true && (n.spec.taints ?? []).some((t) => t.key === QUARANTINE_TAINT.key && t.effect === 'NoSchedule');

export interface RemediationRunProps {
  readonly tools: Tools;
  /** The stack namespace. */
  readonly namespace: string;
  /** kube-prometheus-stack's values as deployed (`helm get values`). */
  readonly kpsValues: { alertmanager: { config: Record<string, unknown>; templateFiles?: Record<string, string> } };
  /** The GPU node the cluster has (kwok). */
  readonly gpuNode: string;
  /** Extra GPU nodes created for the burst (and removed after). */
  readonly burstNodes: readonly string[];
}

/** Runs the scenario; throws (with the processes' output) when a step does not happen. */
export async function runRemediation(p: RemediationRunProps): Promise<RemediationReport> {
  const { tools, namespace: ns } = p;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-e2e-remediation-'));
  const procs: Proc[] = [];
  const logs = (): string => procs.map((x) => `--- ${x.name}\n${x.out.slice(-6000)}`).join('\n');
  const node = (name: string): Node => tools.getJson<Node>(['node', name]);
  try {
    // The deployed objects: the Deployment's environment and command, the ConfigMap's files, the token Secret.
    const dep = tools.getJson<{ spec: { template: { spec: { containers: { command: string[]; env: { name: string; value?: string }[]; volumeMounts: { name: string; mountPath: string }[] }[]; volumes: { name: string; configMap?: { name: string; items: { key: string; path: string }[] }; secret?: { secretName: string; items: { key: string }[] } }[] } } } }>(
      ['deployment', DEFAULT_RESPONDER_NAME, '-n', ns],
    );
    const pod = dep.spec.template.spec;
    const container = pod.containers[0];
    if (!container) throw new Error('the responder Deployment has no container');
    const scriptVol = pod.volumes.find((v) => v.configMap);
    const tokenVol = pod.volumes.find((v) => v.secret);
    if (!scriptVol?.configMap || !tokenVol?.secret) throw new Error('the responder Deployment mounts no script ConfigMap or token Secret');
    const mountOf = (vol: string): string => container.volumeMounts.find((m) => m.name === vol)?.mountPath ?? '';
    const cm = tools.getJson<{ data: Record<string, string> }>(['configmap', scriptVol.configMap.name, '-n', ns]);
    const app = path.join(tmp, 'app');
    for (const item of scriptVol.configMap.items) {
      const f = path.join(app, item.path);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, cm.data[item.key] ?? '');
    }
    const entry = container.command[container.command.length - 1] ?? '';
    const localEntry = path.join(app, path.relative(mountOf(scriptVol.name), entry));
    const secret = tools.getJson<{ data: Record<string, string> }>(['secret', tokenVol.secret.secretName, '-n', ns]);
    const tokenKey = tokenVol.secret.items[0]?.key ?? '';
    const webhookToken = Buffer.from(secret.data[tokenKey] ?? '', 'base64').toString('utf8');
    if (!webhookToken) throw new Error(`Secret ${tokenVol.secret.secretName} has no key ${tokenKey}`);
    const tokenFile = path.join(tmp, 'webhook-token');
    fs.writeFileSync(tokenFile, webhookToken, { mode: 0o600 });
    // The deployed ServiceAccount's token: the responder acts with exactly the RBAC the chart installed.
    const saToken = tools.kubectlOk(['create', 'token', DEFAULT_RESPONDER_NAME, '-n', ns, '--duration=1h']).trim();
    const saTokenFile = path.join(tmp, 'sa-token');
    fs.writeFileSync(saTokenFile, saToken, { mode: 0o600 });
    const kubeconfig = parse(fs.readFileSync(tools.kubeconfig, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority': string } }[] };
    const cluster = kubeconfig.clusters[0]?.cluster;
    if (!cluster) throw new Error('no cluster in the kubeconfig');

    // Extra GPU nodes for the burst (plain Node objects with the GPU label).
    for (const n of p.burstNodes) {
      tools.kubectlOk(['apply', '-f', '-'], 60_000, JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: n, labels: { 'nvidia.com/gpu.present': 'true', 'kubernetes.io/hostname': n } } }));
    }

    // The responder, from the ConfigMap's files, with the Deployment's environment (local address and credentials only).
    const port = await freePort();
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    for (const e of container.env) if (e.value !== undefined) env[e.name] = e.value;
    Object.assign(env, {
      PORT: String(port),
      RESPONDER_TOKEN_FILE: tokenFile,
      RESPONDER_KUBE_API_URL: cluster.server,
      RESPONDER_KUBE_TOKEN_FILE: saTokenFile,
      RESPONDER_KUBE_CA_FILE: cluster['certificate-authority'],
    });
    const responder = new Proc('responder', spawn(process.execPath, [localEntry], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
    procs.push(responder);
    const base = `http://${LOOPBACK}:${port}`;
    await waitReady('the responder', `${base}/healthz`, logs);

    // Alertmanager 0.34 with the deployed configuration: Secret files and templates as local files, the responder on loopback.
    const am = p.kpsValues.alertmanager;
    const secrets = path.join(tmp, 'secrets');
    const templates = path.join(tmp, 'templates');
    fs.mkdirSync(templates, { recursive: true });
    for (const [n, t] of Object.entries(am.templateFiles ?? {})) fs.writeFileSync(path.join(templates, n), t);
    const serviceUrl = `http://${DEFAULT_RESPONDER_NAME}.${ns}.svc:`;
    let text = stringify(am.config).split(DEFAULT_ALERTMANAGER_SECRETS_DIR).join(secrets).replace(/- \S+\/\*\.tmpl/, `- ${templates}/*.tmpl`);
    if (!text.includes(serviceUrl)) throw new Error(`the deployed Alertmanager configuration does not call ${serviceUrl}:\n${text}`);
    text = text.split(serviceUrl).join(`http://${LOOPBACK}:`).replace(new RegExp(`${LOOPBACK.replace(/\./g, '\\.')}:\\d+/webhook`), `${LOOPBACK}:${port}/webhook`);
    for (const m of text.matchAll(/_file: (\S+)/g)) {
      const f = m[1] as string;
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, f.endsWith(`/${tokenVol.secret.secretName}/${tokenKey}`) ? webhookToken : 'https://hooks.invalid/placeholder\n', { mode: 0o600 });
    }
    const amFile = path.join(tmp, 'alertmanager.yaml');
    fs.writeFileSync(amFile, text);
    const amPort = await freePort();
    const alertmanager = new Proc(
      'alertmanager',
      spawn(engineBin('alertmanager'), [`--config.file=${amFile}`, `--storage.path=${path.join(tmp, 'am-data')}`, `--web.listen-address=${LOOPBACK}:${amPort}`, '--cluster.listen-address='], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    procs.push(alertmanager);
    const amBase = `http://${LOOPBACK}:${amPort}`;
    await waitReady('Alertmanager', `${amBase}/-/ready`, logs);

    const fire = async (alertname: string, nodeName: string): Promise<void> => {
      const status = await post(`${amBase}/api/v2/alerts`, [
        { labels: { alertname, severity: 'critical', node: nodeName, gpu: '0', cluster: 'e2e' }, annotations: { summary: `${alertname} on ${nodeName}` }, startsAt: new Date().toISOString() },
      ]);
      if (status !== 200) throw new Error(`Alertmanager refused the alert: HTTP ${status}\n${logs()}`);
    };

    // 1. A fatal Xid alert for the GPU node: cordoned and tainted.
    if (quarantined(node(p.gpuNode))) throw new Error(`${p.gpuNode} is quarantined before the alert`);
    await fire('GpuFellOffBus', p.gpuNode);
    const acted = await until(`${p.gpuNode} cordoned and tainted`, 90_000, () => (quarantined(node(p.gpuNode)) ? node(p.gpuNode) : undefined), logs);
    const cordoned = quarantined(acted) ? [p.gpuNode] : [];

    // 2. A burst beyond the limit: no more nodes; the Events and the log say why.
    const before = new Map(p.burstNodes.map((n) => [n, node(n).metadata.resourceVersion]));
    // Events of this run only (creationTimestamp has second precision).
    const burstStart = Math.floor(Date.now() / 1000) * 1000;
    for (const n of p.burstNodes) await fire('GpuXidDoubleBitEcc', n);
    const refusals = await until('a rate-limit refusal Event and log line for every burst node', 90_000, () => {
      const events = tools.getJson<{ items: Event[] }>(['events', '-n', env.RESPONDER_EVENT_NAMESPACE ?? 'default', '--field-selector', 'reason=MlobsQuarantineRefused']).items;
      const byNode: Record<string, string> = {};
      for (const e of events) {
        if (Date.parse(e.metadata.creationTimestamp) < burstStart) continue;
        if (e.involvedObject.kind === 'Node' && p.burstNodes.includes(e.involvedObject.name) && e.message.startsWith('rate-limited')) byNode[e.involvedObject.name] = e.message;
      }
      const loggedAll = p.burstNodes.every((n) => responder.out.split('\n').some((l) => l.includes('rate-limited') && l.includes(`"node":"${n}"`)));
      return Object.keys(byNode).length === p.burstNodes.length && loggedAll ? byNode : undefined;
    }, logs);
    for (const n of p.burstNodes) {
      if (quarantined(node(n)) || node(n).spec.unschedulable) throw new Error(`${n} was acted on beyond the limit\n${logs()}`);
      if (node(n).metadata.resourceVersion !== before.get(n)) throw new Error(`${n} was changed by the refused burst\n${logs()}`);
    }
    const quarantinedNow = [p.gpuNode, ...p.burstNodes].filter((n) => quarantined(node(n)));
    if (quarantinedNow.join() !== p.gpuNode) throw new Error(`quarantined after the burst: ${quarantinedNow.join(', ')}`);

    // 3. Requests without the token, or with a wrong one: refused, nothing changes.
    const versions = (): string => [p.gpuNode, ...p.burstNodes].map((n) => node(n).metadata.resourceVersion).join();
    const v0 = versions();
    const payload = {
      version: '4',
      status: 'firing',
      receiver: DEFAULT_RESPONDER_NAME,
      groupKey: 'e2e-unauthenticated',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: amBase,
      truncatedAlerts: 0,
      alerts: p.burstNodes.map((n) => ({ status: 'firing', labels: { alertname: 'GpuFellOffBus', node: n }, annotations: {}, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: `unauth-${n}` })),
    };
    const noToken = await post(`${base}/webhook`, payload);
    const wrongToken = await post(`${base}/webhook`, payload, { Authorization: 'Bearer not-the-token' });
    await sleep(1000);
    const nodesUnchanged = versions() === v0;
    return { cordoned, rateLimited: refusals, unauthenticatedRejected: { noToken, wrongToken, nodesUnchanged } };
  } finally {
    for (const x of procs) x.kill();
    // Release the GPU node as an operator would, and remove the burst nodes: the later tests see the cluster as before.
    tools.kubectl(['patch', 'node', p.gpuNode, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/unschedulable', value: false }])]);
    const taints = (tools.getJson<Node>(['node', p.gpuNode]).spec.taints ?? []).filter((t) => t.key !== QUARANTINE_TAINT.key);
    tools.kubectl(['patch', 'node', p.gpuNode, '--type=merge', '-p', JSON.stringify({ spec: { taints } })]);
    for (const n of p.burstNodes) tools.kubectl(['delete', 'node', n, '--wait=false']);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
