/**
 * Applies a synthesized stack (cdktf.out/stacks/<env>/cdk.tf.json) to a cluster the way its
 * pinned providers would, because the providers themselves cannot be built here (the Go module
 * proxy refuses their pinned commits; README "Real engines"). What is real: OpenTofu evaluates
 * every string of the configuration first (so what reaches the cluster is what Terraform would
 * pass on), Helm v3.17.2 (the library helm provider 3.0.2 embeds) installs each `helm_release`
 * with the release's own settings (atomic, wait, timeout, history, cleanup on fail, values in
 * order), and the API server admits every object. What is ours: the order (a topological sort
 * of `depends_on`), and the two `kubernetes_*` resource types the stack uses (namespace_v1,
 * config_map_v1), applied as the objects their arguments describe.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sharedPath } from '../test/helpers/paths';
import { evaluateStrings } from '../test/helpers/tofu';
import type { Run, Tools } from './tools';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Body = { [k: string]: Json };

export interface StackResource {
  readonly type: string;
  readonly name: string;
  /** `type.name`, as Terraform addresses it. */
  readonly address: string;
  /** Arguments after OpenTofu evaluated every string. */
  readonly body: Body;
  readonly dependsOn: readonly string[];
}

export interface LoadedStack {
  readonly dir: string;
  readonly resources: readonly StackResource[];
}

const SUPPORTED = new Set(['helm_release', 'kubernetes_namespace_v1', 'kubernetes_config_map_v1']);

/**
 * `v` with `f` applied to every string leaf, depth first in a stable order; `depends_on` and
 * cdktf's `//` metadata are references and comments, not strings Terraform evaluates, and are kept.
 */
function mapStrings(v: Json, f: (s: string) => string): Json {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v && typeof v === 'object') {
    const o: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) o[k] = k === 'depends_on' || k === '//' ? x : mapStrings(x, f);
    return o;
  }
  return v;
}

/** Reads a stack and lets OpenTofu evaluate its strings; refuses resource types it cannot apply. */
export function loadStack(stackDir: string): LoadedStack {
  const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as { resource?: Record<string, Record<string, Body>> };
  const raw: { type: string; name: string; body: Body }[] = [];
  for (const [type, byName] of Object.entries(tf.resource ?? {})) {
    if (!SUPPORTED.has(type)) throw new Error(`the e2e driver cannot apply ${type} (supports ${[...SUPPORTED].join(', ')})`);
    for (const [name, body] of Object.entries(byName)) raw.push({ type, name, body });
  }
  const strings: string[] = [];
  for (const r of raw) mapStrings(r.body, (s) => (strings.push(s), s));
  const evaluated = evaluateStrings(strings);
  let i = 0;
  const resources = raw.map((r) => {
    const body = mapStrings(r.body, () => evaluated[i++] as string) as Body;
    const deps = ((r.body.depends_on ?? []) as string[]).map((d) => d.replace(/^\$\{(.*)\}$/, '$1'));
    return { type: r.type, name: r.name, address: `${r.type}.${r.name}`, body, dependsOn: deps };
  });
  return { dir: stackDir, resources: topologicalOrder(resources) };
}

function topologicalOrder(resources: StackResource[]): StackResource[] {
  const byAddress = new Map(resources.map((r) => [r.address, r]));
  const done = new Set<string>();
  const out: StackResource[] = [];
  const visit = (r: StackResource, stack: string[]): void => {
    if (done.has(r.address)) return;
    if (stack.includes(r.address)) throw new Error(`dependency cycle: ${[...stack, r.address].join(' -> ')}`);
    for (const d of r.dependsOn) {
      const dep = byAddress.get(d);
      if (!dep) throw new Error(`${r.address} depends on ${d}, which is not in the stack`);
      visit(dep, [...stack, r.address]);
    }
    done.add(r.address);
    out.push(r);
  };
  for (const r of [...resources].sort((a, b) => a.address.localeCompare(b.address))) visit(r, []);
  return out;
}

export interface HelmReleaseArgs {
  readonly name: string;
  readonly namespace: string;
  readonly chart: string;
  readonly version?: string;
  readonly repository?: string;
  readonly values?: readonly string[];
}

export const releaseArgs = (r: StackResource): HelmReleaseArgs => r.body as unknown as HelmReleaseArgs;

