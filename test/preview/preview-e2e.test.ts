/**
 * `mlobs preview` end to end on a two-commit history: a temporary git repository holding this
 * checkout's tracked files, then a Prometheus retention change in config/dev.yaml. Both
 * commits are compiled and synthesized (two tsc runs in parallel, ~30 s).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { PREVIEW_COMMAND } from '../../cli/preview';
import { REPO_ROOT } from '../helpers/paths';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** A temporary git repository of this checkout's tracked files, with one base commit. */
function fixtureRepo(): { repo: string; git: (...args: string[]) => string } {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-preview-e2e-'));
  const git = (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.name=preview test', '-c', 'user.email=preview@test', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' });
  execFileSync('sh', ['-c', 'git archive --format=tar HEAD | tar -x -C "$1"', 'sh', repo], { cwd: REPO_ROOT });
  git('init', '-q');
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(repo, 'node_modules'), 'dir');
  fs.appendFileSync(path.join(repo, '.git', 'info', 'exclude'), '\nnode_modules\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  return { repo, git };
}

async function runPreview(args: string[]): Promise<{ code: number; md: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await PREVIEW_COMMAND.run(args, { stdin: process.stdin, stdout: out.stream, stderr: err.stream });
  return { code, md: out.text(), err: err.text() };
}

/** The fixture repository with `change` as a second commit, previewed HEAD~1 -> HEAD. */
async function previewOfChange(message: string, change: (repo: string) => void): Promise<{ md: string; repo: string }> {
  const { repo, git } = fixtureRepo();
  change(repo);
  git('commit', '-q', '-am', message);
  const r = await runPreview(['--repo', repo, '--base', 'HEAD~1', '--head', 'HEAD']);
  assert.equal(r.code, 0, r.err);
  return { md: r.md, repo };
}

/** Rewrites one file of the fixture; fails if the pattern no longer matches (the fixture went stale). */
function edit(repo: string, file: string, from: RegExp, to: string): void {
  const p = path.join(repo, file);
  const before = fs.readFileSync(p, 'utf8');
  const after = before.replace(from, to);
  assert.notEqual(after, before, `fixture: ${file} no longer matches ${String(from)}`);
  fs.writeFileSync(p, after);
}

