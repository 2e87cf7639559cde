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

test('preview of a dev retention change names retention and retentionSize old → new, for dev only', { timeout: 120_000 }, async () => {
  process.env.CHECKPOINT_DISABLE = '1';
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-preview-e2e-'));
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', ['-c', 'user.name=preview test', '-c', 'user.email=preview@test', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' });
    execFileSync('sh', ['-c', 'git archive --format=tar HEAD | tar -x -C "$1"', 'sh', repo], { cwd: REPO_ROOT });
    git('init', '-q');
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(repo, 'node_modules'), 'dir');
    fs.appendFileSync(path.join(repo, '.git', 'info', 'exclude'), '\nnode_modules\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'base');
    const devYaml = path.join(repo, 'config', 'dev.yaml');
    const before = fs.readFileSync(devYaml, 'utf8');
    const after = before.replace(/(prometheus:\n\s+time: )7d(\n\s+sizeGiB: )15\b/, '$114d$220');
    assert.notEqual(after, before, 'fixture: config/dev.yaml no longer has retention.prometheus time 7d / sizeGiB 15');
    fs.writeFileSync(devYaml, after);
    git('commit', '-q', '-am', 'dev: keep metrics for 14 days');

    const out = sink();
    const err = sink();
    const code = await PREVIEW_COMMAND.run(['--repo', repo, '--base', 'HEAD~1', '--head', 'HEAD'], { stdin: process.stdin, stdout: out.stream, stderr: err.stream });
    const md = out.text();
    assert.equal(code, 0, err.text());

    const sections = new Map(md.split(/\n(?=### )/).slice(1).map((s) => [s.slice(4, s.indexOf(':')), s.trim().split('\n')]));
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