/** Where the chart of a release comes from: the pinned chart in ../shared, or the stack's generated chart. */
export function chartDir(stack: LoadedStack, r: StackResource): string {
  const a = releaseArgs(r);
  if (a.repository) return sharedPath('charts', a.chart, a.version ?? '', 'chart');
  return path.resolve(stack.dir, a.chart);
}

/** The Kubernetes object a kubernetes_* resource describes. */
export function kubernetesObject(r: StackResource): Record<string, unknown> {
  const meta = r.body.metadata as Body;
  const metadata = Object.fromEntries(Object.entries(meta).filter(([k]) => ['name', 'namespace', 'labels', 'annotations'].includes(k)));
  switch (r.type) {
    case 'kubernetes_namespace_v1':
      return { apiVersion: 'v1', kind: 'Namespace', metadata };
    case 'kubernetes_config_map_v1':
      return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: r.body.data ?? {} };
    default:
      throw new Error(`not a kubernetes_* resource: ${r.address}`);
  }
}

export interface ApplyStep {
  readonly address: string;
  readonly action: 'apply' | 'install' | 'upgrade';
  readonly ok: boolean;
  readonly seconds: number;
  readonly output: string;
}

function helmUpgrade(tools: Tools, stack: LoadedStack, r: StackResource, scratch: string): Run {
  const a = releaseArgs(r);
  const b = r.body;
  const args = ['upgrade', '--install', a.name, chartDir(stack, r), '--namespace', a.namespace];
  if (a.version && a.repository) args.push('--version', a.version);
  (a.values ?? []).forEach((v, i) => {
    const f = path.join(scratch, `${r.name}-${i}.yaml`);
    fs.writeFileSync(f, v);
    args.push('-f', f);
  });
  if (b.atomic === true) args.push('--atomic');
  if (b.cleanup_on_fail === true) args.push('--cleanup-on-fail');
  if (b.wait !== false) args.push('--wait');
  args.push('--timeout', `${typeof b.timeout === 'number' ? b.timeout : 300}s`);
  if (typeof b.max_history === 'number') args.push('--history-max', String(b.max_history));
  if (b.create_namespace === true) args.push('--create-namespace');
  return tools.helm(args);
}

/**
 * Applies every resource in dependency order; stops at the first failure (as an apply does).
 * `afterEach` runs after each applied resource (the e2e creates a user's prerequisite Secrets
 * once the namespace exists, as README tells users to).
 */
export function applyStack(tools: Tools, stack: LoadedStack, only?: ReadonlySet<string>, afterEach?: (r: StackResource) => void): ApplyStep[] {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-e2e-values-'));
  const steps: ApplyStep[] = [];
  try {
    for (const r of stack.resources) {
      if (only && !only.has(r.address)) continue;
      if (r.type === 'helm_release') {
        const existed = tools.helm(['status', releaseArgs(r).name, '--namespace', releaseArgs(r).namespace]).status === 0;
        const run = helmUpgrade(tools, stack, r, scratch);
        steps.push({ address: r.address, action: existed ? 'upgrade' : 'install', ok: run.status === 0, seconds: run.seconds, output: run.stdout + run.stderr });
      } else {
        const f = path.join(scratch, `${r.name}.json`);
        fs.writeFileSync(f, JSON.stringify(kubernetesObject(r)));
        const run = tools.kubectl(['apply', '--server-side', '--field-manager=terraform', '-f', f]);
        steps.push({ address: r.address, action: 'apply', ok: run.status === 0, seconds: run.seconds, output: run.stdout + run.stderr });
      }
      if (!steps[steps.length - 1]?.ok) break;
      afterEach?.(r);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return steps;
}

/** Removes every resource in reverse dependency order (releases uninstalled and waited for). */
export function destroyStack(tools: Tools, stack: LoadedStack): ApplyStep[] {
  const steps: ApplyStep[] = [];
  for (const r of [...stack.resources].reverse()) {
    let run: Run;
    if (r.type === 'helm_release') {
      const a = releaseArgs(r);
      run = tools.helm(['uninstall', a.name, '--namespace', a.namespace, '--wait', '--timeout', '300s']);
    } else {
      const o = kubernetesObject(r) as { kind: string; metadata: { name: string; namespace?: string } };
      run = tools.kubectl(['delete', o.kind, o.metadata.name, ...(o.metadata.namespace ? ['-n', o.metadata.namespace] : []), '--wait=true', '--timeout=300s'], 330_000);
    }
    steps.push({ address: r.address, action: 'apply', ok: run.status === 0, seconds: run.seconds, output: run.stdout + run.stderr });
  }
  return steps;
}
