import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdktf';
import type { EnvironmentConfig } from '../config/schema/environment';
import { loadEnvironments } from '../config/load';
import { EnvironmentStack } from './environment-stack';

/** cdktf feature flags, fixed here so output does not depend on a cdktf.json. */
export const APP_CONTEXT = {
  excludeStackIdFromLogicalIds: 'true',
  allowSepCharsInLogicalIds: 'true',
} as const;

/** Builds the app with one stack per environment (nothing is written until synth). */
export function buildApp(envs: readonly EnvironmentConfig[], outdir: string): App {
  const app = new App({ outdir, context: { ...APP_CONTEXT } });
  for (const env of envs) new EnvironmentStack(app, env);
  return app;
}

export interface SynthesizeOptions {
  /** Directory of `<env>.yaml` files. */
  readonly configDir: string;
  /** Output directory (replaced as a whole, only when {@link checkReplaceable} allows it). */
  readonly outdir: string;
}

/** Written into every output folder mlobs synthesizes: what marks a folder as ours to replace. */
export const OUTPUT_MARKER = '.mlobs-synthesis';

/** The output folder exists and is not ours to replace: nothing was written. */
export class OutputDirError extends Error {
  constructor(readonly outdir: string, reason: string) {
    super(`${outdir}: not replaced: ${reason}; choose an empty or new folder (or remove this one yourself)`);
    this.name = 'OutputDirError';
  }
}

/**
 * Throws unless `outdir` may be replaced: absent, an empty folder, earlier mlobs output (it holds
 * {@link OUTPUT_MARKER}), or cdktf output from before the marker (exactly `manifest.json` and
 * `stacks/`, the manifest cdktf's). Anything else (a checkout, a home folder, a file, a
 * symlink) is refused: synthesis replaces the folder as a whole.
 */
export function checkReplaceable(outdir: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(outdir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new OutputDirError(outdir, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (st.isSymbolicLink()) throw new OutputDirError(outdir, 'it is a symbolic link');
  if (!st.isDirectory()) throw new OutputDirError(outdir, 'it is not a folder');
  const entries = fs.readdirSync(outdir);
  if (entries.length === 0 || entries.includes(OUTPUT_MARKER)) return;
  const earlierCdktf =
    entries.every((e) => e === 'manifest.json' || e === 'stacks') &&
    entries.includes('manifest.json') &&
    (() => {
      try {
        const m = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as { version?: unknown; stacks?: unknown };
        return typeof m.version === 'string' && typeof m.stacks === 'object' && m.stacks !== null;
      } catch {
        return false;
      }
    })();
  if (!earlierCdktf) {
    const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? `, ... (${entries.length} entries)` : '');
    throw new OutputDirError(outdir, `it is not empty and not mlobs synthesis output (no ${OUTPUT_MARKER}; holds ${shown})`);
  }
}

/**
 * Validates every environment file, then synthesizes all stacks into a temporary directory
 * next to `outdir` and swaps it in. An invalid config, a folder that is not ours to replace
 * or a failed synthesis leaves `outdir` exactly as it was: never half-written. Temporary
 * folders (`.<name>.tmp-*`, `.<name>.old-*` beside it) are removed on every way out.
 */
export function synthesizeAll(opts: SynthesizeOptions): EnvironmentConfig[] {
  const envs = loadEnvironments(opts.configDir, path.relative(process.cwd(), opts.configDir) || '.');
  const outdir = path.resolve(opts.outdir);
  checkReplaceable(outdir);
  const parent = path.dirname(outdir);
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(outdir)}.tmp-`));
  let old: string | undefined;
  try {
    buildApp(envs, staging).synth();
    fs.writeFileSync(path.join(staging, OUTPUT_MARKER), 'Synthesized by mlobs; replaced as a whole by the next synthesis.\n');
    // Beside the output, not in the OS temp dir: rename() cannot cross filesystems.
    if (fs.existsSync(outdir)) {
      old = fs.mkdtempSync(path.join(parent, `.${path.basename(outdir)}.old-`));
      fs.renameSync(outdir, path.join(old, 'out'));
    }
    fs.renameSync(staging, outdir);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    if (old) fs.rmSync(old, { recursive: true, force: true });
  }
  return envs;
}
