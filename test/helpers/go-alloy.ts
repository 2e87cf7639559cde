/**
 * The Go executor of generated Alloy stages (tools/alloy-stages): built on first use with the Go
 * toolchain the engines use (cached by GOCACHE; rebuilt when its source or the Go version
 * changes), fed the stage tree of {@link alloyStageData} as JSON.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StageData } from './alloy-executor';
import { REPO_ROOT } from './paths';

const SOURCE = path.join(REPO_ROOT, 'tools', 'alloy-stages');
const BIN_DIR = path.join(REPO_ROOT, '.tools', 'bin');

const GO_ENV = { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly -buildvcs=false' };

/** Path of the built executor; builds it when missing or stale. */
export function alloyStagesBin(): string {
  let goVersion: string;
  try {
    goVersion = execFileSync('go', ['version'], { encoding: 'utf8', env: GO_ENV });
  } catch {
    throw new Error('go is not on PATH: tools/alloy-stages is built with the Go toolchain the engines need (README, "The machine")');
  }
  const hash = createHash('sha256').update(goVersion);
  for (const f of fs.readdirSync(SOURCE).filter((n) => n === 'go.mod' || n === 'go.sum' || n.endsWith('.go')).sort()) hash.update(f).update(fs.readFileSync(path.join(SOURCE, f)));
  const bin = path.join(BIN_DIR, `alloy-stages-${hash.digest('hex').slice(0, 12)}`);
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(BIN_DIR, { recursive: true });
  // built beside and renamed: test files running at once never see half a binary
  const tmp = `${bin}.${process.pid}.tmp`;
  execFileSync('go', ['build', '-trimpath', '-o', tmp, '.'], { cwd: SOURCE, env: GO_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  fs.renameSync(tmp, bin);
  // builds of earlier sources are not needed again
  for (const old of fs.readdirSync(BIN_DIR)) if (/^alloy-stages-[0-9a-f]{12}$/.test(old) && path.join(BIN_DIR, old) !== bin) fs.rmSync(path.join(BIN_DIR, old), { force: true });
  return bin;
}

/** What one line did in the Go executor. */
export interface GoLineRun {
  readonly extracted: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly line: string;
  readonly structuredMetadata: Readonly<Record<string, string>>;
  readonly dropped: string | null;
  readonly regexRuns: readonly string[] | null;
  /** What each stage.metrics did for the line (full mode): metric, inc/set/add/observe, value, the entry's labels. */
  readonly samples: readonly { readonly name: string; readonly op: string; readonly value: number; readonly labels: Readonly<Record<string, string>> }[] | null;
  /** Templates that failed to execute (full mode; Alloy leaves the key as it was). */
  readonly templateErrors: number;
}

/** Per-line figures of the Go executor on a set of lines. */
export interface GoBench {
  /** Microseconds per line of the stage work (best of three timed passes). */
  readonly usPerLine: number;
  readonly regexRuns: number;
  /** Of `regexRuns`, those on an extracted value (a stage with `source`: the control labels' marks), not on the line. */
  readonly regexOnValueRuns: number;
  readonly replaceRuns: number;
  /** `|~` / `!~` line filters evaluated, and `|=` / `!=` ones. */
  readonly gateRegexRuns: number;
  readonly gateContains: number;
  /** Stages an entry entered (each one a goroutine hand-off in Alloy's runtime). */
  readonly stagesEntered: number;
  /** One measured goroutine hand-off through an unbuffered channel, nanoseconds. */
  readonly handOffNs: number;
  /** Microseconds per line inside stage.regex (one pass timing each call); the rest of `usPerLine` is gates, labels, replace and the entry's maps. */
  readonly regexUs: number;
  /**
   * Microseconds per line the same stage.regex runs would cost at the least with a pattern led by
   * a character class (Go's backtracker entered at every position up to the match), and with one
   * led by a literal (Go's regexp jumps to the literal's occurrences).
   */
  readonly regexFloorUs: number;
  /** Bytes per line the stage.regex runs had to scan: each input up to and including its match's first byte, or whole. */
  readonly scannedBytes: number;
  readonly literalFloorUs: number;
}

function call<T>(input: object): T {
  const out = execFileSync(alloyStagesBin(), [], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 28 });
  return JSON.parse(out) as T;
}

/**
 * Runs every line through the stages (each line a fresh entry with `labels`). `full`: every
 * template (text/template with sprig and Alloy's functions, as Alloy runs them) and every json
 * stage (JMESPath); otherwise the subset the TypeScript executor runs (literal templates,
 * top-level JSON keys), for comparing the two.
 */
export function runGoAlloy(stages: readonly StageData[], lines: readonly string[], labels: Readonly<Record<string, string>> = {}, full = false): GoLineRun[] {
  return call<GoLineRun[]>({ mode: 'run', stages, lines, labels, full });
}

/**
 * {@link runGoAlloy} on lines given as bytes, which may be no UTF-8 (a log file's line can hold
 * any byte; Alloy's stages get it as a Go string unchanged). Texts in the result that are not
 * UTF-8 come back with U+FFFD for each bad byte (Go's JSON encoder).
 */
export function runGoAlloyBytes(stages: readonly StageData[], lines: readonly Buffer[], labels: Readonly<Record<string, string>> = {}, full = false): GoLineRun[] {
  return call<GoLineRun[]>({ mode: 'run', stages, lines: lines.map((l) => l.toString('base64')), linesBase64: true, labels, full });
}

/** Times the stages on the lines for about `seconds` (`full` as in {@link runGoAlloy}). */
export function benchGoAlloy(stages: readonly StageData[], lines: readonly string[], labels: Readonly<Record<string, string>> = {}, seconds = 2, full = false): GoBench {
  return call<GoBench>({ mode: 'bench', stages, lines, labels, seconds, full });
}

/**
 * Instructions the Go executor spends per line on the stages (`full` as in {@link runGoAlloy}),
 * counted by valgrind's callgrind: the lines twice, minus a run without lines (reading the input
 * and compiling the stages), divided by the lines run. Garbage collection is off (GOGC=off) and Go
 * runs on one thread, so the count repeats to a few parts in ten thousand whatever else the
 * machine does; wall-clock figures here vary by 15 %. Undefined when valgrind is not on PATH.
 */
export function instructionsGoAlloy(stages: readonly StageData[], lines: readonly string[], labels: Readonly<Record<string, string>> = {}, full = false): number | undefined {
  if (spawnSync('valgrind', ['--version'], { encoding: 'utf8' }).status !== 0) return undefined;
  const bin = alloyStagesBin();
  const count = (input: readonly string[]): number => {
    const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', bin], {
      input: JSON.stringify({ mode: 'work', stages, lines: input, labels, full }),
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      env: { ...process.env, GOGC: 'off', GOMAXPROCS: '1', GODEBUG: 'asyncpreemptoff=1' },
    });
    const m = /Collected : ([\d,]+)/.exec(r.stderr ?? '');
    if (r.status !== 0 || !m) throw new Error(`valgrind on ${bin}: ${r.stderr?.slice(-500)}`);
    return Number(m[1]!.replace(/,/g, ''));
  };
  return (count([...lines, ...lines]) - count([])) / (2 * lines.length);
}

/** Whether each prefilter is a necessary condition of its regexp (for every text), and the analysis' best set. */
export interface NecessaryLiterals {
  readonly implied: readonly boolean[];
  readonly best: readonly string[] | null;
}

/**
 * The necessary-literal analysis of tools/alloy-stages (necessary.go) on Go regexps: for each
 * regexp, whether each of its prefilters (sets of literals, one of which a line must hold) is
 * implied by the regexp's syntax, so the gate can never skip a line the regexp would match.
 */
export function necessaryLiterals(regexes: readonly string[], prefilters: readonly (readonly (readonly string[])[])[]): NecessaryLiterals[] {
  return call<NecessaryLiterals[]>({ mode: 'necessary', regexes, prefilters });
}
