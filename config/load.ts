/**
 * Reads environment files (`config/<name>.yaml`) safely and validates them with the one
 * schema. All files are validated before anything is returned, and every problem in every
 * file is reported together, so a stack is never synthesized from a half-valid config.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { environmentSchema, type EnvironmentConfig } from './schema/environment';
import { ConfigError, issuesToProblems, type ConfigProblem } from './errors';

/** Environment names become Terraform stack names, directory names and Kubernetes name parts. */
export const ENVIRONMENT_NAME_PATTERN = /^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$/;
/** Environment files larger than this are refused before parsing. */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** YAML aliases allowed per file (a guard against "billion laughs" alias bombs). */
export const MAX_YAML_ALIASES = 50;

/** An environment file: `<name>.yaml` or `<name>.yml`, the extension in any case. */
const ENV_FILE = /^(.*)\.ya?ml$/i;

export function environmentNameProblem(name: string): string | undefined {
  if (ENVIRONMENT_NAME_PATTERN.test(name)) return undefined;
  return `the file name "${name}" is not a valid environment name; it becomes the Terraform stack and Kubernetes name, so use 1-24 lowercase letters, digits and "-", starting with a letter and ending with a letter or digit (e.g. "staging", "prod-eu")`;
}

/** Validates already-parsed data as environment `name` (used by tests and library users). */
export function parseEnvironment(name: string, data: unknown, file = `<${name}>`): EnvironmentConfig {
  const problems: ConfigProblem[] = [];
  const nameProblem = environmentNameProblem(name);
  if (nameProblem) problems.push({ file, path: '', message: nameProblem });
  const result = environmentSchema.safeParse(data ?? {}, { reportInput: true });
  if (!result.success) problems.push(...issuesToProblems(file, environmentSchema, data, result.error.issues));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return { name, file, settings: result.data };
}

/** Reads, parses and validates one environment file. `displayPath` is used in messages. */
export function loadEnvironmentFile(filePath: string, displayPath = filePath): EnvironmentConfig {
  const base = path.basename(filePath);
  const m = ENV_FILE.exec(base);
  const name = m?.[1] ?? base;
  const fail = (message: string, line?: number): never => {
    throw new ConfigError([{ file: displayPath, path: '', message, ...(line !== undefined ? { line } : {}) }]);
  };
  let stat: fs.Stats;
  try {
    stat = fs.statSync(filePath);
  } catch (e) {
    return fail(`cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (!stat.isFile()) return fail(`is not a regular file (${fileKind(stat)}); an environment file must be a regular YAML file`);
  if (stat.size > MAX_CONFIG_BYTES) fail(`is ${stat.size} bytes; environment files are limited to ${MAX_CONFIG_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(filePath));
  } catch {
    return fail('is not valid UTF-8 text; save it as UTF-8');
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({
      file: displayPath,
      path: '',
      message: `is not valid YAML: ${e.message.split('\n')[0]}`,
      line: lineCounter.linePos(e.pos[0]).line,
    }));
    throw new ConfigError(problems);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    return fail(`could not be read: ${e instanceof Error ? e.message : String(e)} (YAML aliases are limited to ${MAX_YAML_ALIASES})`);
  }
  if (data !== null && data !== undefined && !isMap(doc.contents)) {
    fail('must be a mapping of settings (key: value), not a list or a single value');
  }
  try {
    return parseEnvironment(name, data ?? {}, displayPath);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // Attach line numbers from the YAML source.
    const withLines = e.problems.map((p) => {
      if (!p.path) return p;
      const segs = pathSegments(p.path);
      for (let n = segs.length; n > 0; n--) {
        const node = doc.getIn(segs.slice(0, n), true) as { range?: [number, number, number] } | undefined;
        if (node && typeof node === 'object' && node.range) return { ...p, line: lineCounter.linePos(node.range[0]).line };
      }
      return p;
    });
    throw new ConfigError(withLines);
  }
}

function pathSegments(p: string): (string | number)[] {
  const segs: (string | number)[] = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
    if (m[1] !== undefined) segs.push(m[1]);
    else if (m[2] !== undefined) segs.push(Number(m[2]));
    else if (m[3] !== undefined) segs.push(JSON.parse(`"${m[3]}"`) as string);
  }
  return segs;
}

/**
 * Loads every `*.yaml` environment in `dir` (sorted by name). Throws one ConfigError with
 * the problems of all files if any is invalid, if two files name the same environment, or if
 * there is no environment at all.
 */
export function loadEnvironments(dir: string, displayDir = path.relative(process.cwd(), dir) || '.'): EnvironmentConfig[] {
  if (!fs.existsSync(dir)) throw new ConfigError([{ file: displayDir, path: '', message: 'does not exist; create it with one <environment>.yaml per environment' }]);
  // Every *.yaml / *.yml entry, whatever it is: a file is read, a symbolic link is followed, and
  // anything else (a folder, a FIFO, a dangling link) is an error naming it. Never a silent skip.
  const files = fs
    .readdirSync(dir)
    .filter((n) => ENV_FILE.test(n))
    .sort();
  const problems: ConfigProblem[] = [];
  const envs: EnvironmentConfig[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    const display = path.posix.join(displayDir.split(path.sep).join('/'), f);
    const name = (ENV_FILE.exec(f) as RegExpExecArray)[1] as string;
    const other = seen.get(name);
    if (other) {
      problems.push({ file: display, path: '', message: `defines environment "${name}" again (already defined by ${other}); keep one file per environment` });
      continue;
    }
    seen.set(name, display);
    const full = path.join(dir, f);
    if (fs.lstatSync(full).isSymbolicLink() && !fs.existsSync(full)) {
      problems.push({ file: display, path: '', message: `is a symbolic link to ${fs.readlinkSync(full)}, which does not exist` });
      continue;
    }
    try {
      envs.push(loadEnvironmentFile(full, display));
    } catch (e) {
      if (e instanceof ConfigError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (files.length === 0) problems.push({ file: displayDir, path: '', message: 'has no environment files; add one <environment>.yaml (e.g. dev.yaml)' });
  if (problems.length > 0) throw new ConfigError(problems);
  return envs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function fileKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a file';
}
