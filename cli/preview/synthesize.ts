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

/**
 * How a ref is synthesized: mlobs itself (its stack entry compiled without type-checking, the
 * fast path), or any cdktf app through a shell command run in the ref's copy with CDKTF_OUTDIR
 * set: `--synth "<command>"`, else the `app` of the ref's cdktf.json.
 */
export interface SynthCommand {
  /** A shell command that synthesizes the app into $CDKTF_OUTDIR. @default - mlobs, or cdktf.json's app */
  readonly command?: string;
}

/** Compiles and synthesizes `commit` inside `workdir` (created, left for the caller to remove); returns the outdir. */
export async function synthesizeRef(repo: string, commit: string, workdir: string, how: SynthCommand = {}): Promise<string> {
  fs.mkdirSync(workdir, { recursive: true });
  await run('sh', ['-c', 'git archive --format=tar "$1" | tar -x -C "$2"', 'sh', commit, workdir], { cwd: repo, env: ENV });
  return buildAndSynthesize(repo, workdir, commit.slice(0, 12), how);
}

/** Whether a checkout is mlobs itself (its stack entry can take the fast path). */
function isMlobs(root: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name?: string }).name === 'mlobs' && fs.existsSync(path.join(root, 'stacks', 'main.ts'));
  } catch {
    return false;
  }
}

/** The app command of a cdktf project (cdktf.json `app`), or undefined. */
function cdktfApp(root: string): string | undefined {
  try {
    const app = (JSON.parse(fs.readFileSync(path.join(root, 'cdktf.json'), 'utf8')) as { app?: unknown }).app;
    return typeof app === 'string' && app.trim() ? app : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a cdktf app's synth command in `root` into `outdir`. */
async function synthesizeWithCommand(root: string, command: string, outdir: string, what: string): Promise<void> {
  try {
    await run('sh', ['-c', command], { cwd: root, env: { ...ENV, CDKTF_OUTDIR: outdir }, maxBuffer: 64 << 20 });
  } catch (e) {
    const out = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`.trim();
    throw new Error(`preview: synthesizing ${what} with \`${command}\` failed:\n${out.slice(0, 4000) || String(e)}`);
  }
  if (!fs.existsSync(path.join(outdir, 'stacks'))) throw new Error(`preview: \`${command}\` wrote no stacks/ into CDKTF_OUTDIR for ${what}; is it a cdktf app?`);
}

/**
 * Compiles and synthesizes the working tree (tracked and untracked files that git does not
 * ignore, as they are on disk) in a copy inside `workdir`: the working tree itself is never
 * written (no dist/, no cdktf.out). Returns the outdir.
 */
export async function synthesizeWorkingTree(repo: string, workdir: string, how: SynthCommand = {}): Promise<string> {
  fs.mkdirSync(workdir, { recursive: true });
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, env: ENV, maxBuffer: 64 << 20 });
  for (const rel of stdout.split('\0').filter(Boolean)) {
    const from = path.join(repo, rel);
    const st = fs.lstatSync(from, { throwIfNoEntry: false });
    if (!st || st.isDirectory()) continue; // deleted in the working tree, or a submodule
    fs.mkdirSync(path.dirname(path.join(workdir, rel)), { recursive: true });
    fs.cpSync(from, path.join(workdir, rel), { verbatimSymlinks: true });
  }
  return buildAndSynthesize(repo, workdir, 'the working tree', how);
}

async function buildAndSynthesize(repo: string, workdir: string, what: string, how: SynthCommand): Promise<string> {
  if (fs.existsSync(path.join(repo, 'node_modules')) && !fs.existsSync(path.join(workdir, 'node_modules'))) {
    fs.symlinkSync(path.join(repo, 'node_modules'), path.join(workdir, 'node_modules'), 'dir');
  }
  const outdir = path.join(workdir, 'out');
  const command = how.command ?? (isMlobs(workdir) ? undefined : cdktfApp(workdir));
  if (command !== undefined) {
    await synthesizeWithCommand(workdir, command, outdir, what);
    return outdir;
  }
  if (!isMlobs(workdir)) throw new Error(`preview: ${what} is neither mlobs nor a cdktf app (no cdktf.json with an "app"); pass --synth "<command>"`);
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
    // tsc prints its diagnostics on stdout: show them (file, line, code, message).
    const out = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`.trim();
    throw new Error(`preview: ${what} does not compile:\n${out.slice(0, 4000) || String(e)}`);
  }
  await synthesizeBuild(workdir, outdir, repo);
  return outdir;
}

/**
 * The config folder a ref is synthesized with: its own `config/`, or the MLOBS_CONFIG_DIR
 * override when that points inside the repository (then the same relative folder of the ref).
 * An override outside the repository would make both refs read one folder (and the preview say
 * "no changes" for a real change), so it is not applied; `note` says so.
 */
export function configDirFor(refRoot: string, repo: string, override = process.env.MLOBS_CONFIG_DIR): { dir: string; note?: string } {
  if (!override) return { dir: path.join(refRoot, 'config') };
  const rel = path.relative(repo, path.resolve(override));
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    return { dir: path.join(refRoot, 'config'), note: `MLOBS_CONFIG_DIR=${override} is outside the repository; each ref is synthesized with its own config/` };
  }
  return { dir: path.join(refRoot, rel) };
}

/** Runs an already built checkout's stack entry into `outdir`, with the ref's own config folder. */
async function synthesizeBuild(root: string, outdir: string, repo: string): Promise<void> {
  const { dir } = configDirFor(root, repo);
  try {
    await run(process.execPath, [path.join(root, 'dist', 'stacks', 'main.js')], { cwd: root, env: { ...ENV, CDKTF_OUTDIR: outdir, MLOBS_CONFIG_DIR: dir }, maxBuffer: 64 << 20 });
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
