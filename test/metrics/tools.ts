/**
 * The Prometheus/Alertmanager command-line tools tests run: the versions kube-prometheus-stack
 * runs (Prometheus 3.14, Alertmanager 0.34), built from Go modules by scripts/build-engines.sh.
 * A missing one fails clearly; nothing falls back to another version on PATH.
 */
import { spawnSync } from 'node:child_process';
import { engineBin } from '../helpers/engines';

/** Absolute path of the built tool; throws naming the build command when it is missing. */
export function requireTool(name: 'amtool' | 'promtool' | 'prometheus' | 'alertmanager'): string {
  return engineBin(name);
}

export interface ToolResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool with a bounded time. */
export function runTool(bin: string, args: readonly string[], timeoutMs = 20_000): ToolResult {
  const r = spawnSync(bin, [...args], { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw new Error(`${bin} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
