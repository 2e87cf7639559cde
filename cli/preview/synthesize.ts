/**
 * Synthesizes a git ref of this repository into a temporary directory without touching the
 * working tree: `git archive <ref> | tar -x`, this checkout's node_modules linked in, the stack
 * entry compiled with the ref's own tsconfig and run with CDKTF_OUTDIR. Then reads the output
 * into the differ's model.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { Json, ManifestObject, SynthesizedEnvironment, SynthesizedOutput } from './diff';

const run = promisify(execFile);
const ENV = { ...process.env, CHECKPOINT_DISABLE: '1' };

/** Resolves a ref to a commit, with a clear message when it does not exist. */
export async function resolveRef(repo: string, ref: string): Promise<string> {
  try {
    const { stdout } = await run('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: repo });
    return stdout.trim();
  } catch {
    throw new Error(`preview: "${ref}" is not a commit in ${repo}; pass a branch, tag or sha (e.g. --base origin/main)`);
  }
}

/** Compiles and synthesizes `commit` inside `workdir` (created, left for the caller to remove); returns the outdir. */
export async function synthesizeRef(repo: string, commit: string, workdir: string): Promise<string> {
  fs.mkdirSync(workdir, { recursive: true });
  await run('sh', ['-c', 'git archive --format=tar "$1" | tar -x -C "$2"', 'sh', commit, workdir], { cwd: repo, env: ENV });
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(workdir, 'node_modules'), 'dir');
  // Only what the stack entry imports (tests and benchmarks are not needed to synthesize), and
  // emitted without type-checking: checking the ref is CI's job, the preview wants its output
  // (this halves the time of a build).
  fs.writeFileSync(
    path.join(workdir, 'tsconfig.preview.json'),
    JSON.stringify({ extends: './tsconfig.json', include: ['stacks/main.ts'], compilerOptions: { incremental: false, declaration: false, noCheck: true } }),
  );
  const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', 'tsconfig.preview.json'], { cwd: workdir, env: ENV, maxBuffer: 64 << 20 });
  } catch (e) {
    const out = (e as { stdout?: string }).stdout ?? '';
    throw new Error(`preview: ${commit.slice(0, 12)} does not compile:\n${out.slice(0, 4000)}`);
  }
  const outdir = path.join(workdir, 'out');
  await synthesizeBuild(workdir, outdir);
  return outdir;
}

/** Runs an already built checkout's stack entry into `outdir`. */
export async function synthesizeBuild(root: string, outdir: string): Promise<void> {
  try {
    await run(process.execPath, [path.join(root, 'dist', 'stacks', 'main.js')], { cwd: root, env: { ...ENV, CDKTF_OUTDIR: outdir }, maxBuffer: 64 << 20 });
  } catch (e) {
    const err = (e as { stderr?: string }).stderr ?? String(e);
    throw new Error(`preview: synthesis failed in ${root}:\n${err.slice(0, 4000)}`);
  }
}

/** Reads `<outdir>/stacks/<env>/cdk.tf.json` and the generated chart's manifests. */
export function readOutput(outdir: string): SynthesizedOutput {
  const stacksDir = path.join(outdir, 'stacks');
  const out: Record<string, SynthesizedEnvironment> = {};
  if (!fs.existsSync(stacksDir)) return out;
  for (const name of fs.readdirSync(stacksDir).sort()) {
    const dir = path.join(stacksDir, name);
    const tf = path.join(dir, 'cdk.tf.json');
    if (!fs.existsSync(tf)) continue;
    const manifests: ManifestObject[] = [];
    const charts = path.join(dir, 'charts');
    if (fs.existsSync(charts)) {
      for (const chart of fs.readdirSync(charts).filter((c) => c.startsWith('mlobs-resources-'))) {
        const mdir = path.join(charts, chart, 'manifests');
        if (!fs.existsSync(mdir)) continue;
        // JSON since the manifests were emitted as JSON; YAML before (older refs).
        for (const f of fs.readdirSync(mdir).filter((x) => /\.(json|ya?ml)$/.test(x)).sort()) {
          const text = fs.readFileSync(path.join(mdir, f), 'utf8');
          const docs = parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS() as unknown);
          for (const doc of docs) if (isManifest(doc)) manifests.push(doc);
        }
      }
    }
    out[name] = { stack: JSON.parse(fs.readFileSync(tf, 'utf8')) as { readonly [key: string]: Json }, manifests };
  }
  return out;
}

function isManifest(doc: unknown): doc is ManifestObject {
  if (typeof doc !== 'object' || doc === null) return false;
  const o = doc as { kind?: unknown; metadata?: { name?: unknown } };
  return typeof o.kind === 'string' && typeof o.metadata?.name === 'string';
}
