/**
 * The engines built from Go modules are the versions the project pins: the wrappers' go.mod
 * agree with the chart and provider pins, and each built binary reports that version itself
 * (version ldflags applied: a Kubernetes build without them reports v0.0.0-master and Helm
 * refuses the pinned charts; a tofu build without them reports -dev).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { engineBin, ENGINES_DIR, wrapperVersion, type EngineBinary } from '../helpers/engines';
import { REPO_ROOT, sharedPath } from '../helpers/paths';
import { CHARTS, ELASTIC_IMAGES, PROVIDERS } from '../../constructs/versions';

const EMPTY_CLI_CONFIG = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-tfrc-')), 'empty.tfrc');
fs.writeFileSync(EMPTY_CLI_CONFIG, '');

function versionOutput(bin: EngineBinary, args: readonly string[]): string {
  const env = { ...process.env, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: EMPTY_CLI_CONFIG };
  const r = spawnSync(engineBin(bin), [...args], { encoding: 'utf8', timeout: 30_000, env });
  assert.equal(r.error, undefined, `${bin} ${args.join(' ')}: ${r.error?.message}`);
  return `${r.stdout}${r.stderr}`;
}

function chartImageTag(...keys: string[]): string {
  const chart = CHARTS.kubePrometheusStack;
  const values = parse(fs.readFileSync(sharedPath('charts', chart.chart, chart.version, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  let v: unknown = values;
  for (const k of keys) v = (v as Record<string, unknown>)[k];
  assert.equal(typeof v, 'string', `kube-prometheus-stack values: ${keys.join('.')}`);
  return v as string;
}

test('Prometheus and Alertmanager wrappers pin what kube-prometheus-stack runs, and the binaries say so', () => {
  const promTag = chartImageTag('prometheus', 'prometheusSpec', 'image', 'tag'); // v3.14.0-distroless
  const promVersion = /^v(3\.\d+\.\d+)/.exec(promTag)?.[1];
  assert.ok(promVersion, promTag);
  const [, minor, patch] = promVersion.split('.');
  assert.equal(wrapperVersion('prometheus', 'github.com/prometheus/prometheus'), `v0.3${minor}.${patch}`);
  for (const bin of ['prometheus', 'promtool'] as const) {
    assert.match(versionOutput(bin, ['--version']), new RegExp(`version ${promVersion.replace(/\./g, '\\.')} `), bin);
  }
  const amTag = chartImageTag('alertmanager', 'alertmanagerSpec', 'image', 'tag'); // v0.34.0
  assert.equal(wrapperVersion('alertmanager', 'github.com/prometheus/alertmanager'), amTag);
  for (const bin of ['alertmanager', 'amtool'] as const) {
    assert.match(versionOutput(bin, ['--version']), new RegExp(`version ${amTag.slice(1).replace(/\./g, '\\.')} `), bin);
  }
});

test("statsd_exporter pins the Logstash sidecar's image tag, and the binary says so", () => {
  const tag = ELASTIC_IMAGES.statsdExporter.tag; // v0.28.0
  assert.equal(wrapperVersion('statsd-exporter', 'github.com/prometheus/statsd_exporter'), tag);
  assert.match(versionOutput('statsd_exporter', ['--version']), new RegExp(`version ${tag.slice(1).replace(/\./g, '\\.')} `));
});

test('the Kubernetes control plane reports its release (>= 1.34), not v0.0.0-master', () => {
  const v = wrapperVersion('kubernetes', 'k8s.io/kubernetes');
  const [major, minor] = v.slice(1).split('.').map(Number);
  assert.ok(major === 1 && (minor ?? 0) >= 34, v);
  for (const bin of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const) {
    assert.equal(versionOutput(bin, ['--version']).trim(), `Kubernetes ${v}`, bin);
  }
  assert.match(versionOutput('kubectl', ['version', '--client']), new RegExp(`Client Version: ${v.replace(/\./g, '\\.')}\n`));
  // Every staging module is replaced by the published version of the same release.
  const gomod = fs.readFileSync(path.join(REPO_ROOT, 'engines', 'kubernetes', 'go.mod'), 'utf8');
  const replaces = [...gomod.matchAll(/^(?:replace)?\s*(k8s\.io\/[\w.-]+) => \1 (v\S+)$/gm)];
  assert.ok(replaces.length >= 30, `${replaces.length} staging replaces`);
  for (const [, mod, ver] of replaces) assert.equal(ver, `v0.${v.slice(3)}`, mod);
});

test('etcd 3.6.x, kwok v0.8.0 and OpenTofu >= 1.10 report their pinned versions', () => {
  const etcd = wrapperVersion('etcd', 'go.etcd.io/etcd/server/v3');
  assert.match(etcd, /^v3\.6\.\d+$/);
  assert.match(versionOutput('etcd', ['--version']), new RegExp(`etcd Version: ${etcd.slice(1).replace(/\./g, '\\.')}\\n`));
  const kwok = wrapperVersion('kwok', 'sigs.k8s.io/kwok');
  assert.equal(kwok, 'v0.8.0');
  for (const bin of ['kwok', 'kwokctl'] as const) assert.match(versionOutput(bin, ['--version']), /0\.8\.0/, bin);
  const tofu = wrapperVersion('tofu', 'github.com/opentofu/opentofu');
  const [, tmajor, tminor] = /^v(\d+)\.(\d+)\./.exec(tofu) ?? [];
  assert.ok(Number(tmajor) === 1 && Number(tminor) >= 10, tofu);
  const out = versionOutput('tofu', ['version']);
  assert.match(out, new RegExp(`^OpenTofu ${tofu.replace(/\./g, '\\.')}\\n`), out);
  assert.doesNotMatch(out, /-dev/);
});

test('the provider wrappers pin the exact tagged commits the stack requires', () => {
  const wrappers = { kubernetes: 'provider-kubernetes', helm: 'provider-helm' } as const;
  for (const [name, dir] of Object.entries(wrappers)) {
    const pin = PROVIDERS[name as keyof typeof PROVIDERS];
    const gomod = fs.readFileSync(path.join(REPO_ROOT, 'engines', dir, 'go.mod'), 'utf8');
    assert.match(gomod, new RegExp(`^// tag: v${pin.version.replace(/\./g, '\\.')}$`, 'm'), `${dir} records the tag ${pin.version}`);
    const commit = /^\/\/ commit: ([0-9a-f]{40}) /m.exec(gomod)?.[1];
    assert.ok(commit, `${dir} records the commit`);
    const required = wrapperVersion(dir, `github.com/hashicorp/terraform-provider-${name}`);
    assert.ok(required.endsWith(`-${commit.slice(0, 12)}`), `${dir}: ${required} is a pseudo-version of ${commit}`);
  }
});

test('a second run reuses every built engine (versions and build flags unchanged)', () => {
  const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'build-engines.sh')], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, MLOBS_ENGINES_DIR: ENGINES_DIR },
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 7, r.stdout);
  for (const l of lines) assert.match(l, /up to date/, l);
});

test('an unknown tool is refused before anything is built', () => {
  const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'build-engines.sh'), 'etcd', 'terraform'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown tool 'terraform' \(known: etcd kubernetes kwok tofu prometheus alertmanager statsd-exporter provider-kubernetes provider-helm\)/);
  assert.equal(r.stdout, '');
});

test('a version the module proxy does not serve fails the build, naming module and version, with nothing substituted', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-engines-'));
  try {
    fs.mkdirSync(path.join(tmp, 'scripts'));
    fs.copyFileSync(path.join(REPO_ROOT, 'scripts', 'build-engines.sh'), path.join(tmp, 'scripts', 'build-engines.sh'));
    fs.mkdirSync(path.join(tmp, 'engines', 'alertmanager'), { recursive: true });
    fs.writeFileSync(
      path.join(tmp, 'engines', 'alertmanager', 'go.mod'),
      'module mlobs.local/engines/alertmanager\n\ngo 1.26.0\n\nrequire github.com/prometheus/alertmanager v0.34.99\n',
    );
    const r = spawnSync('bash', [path.join(tmp, 'scripts', 'build-engines.sh'), 'alertmanager'], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, MLOBS_ENGINES_DIR: path.join(tmp, 'out') },
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /alertmanager: the Go module proxy did not serve github\.com\/prometheus\/alertmanager@v0\.34\.99/);
    assert.deepEqual(fs.readdirSync(path.join(tmp, 'out', 'bin')), [], 'nothing was built');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
