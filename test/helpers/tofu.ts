/**
 * OpenTofu (built by scripts/build-engines.sh) in a temporary working directory, offline:
 * an empty CLI configuration, no registry, checkpoint off. For configurations that need no
 * provider (outputs, locals), which is how tests ask the real engine what a string evaluates to.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { engineBin } from './engines';

export interface TofuRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function tofu(dir: string, args: readonly string[], extraEnv: Record<string, string> = {}, timeoutMs = 120_000): TofuRun {
  const cli = path.join(dir, '.empty.tfrc');
  if (!fs.existsSync(cli)) fs.writeFileSync(cli, '');
  const r = spawnSync(engineBin('tofu'), [...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: cli, TF_IN_AUTOMATION: '1', ...extraEnv },
  });
  if (r.error) throw new Error(`tofu ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * What OpenTofu makes of each string (as written in a JSON configuration): the strings become
 * outputs of a provider-less configuration, which tofu applies; returns the outputs' values.
 */
export function evaluateStrings(strings: readonly string[]): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-tofu-eval-'));
  try {
    const output: Record<string, { value: string }> = {};
    strings.forEach((s, i) => (output[`s${i}`] = { value: s }));
    fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify({ output }));
    for (const args of [['init', '-input=false', '-no-color'], ['apply', '-auto-approve', '-input=false', '-no-color']]) {
      const r = tofu(dir, args);
      if (r.status !== 0) throw new Error(`tofu ${args[0]} failed:\n${r.stdout}\n${r.stderr}`);
    }
    const r = tofu(dir, ['output', '-json']);
    if (r.status !== 0) throw new Error(`tofu output failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as Record<string, { value: string }>;
    return strings.map((_, i) => {
      const v = out[`s${i}`];
      if (!v) throw new Error(`tofu output s${i} missing`);
      return v.value;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `tofu init` on a synthesized stack with a provider mirror that holds nothing (the pinned
 * providers cannot be built here): it must read and accept the configuration and fail only at the
 * providers. The backend is skipped unless `withBackend` (s3/gcs need credentials; a local
 * backend can be initialized). Returns tofu's stderr; throws on a configuration error.
 */
export function initStopsOnlyAtProviders(stackDir: string, withBackend = false): string {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-tofu-init-'));
  try {
    const mirror = path.join(tmp, 'mirror');
    fs.mkdirSync(mirror);
    const cli = path.join(tmp, 'mirror.tfrc');
    fs.writeFileSync(cli, `provider_installation {\n  filesystem_mirror {\n    path = "${mirror}"\n  }\n}\n`);
    const r = tofu(stackDir, ['init', ...(withBackend ? [] : ['-backend=false']), '-input=false', '-no-color'], { TF_CLI_CONFIG_FILE: cli });
    if (r.status === 0) throw new Error(`tofu init succeeded without providers?\n${r.stdout}`);
    if (/Invalid expression|Unsupported argument|Invalid reference|configuration must be valid/.test(r.stderr)) {
      throw new Error(`OpenTofu refuses the configuration in ${stackDir}:\n${r.stderr}`);
    }
    if (!/Failed to query available provider packages|provider registry\.opentofu\.org\/hashicorp\/(kubernetes|helm)/.test(r.stderr)) {
      throw new Error(`tofu init failed for another reason than the providers:\n${r.stderr}`);
    }
    return r.stderr;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(path.join(stackDir, '.terraform'), { recursive: true, force: true });
  }
}
