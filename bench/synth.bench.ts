/**
 * Synthesis benchmark (prints figures; asserts nothing): wall time of the compiled app,
 * process start included, for the shipped environments and for 30 generated ones.
 * Run: npm run bench
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'stacks', 'main.js');
const CONFIG = path.join(ROOT, 'config');

function runOnce(configDir: string): number {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-bench-')), 'cdktf.out');
  const t = process.hrtime.bigint();
  execFileSync(process.execPath, [MAIN], { env: { ...process.env, MLOBS_CONFIG_DIR: configDir, CDKTF_OUTDIR: out }, stdio: 'pipe' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return ms;
}

function stats(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0] as number, median: s[Math.floor(s.length / 2)] as number, max: s[s.length - 1] as number };
}

function generatedConfig(n: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-bench-cfg-'));
  const sources = ['dev.yaml', 'staging.yaml', 'prod.yaml'].map((f) => fs.readFileSync(path.join(CONFIG, f), 'utf8'));
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, `env-${String(i + 1).padStart(2, '0')}.yaml`), sources[i % sources.length] as string);
  return dir;
}

const rows: [string, number, number, { min: number; median: number; max: number }][] = [];
const shipped = fs.readdirSync(CONFIG).filter((f) => f.endsWith('.yaml')).length;
runOnce(CONFIG); // warm the file cache
rows.push(['shipped environments', shipped, 7, stats(Array.from({ length: 7 }, () => runOnce(CONFIG)))]);
const gen = generatedConfig(30);
rows.push(['generated environments', 30, 3, stats(Array.from({ length: 3 }, () => runOnce(gen)))]);
fs.rmSync(gen, { recursive: true, force: true });

const f = (ms: number) => `${(ms / 1000).toFixed(3)} s`.padStart(9);
process.stdout.write(`synthesis wall time, compiled JavaScript, process start included (node ${process.version}, ${os.cpus().length} cores)\n`);
process.stdout.write(`| ${'case'.padEnd(22)} | envs | runs |       min |    median |       max | per env (median) |\n`);
process.stdout.write(`|${'-'.repeat(24)}|------|------|-----------|-----------|-----------|------------------|\n`);
for (const [name, envs, runs, s] of rows) {
  process.stdout.write(`| ${name.padEnd(22)} | ${String(envs).padStart(4)} | ${String(runs).padStart(4)} | ${f(s.min)} | ${f(s.median)} | ${f(s.max)} | ${`${(s.median / envs).toFixed(0)} ms`.padStart(16)} |\n`);
}
