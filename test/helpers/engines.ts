/**
 * The engines built from Go modules by scripts/build-engines.sh (.tools/engines/, or
 * MLOBS_ENGINES_DIR). A missing binary fails with the command that builds it; nothing falls
 * back to another version found on PATH.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './paths';

export const ENGINES_DIR = path.resolve(process.env.MLOBS_ENGINES_DIR ?? path.join(REPO_ROOT, '.tools', 'engines'));

export type EngineBinary =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kubectl'
  | 'kwok'
  | 'kwokctl'
  | 'tofu'
  | 'prometheus'
  | 'promtool'
  | 'alertmanager'
  | 'amtool'
  | 'statsd_exporter';

/** Absolute path of a built engine; throws naming the build command when it is missing. */
export function engineBin(name: EngineBinary): string {
  const p = path.join(ENGINES_DIR, 'bin', name);
  if (!fs.existsSync(p)) {
    throw new Error(`${p} is missing: build the engines with scripts/build-engines.sh (the test command does this first)`);
  }
  return p;
}

/** The version a wrapper module (engines/<tool>/go.mod) requires of `module`. */
export function wrapperVersion(tool: string, module: string): string {
  const gomod = fs.readFileSync(path.join(REPO_ROOT, 'engines', tool, 'go.mod'), 'utf8');
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const m = new RegExp(`^(?:require\\s+)?\\s*${escaped}\\s+(v\\S+)`, 'm').exec(gomod);
  if (!m?.[1]) throw new Error(`engines/${tool}/go.mod does not require ${module}`);
  return m[1];
}