const sectionsOf = (md: string) => new Map(md.split(/\n(?=### )/).slice(1).map((s) => [s.slice(4, s.indexOf(':')), s.trim().split('\n')]));

test('preview of a dev retention change names retention and retentionSize old → new, for dev only', { timeout: 120_000 }, async () => {
  process.env.CHECKPOINT_DISABLE = '1';
  const { md, repo } = await previewOfChange('dev: keep metrics for 14 days', (r) =>
    edit(r, 'config/dev.yaml', /(prometheus:\n\s+time: )7d(\n\s+sizeGiB: )15\b/, '$114d$220'),
  );
  try {
    const sections = sectionsOf(md);
    assert.deepEqual([...sections.keys()].sort(), ['dev', 'prod', 'staging'], md);
    assert.deepEqual(sections.get('staging'), ['### staging: no changes'], md);
    assert.deepEqual(sections.get('prod'), ['### prod: no changes'], md);
    const dev = sections.get('dev') ?? [];
    assert.ok(dev.includes('  - `prometheus.prometheusSpec.retention`: `7d` → `14d`'), md);
    assert.ok(dev.includes('  - `prometheus.prometheusSpec.retentionSize`: `15GiB` → `20GiB`'), md);
    assert.ok(dev.length <= 10, `dev section has ${dev.length} lines:\n${md}`);
    assert.ok(!/destroy and recreate/i.test(md), md);
    assert.equal(fs.existsSync(path.join(repo, 'cdktf.out')), false, 'the fixture working tree was written to');
  } finally {
    fs.rmSync(repo, { recursive: true, force: true });
  }
});

test('preview of one commit with a retention change, a new alert rule, a chart bump and a renamed stateful construct', { timeout: 120_000 }, async () => {
  process.env.CHECKPOINT_DISABLE = '1';
  const { md, repo } = await previewOfChange('retention, alert, chart bump, rename', (r) => {
    edit(r, 'config/dev.yaml', /(prometheus:\n\s+time: )7d\b/, '$114d');
    edit(
      r,
      'constructs/metrics/stack-rules.ts',
      /rules: \[\n/,
      "rules: [\n        { alert: 'PreviewFixtureAlert', expr: 'vector(1) > 2', labels: { severity: 'warning', component: 'platform' }, annotations: { summary: 's', description: 'd', runbook_url: 'https://example.com/r' } },\n",
    );
    edit(r, 'constructs/versions.ts', /version: 'v1\.21\.1'/, "version: 'v1.21.2'");
    edit(r, 'constructs/observability-stack.ts', /new KubePrometheusStack\(this, 'metrics'/, "new KubePrometheusStack(this, 'monitoring'");
  });
  try {
    const dev = sectionsOf(md).get('dev')?.join('\n') ?? '';
    // The retention change rides on the renamed release (replaced as a whole, loudly); it still shows
    // in the stack's own alert rule, whose description quotes the retention.
    assert.match(dev, /`spec\.groups\[name=mlobs\.stack\]\.rules\[alert=PreviewFixtureAlert\]`: added/, `the new alert rule is named:\n${md}`);
    assert.match(dev, /rules\[alert=PrometheusDeletingDataBeforeRetentionTime\]\.annotations\.description`/, 'dev retention shows in the rule that quotes it');
    assert.doesNotMatch(sectionsOf(md).get('prod')?.join('\n') ?? '', /PrometheusDeletingDataBeforeRetentionTime/, 'prod retention unchanged');
    assert.match(dev, /cert-manager[^\n]*v1\.21\.1[^\n]*v1\.21\.2|v1\.21\.1` → `v1\.21\.2/, 'the chart bump is called out');
    assert.match(dev, /DATA LOSS|destroy and recreate/i, 'the renamed stateful construct is loud');
    assert.match(dev, /kube-prometheus-stack/, 'the replaced release is named');
  } finally {
    fs.rmSync(repo, { recursive: true, force: true });
  }
});

const RETENTION = /(prometheus:\n\s+time: )7d(\n\s+sizeGiB: )15\b/;

test('MLOBS_CONFIG_DIR outside the repository does not make both refs read one folder', { timeout: 120_000 }, async () => {
  process.env.CHECKPOINT_DISABLE = '1';
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-preview-config-'));
  fs.cpSync(path.join(REPO_ROOT, 'config'), outside, { recursive: true });
  const saved = process.env.MLOBS_CONFIG_DIR;
  process.env.MLOBS_CONFIG_DIR = outside;
  try {
    const { md, repo } = await previewOfChange('dev: 14 days', (r) => edit(r, 'config/dev.yaml', RETENTION, '$114d$220'));
    fs.rmSync(repo, { recursive: true, force: true });
    assert.match(md, /`prometheus\.prometheusSpec\.retention`: `7d` → `14d`/, md);
  } finally {
    if (saved === undefined) delete process.env.MLOBS_CONFIG_DIR;
    else process.env.MLOBS_CONFIG_DIR = saved;
    fs.rmSync(outside, { recursive: true, force: true });
  }
});

test('without --head the working tree is previewed from a copy (never written); a compile error is shown as diagnostics', { timeout: 120_000 }, async () => {
  process.env.CHECKPOINT_DISABLE = '1';
  const { repo } = fixtureRepo();
  try {
    edit(repo, 'config/dev.yaml', RETENTION, '$114d$220');
    fs.writeFileSync(path.join(repo, 'config', 'qa.yaml'), fs.readFileSync(path.join(repo, 'config', 'dev.yaml')));
    const ok = await runPreview(['--repo', repo, '--base', 'HEAD']);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.md, /`prometheus\.prometheusSpec\.retention`: `7d` → `14d`/, ok.md);
    assert.match(ok.md, /### qa: /, 'an untracked environment file of the working tree is previewed');
    for (const written of ['dist', 'cdktf.out']) assert.equal(fs.existsSync(path.join(repo, written)), false, `${written} was written in the working tree`);
    fs.appendFileSync(path.join(repo, 'stacks', 'main.ts'), '\nconst broken: = ;\n');
    const bad = await runPreview(['--repo', repo, '--base', 'HEAD']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /the working tree does not compile:\n.*stacks\/main\.ts\(\d+,\d+\): error TS\d+/, bad.err);
    assert.equal(fs.existsSync(path.join(repo, 'dist')), false);
  } finally {
    fs.rmSync(repo, { recursive: true, force: true });
  }
});

test('preview works on any cdktf app: the app command from cdktf.json, or --synth', { timeout: 120_000 }, async () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-preview-any-app-'));
  const git = (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.name=preview test', '-c', 'user.email=preview@test', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' });
  try {
    const app = (replicas: number): string =>
      [
        "const { App, TerraformStack } = require('cdktf');",
        "const { HelmProvider } = require('@cdktf/provider-helm/lib/provider');",
        "const { Release } = require('@cdktf/provider-helm/lib/release');",
        'const app = new App();',
        "const stack = new TerraformStack(app, 'web');",
        "new HelmProvider(stack, 'helm', { kubernetes: { configPath: '~/.kube/config' } });",
        `new Release(stack, 'web', { name: 'web', chart: 'nginx', repository: 'https://charts.example.com', version: '1.0.0', values: ['replicaCount: ${replicas}\\n'] });`,
        'app.synth();',
        '',
      ].join('\n');
    fs.writeFileSync(path.join(repo, 'app.js'), app(1));
    fs.writeFileSync(path.join(repo, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'node app.js' }));
    fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules\n');
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(repo, 'node_modules'), 'dir');
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'base');
    fs.writeFileSync(path.join(repo, 'app.js'), app(2));
    git('commit', '-q', '-am', 'two replicas');
    const expectChange = (md: string): void => {
      assert.match(md, /### web: 0 to add, 1 to change, 0 to replace, 0 to destroy/, md);
      assert.match(md, /`replicaCount`: `1` → `2`/, md);
    };
    const fromCdktfJson = await runPreview(['--repo', repo, '--base', 'HEAD~1', '--head', 'HEAD']);
    assert.equal(fromCdktfJson.code, 0, fromCdktfJson.err);
    expectChange(fromCdktfJson.md);
    fs.rmSync(path.join(repo, 'cdktf.json'));
    git('commit', '-q', '-am', 'no cdktf.json');
    const noApp = await runPreview(['--repo', repo, '--base', 'HEAD~2', '--head', 'HEAD']);
    assert.equal(noApp.code, 1);
    assert.match(noApp.err, /neither mlobs nor a cdktf app .*pass --synth/);
    const explicit = await runPreview(['--repo', repo, '--base', 'HEAD~2', '--head', 'HEAD', '--synth', 'node app.js']);
    assert.equal(explicit.code, 0, explicit.err);
    expectChange(explicit.md);
  } finally {
    fs.rmSync(repo, { recursive: true, force: true });
  }
});
