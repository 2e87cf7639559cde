/**
 * The local cluster of scripts/local-cluster.sh (etcd, kube-apiserver, controller-manager,
 * scheduler and kwok built from Go modules), started in a temporary directory and stopped on
 * every way out: normal end, a failed test, Ctrl-C (SIGINT), SIGTERM (a CI timeout) and an
 * uncaught error. No process is left behind.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../test/helpers/paths';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'local-cluster.sh');

export class LocalCluster {
  private stopped = false;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.stop();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  private readonly onExit = (): void => this.stop();

  private constructor(
    /** The cluster's working directory (removed by {@link stop}). */
    readonly dir: string,
    readonly kubeconfig: string,
  ) {
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    process.once('exit', this.onExit);
  }

  /** Starts a cluster; throws with the script's output when it does not come up. */
  static start(): LocalCluster {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-cluster-'));
    const r = spawnSync('bash', [SCRIPT, 'up', dir], { encoding: 'utf8', timeout: 180_000 });
    if (r.status !== 0) {
      spawnSync('bash', [SCRIPT, 'down', dir], { timeout: 60_000 });
      throw new Error(`local-cluster.sh up failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
    }
    const kubeconfig = r.stdout.trim().split('\n').pop() ?? '';
    if (!fs.existsSync(kubeconfig)) throw new Error(`local-cluster.sh printed no kubeconfig: ${r.stdout}`);
    return new LocalCluster(dir, kubeconfig);
  }

  /** Process ids of the cluster's components still alive (for the "nothing left behind" check). */
  processes(): number[] {
    const r = spawnSync('pgrep', ['-f', path.join(this.dir, 'kwok', 'clusters')], { encoding: 'utf8' });
    return r.stdout.split('\n').filter(Boolean).map(Number);
  }

  /** Stops every component and removes the directory; idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    spawnSync('bash', [SCRIPT, 'down', this.dir], { timeout: 60_000 });
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
    process.removeListener('exit', this.onExit);
  }
}
