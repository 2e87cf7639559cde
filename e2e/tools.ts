/**
 * kubectl (built with the control plane) and Helm v3.17.2 (the Helm the pinned helm provider
 * 3.0.2 embeds; scripts/ensure-helm.sh) against the local cluster, each in an isolated
 * environment: no user kubeconfig, no Helm repositories, no plugins.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { engineBin } from '../test/helpers/engines';
import { helmEnvironment, helmPath } from '../test/helpers/helm-render';

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

function run(bin: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number, input?: string): Run {
  const start = process.hrtime.bigint();
  const r = spawnSync(bin, [...args], { encoding: 'utf8', env, timeout: timeoutMs, maxBuffer: 512 * 1024 * 1024, ...(input !== undefined ? { input } : {}) });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.error) throw new Error(`${path.basename(bin)} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, seconds };
}

const helmHome = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-e2e-helm-'));
process.on('exit', () => fs.rmSync(helmHome, { recursive: true, force: true }));

export class Tools {
  constructor(readonly kubeconfig: string) {}

  /** kubectl; `input` goes to its stdin (e.g. a manifest for `apply -f -`, kept off the command line). */
  kubectl(args: readonly string[], timeoutMs = 120_000, input?: string): Run {
    return run(engineBin('kubectl'), ['--kubeconfig', this.kubeconfig, ...args], { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: helmHome }, timeoutMs, input);
  }

  /** kubectl that must succeed; returns stdout. */
  kubectlOk(args: readonly string[], timeoutMs = 120_000, input?: string): string {
    const r = this.kubectl(args, timeoutMs, input);
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed:\n${r.stderr}`);
    return r.stdout;
  }

  /** A JSON read (`kubectl get ... -o json`). */
  getJson<T>(args: readonly string[]): T {
    return JSON.parse(this.kubectlOk(['get', ...args, '-o', 'json'])) as T;
  }

  helm(args: readonly string[], timeoutMs = 900_000): Run {
    return run(helmPath(), [...args, '--kubeconfig', this.kubeconfig], helmEnvironment(helmHome), timeoutMs);
  }
}
