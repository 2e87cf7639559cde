#!/usr/bin/env node
/**
 * The app entry: `node dist/stacks/main.js` (npm run synth) or `cdktf synth|deploy <env>`.
 * Environments are every config/*.yaml (override with MLOBS_CONFIG_DIR). When run by the
 * cdktf CLI, CDKTF_OUTDIR names the output directory.
 */
import './fast-start';
import * as path from 'node:path';
import { config as zodConfig } from 'zod';
import { ConfigError } from '../config/errors';
import { OutputDirError, synthesizeAll } from './app';

// Validation runs once per process: zod's JIT compilation costs more than it saves here.
zodConfig({ jitless: true });

const root = path.resolve(__dirname, '..', '..');
const configDir = path.resolve(process.env.MLOBS_CONFIG_DIR ?? path.join(root, 'config'));
// An empty CDKTF_OUTDIR means the default, never the current folder.
const outdir = path.resolve(process.env.CDKTF_OUTDIR || path.join(root, 'cdktf.out'));

// Synthesis is synchronous: a SIGINT/SIGTERM is handled once it has finished and cleaned up its
// temporary folders (the output is either complete or untouched), then ends the process.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => process.exit(code));
}

try {
  const envs = synthesizeAll({ configDir, outdir });
  if (!process.env.CDKTF_OUTDIR) {
    process.stdout.write(`synthesized ${envs.length} stack(s) into ${path.relative(process.cwd(), outdir) || '.'}: ${envs.map((e) => e.name).join(', ')}\n`);
  }
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`invalid configuration; nothing was written:\n${e.message}\n`);
    process.exitCode = 1;
  } else if (e instanceof OutputDirError) {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
  } else {
    throw e;
  }
}
