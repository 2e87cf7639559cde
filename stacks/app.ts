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
  /** Output directory (replaced as a whole). */
  readonly outdir: string;
}

/**
 * Validates every environment file, then synthesizes all stacks into a temporary directory
 * next to `outdir` and swaps it in. An invalid config or a failed synthesis leaves `outdir`
 * exactly as it was: never half-written.
 */
export function synthesizeAll(opts: SynthesizeOptions): EnvironmentConfig[] {
  const envs = loadEnvironments(opts.configDir, path.relative(process.cwd(), opts.configDir) || '.');
  const parent = path.dirname(path.resolve(opts.outdir));
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(opts.outdir)}.tmp-`));
  try {
    buildApp(envs, staging).synth();
    // Beside the output, not in the OS temp dir: rename() cannot cross filesystems.
    const old = fs.existsSync(opts.outdir) ? fs.mkdtempSync(path.join(parent, `.${path.basename(opts.outdir)}.old-`)) : undefined;
    if (old) fs.renameSync(opts.outdir, path.join(old, 'out'));
    fs.renameSync(staging, opts.outdir);
    if (old) fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  return envs;
}
