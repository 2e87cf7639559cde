/**
 * `mlobs preview --base <ref> [--head <ref>] [--env <name>...] [--format markdown|json]`:
 * an offline plan preview. Synthesizes both refs in temporary directories (without --head, a
 * copy of the working tree; the working tree itself is never written) and prints the
 * semantic diff per environment (see cli/preview/diff.ts). Needs no cluster and no provider.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { CliCommand, CliIo } from './main';
import { diffOutputs, renderMarkdown } from './preview/diff';
import { configDirFor, readOutput, resolveRef, synthesizeRef, synthesizeWorkingTree } from './preview/synthesize';

const USAGE =
  'usage: mlobs preview --base <git-ref> [--head <git-ref>] [--env <name>...] [--format markdown|json] [--repo <dir>] [--synth "<command>"]\n' +
  '  --synth  how to synthesize a ref of any cdktf app into $CDKTF_OUTDIR (default: mlobs itself, else cdktf.json\'s "app")\n';

async function repoRoot(dir: string): Promise<string> {
  const { stdout } = await promisify(execFile)('git', ['rev-parse', '--show-toplevel'], { cwd: dir });
  return stdout.trim();
}

async function preview(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      base: { type: 'string' },
      head: { type: 'string' },
      env: { type: 'string', multiple: true },
      format: { type: 'string', default: 'markdown' },
      repo: { type: 'string' },
      synth: { type: 'string' },
    },
    strict: true,
  });
  if (!values.base) {
    io.stderr.write(`mlobs preview: --base is required (the ref to compare against, e.g. origin/main)\n${USAGE}`);
    return 2;
  }
  if (values.format !== 'markdown' && values.format !== 'json') {
    io.stderr.write(`mlobs preview: --format must be markdown or json, received "${values.format}"\n${USAGE}`);
    return 2;
  }
  const repo = await repoRoot(values.repo ?? process.cwd());
  const baseCommit = await resolveRef(repo, values.base);
  const headCommit = values.head ? await resolveRef(repo, values.head) : undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-preview-'));
  try {
    const how = values.synth !== undefined ? { command: values.synth } : {};
    const note = configDirFor(repo, repo).note;
    if (note) io.stderr.write(`mlobs preview: ${note}\n`);
    // Both builds run to their end (allSettled) before the temporary folder is removed: a failed
    // one must not leave the other writing into a folder being deleted.
    const [base, head] = await Promise.allSettled([
      synthesizeRef(repo, baseCommit, path.join(tmp, 'base'), how),
      headCommit ? synthesizeRef(repo, headCommit, path.join(tmp, 'head'), how) : synthesizeWorkingTree(repo, path.join(tmp, 'head'), how),
    ]);
    const failures = [base, head].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0) {
      for (const f of failures) io.stderr.write(`mlobs ${(f.reason as Error).message}\n`);
      return 1;
    }
    const baseOut = (base as PromiseFulfilledResult<string>).value;
    const headOut = (head as PromiseFulfilledResult<string>).value;
    const diff = diffOutputs(readOutput(baseOut), readOutput(headOut), { base: values.base, head: values.head ?? 'working tree' }, values.env);
    const unknown = (values.env ?? []).filter((e) => !diff.environments.some((d) => d.name === e));
    if (unknown.length > 0) {
      io.stderr.write(`mlobs preview: no environment named ${unknown.join(', ')} in either ref\n`);
      return 2;
    }
    io.stdout.write(values.format === 'json' ? JSON.stringify(diff, null, 2) + '\n' : renderMarkdown(diff));
    return 0;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export const PREVIEW_COMMAND: CliCommand = {
  summary: 'offline plan preview: semantic diff of two git refs per environment (no cluster)',
  run: preview,
};
