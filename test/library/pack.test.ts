/**
 * The library as another team gets it: `npm pack` the package, install the tarball into a
 * temporary copy of examples/team-stack, compile it with strict TypeScript (declaration files
 * checked, no skipLibCheck) and synthesize it.
 *
 * Offline: instead of `npm install`, the tarball is extracted into node_modules/mlobs and the
 * third-party packages are symlinked from this checkout's node_modules (Node and tsc follow the
 * symlinks, so cdktf/constructs are one instance for mlobs and the example).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/paths';
import { initStopsOnlyAtProviders } from '../helpers/tofu';

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
}

interface TfJson {
  readonly resource: Readonly<Record<string, Readonly<Record<string, { readonly name?: string; readonly chart?: string }>>>>;
}

const EXAMPLE_DIR = path.join(REPO_ROOT, 'examples', 'team-stack');

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

test('examples/team-stack compiles (strict) and synthesizes against the packed tarball', { timeout: 120_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-pack-'));
  try {
    // 1. Pack (dist is built by the test script before any test runs).
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', tmp], REPO_ROOT)) as { filename: string; files: { path: string }[] }[];
    const tarball = path.join(tmp, packed[0]!.filename);
    const files = packed[0]!.files.map((f) => f.path);
    for (const required of ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/stacks/main.js', 'config/schema.json', 'CHANGELOG.md']) {
      assert.ok(files.includes(required), `the tarball lacks ${required}`);
    }
    const unwanted = files.filter((f) => f.startsWith('dist/test/') || f.startsWith('dist/bench/') || f.endsWith('.tsbuildinfo') || f.startsWith('test/'));
    assert.deepEqual(unwanted, [], 'tests, goldens and benchmarks stay out of the tarball');

    // 2. A copy of the example, with mlobs from the tarball and the rest linked from this checkout.
    const project = path.join(tmp, 'team-stack');
    fs.cpSync(EXAMPLE_DIR, project, { recursive: true, filter: (src) => !/[\\/](node_modules|dist|cdktf\.out)$/.test(src) });
    const nodeModules = path.join(project, 'node_modules');
    fs.mkdirSync(path.join(nodeModules, 'mlobs'), { recursive: true });
    run('tar', ['-xzf', tarball, '-C', path.join(nodeModules, 'mlobs'), '--strip-components=1'], tmp);
    const mlobsPkg = JSON.parse(fs.readFileSync(path.join(nodeModules, 'mlobs', 'package.json'), 'utf8')) as PackageJson;
    const examplePkg = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8')) as PackageJson;
    assert.equal(examplePkg.dependencies?.['mlobs'], `file:../../mlobs-${mlobsPkg.version}.tgz`, 'the example depends on the tarball of the current version');
    const needed = new Set([...Object.keys(mlobsPkg.dependencies ?? {}), ...Object.keys(examplePkg.dependencies ?? {}), ...Object.keys(examplePkg.devDependencies ?? {})]);
    needed.delete('mlobs');
    for (const dep of needed) {
      const source = path.join(REPO_ROOT, 'node_modules', dep);
      assert.ok(fs.existsSync(source), `${dep} (needed by the example or by mlobs) is not installed in this checkout`);
      fs.mkdirSync(path.dirname(path.join(nodeModules, dep)), { recursive: true });
      fs.symlinkSync(source, path.join(nodeModules, dep), 'dir');
    }

    // 3. Strict compile (tsconfig of the example: strict, no skipLibCheck) and synthesis.
    run(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], project);
    const outdir = path.join(tmp, 'out');
    run(process.execPath, ['dist/main.js'], project, { ...process.env, CDKTF_OUTDIR: outdir });

    // 4. Only what the team composed: metrics, Loki + Alloy, the CR chart; no Elastic, no bundled exporter.
    const tf = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'team-ml', 'cdk.tf.json'), 'utf8')) as TfJson;
    const releases = Object.values(tf.resource['helm_release'] ?? {}).map((r) => r.name).sort();
    assert.deepEqual(releases, ['alloy', 'alloy-events', 'kube-prometheus-stack', 'loki', 'mlobs-resources']);
    // The team's own props reached the output (no environment file: the example never parses one).
    assert.doesNotMatch(fs.readFileSync(path.join(EXAMPLE_DIR, 'main.ts'), 'utf8'), /parseEnvironment|EnvironmentConfig/, 'the example composes from props alone');
    const kpsValues = JSON.stringify(Object.values(tf.resource['helm_release'] ?? {}).find((r) => r.name === 'kube-prometheus-stack'));
    assert.match(kpsValues, /retention: 7d\\n/, 'prometheus.retentionTime from the team\'s props');
    const lokiValues = JSON.stringify(Object.values(tf.resource['helm_release'] ?? {}).find((r) => r.name === 'loki'));
    assert.match(lokiValues, /retention_period: 336h\\n/, 'loki.retentionPeriod from the team\'s props');
    const namespaces = Object.values(tf.resource['kubernetes_namespace_v1'] ?? {});
    assert.equal(namespaces.length, 1);
    // The GPU alerts (scraping the GPU Operator's exporter) ride in the custom-resource chart.
    const chartsDir = path.join(outdir, 'stacks', 'team-ml', 'charts');
    const manifests = fs.readdirSync(chartsDir).flatMap((c) => fs.readdirSync(path.join(chartsDir, c, 'manifests')));
    assert.ok(manifests.some((m) => /prometheusrule-.*-mlobs-gpu\.json$/.test(m)), manifests.join(', '));
    assert.ok(manifests.some((m) => /servicemonitor-.*gpu-operator-dcgm-exporter\.json$/.test(m)), manifests.join(', '));
    const gpuRule = fs.readdirSync(chartsDir).flatMap((c) => fs.readdirSync(path.join(chartsDir, c, 'manifests')).filter((m) => /prometheusrule-.*-mlobs-gpu\.json$/.test(m)).map((m) => path.join(chartsDir, c, 'manifests', m)))[0];
    assert.ok(gpuRule);
    assert.match(fs.readFileSync(gpuRule, 'utf8'), />= 80\b/, 'gpu.alerts.temperatureWarningCelsius from the team\'s props');
    // 5. OpenTofu reads the team's configuration (depends_on as bare references, literal strings).
    initStopsOnlyAtProviders(path.join(outdir, 'stacks', 'team-ml'));

    // 6. The installed CLI works from any folder with no native addon (re2 is not installed here)
    //    and no file outside the package: `kubectl logs pod | mlobs logs extract`.
    const elsewhere = fs.mkdtempSync(path.join(tmp, 'anywhere-'));
    const cli = spawnSync(process.execPath, [path.join(nodeModules, 'mlobs', 'dist', 'cli', 'main.js'), 'logs', 'extract'], {
      cwd: elsewhere,
      encoding: 'utf8',
      input: '[TensorRT] ERROR: Network validation failed.\nEpoch 3/7\n',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    assert.equal(cli.status, 0, cli.stderr);
    assert.deepEqual(
      cli.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown),
      [
        { id: 1, fields: { logger: 'TensorRT', level: 'error', message: 'Network validation failed.' } },
        { id: 2, fields: { epoch: 3, epochs_total: 7, event: 'train_progress' } },
      ],
    );
    assert.equal(fs.existsSync(path.join(nodeModules, 're2')), false, 'the check ran without re2');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
