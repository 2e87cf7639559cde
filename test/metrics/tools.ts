/** The Prometheus/Alertmanager command-line tools tests run; a missing one fails clearly. */
import { execFileSync, spawnSync } from 'node:child_process';

export const INSTALL_HINT = 'install them with: apt-get install -y --no-install-recommends prometheus prometheus-alertmanager';

/** Absolute path of `name` on PATH; throws with the install hint when it is missing. */
export function requireTool(name: 'amtool' | 'promtool' | 'prometheus' | 'prometheus-alertmanager'): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${name} is not on PATH; the metrics tests need it (${INSTALL_HINT})`);
  }
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
