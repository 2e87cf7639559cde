/**
 * The two regex families the generated configs run on, loaded lazily: Oniguruma
 * (`vscode-oniguruma`; Logstash's grok runs Joni, its Java port) for grok, and RE2 (`re2`, the
 * family of Go's regexp used by Alloy/Promtail/Filebeat). Both get exactly the text the
 * compilers emit.
 */
import * as fs from 'node:fs';
import { captureGroups, compileTemplate, expandGrok, parseGrokDefinitions } from './pattern';

/** One successful match: group texts by number (0 = whole match), undefined when a group did not take part. */
export interface RegexMatch {
  readonly groups: readonly (string | undefined)[];
}

/** A compiled pattern. */
export interface CompiledRegex {
  /** The exact source handed to the engine. */
  readonly source: string;
  /** Capture group names in number order (index 0 is group 1). */
  readonly names: readonly (string | undefined)[];
  /** Leftmost match in `input`, or null. */
  exec(input: PreparedInput): RegexMatch | null;
}

/** A line prepared once for all patterns of an engine (Oniguruma keeps a native copy). */
export interface PreparedInput {
  readonly text: string;
  dispose(): void;
}

export type EngineName = 'grok' | 're2' | 'js';

export interface RegexEngine {
  readonly name: EngineName;
  /** Compiles a catalog template in this engine's config dialect (grok or RE2). */
  compileTemplate(template: string, capturePrefix: string): CompiledRegex;
  /** Compiles plain regex text (the RE2/Oniguruma common subset used by rules and rewrites). */
  compilePlain(source: string): CompiledRegex;
  prepare(text: string): PreparedInput;
}

/** Thrown when an optional engine package is not installed. */
export class EngineUnavailableError extends Error {}

// ---------------------------------------------------------------- RE2

interface Re2Like {
  exec(s: string): (RegExpExecArray & unknown) | null;
  test(s: string): boolean;
}
type Re2Ctor = new (pattern: string, flags?: string) => Re2Like;

function loadRe2(): Re2Ctor {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('re2') as Re2Ctor;
  } catch (err) {
    throw new EngineUnavailableError(
      `the re2 engine needs the npm package "re2" (native RE2 bindings), which could not be loaded: ${(err as Error).message.split('\n')[0]}. ` +
        'Install it with: npm install --save-dev re2@1.24.1',
    );
  }
}

class PlainInput implements PreparedInput {
  constructor(readonly text: string) {}
  dispose(): void {}
}

export function createRe2Engine(): RegexEngine {
  const RE2 = loadRe2();
  const compile = (source: string): CompiledRegex => {
    let re: Re2Like;
    try {
      re = new RE2(source, 'u');
    } catch (err) {
      throw new Error(`RE2 rejected pattern ${JSON.stringify(source)}: ${(err as Error).message}`);
    }
    return {
      source,
      names: captureGroups(source),
      exec(input) {
        // test() runs RE2's DFA only; most lines do not match most patterns
        if (!re.test(input.text)) return null;
        const m = re.exec(input.text);
        return m ? { groups: Array.from(m, (g) => (g === undefined || g === null ? undefined : String(g))) } : null;
      },
    };
  };
  return {
    name: 're2',
    compileTemplate: (t, prefix) => compile(compileTemplate(t, 're2', prefix)),
    compilePlain: compile,
    prepare: (text) => new PlainInput(text),
  };
}

// ---------------------------------------------------------------- JavaScript RegExp

/**
 * The RE2 dialect as JavaScript's RegExp reads it: `(?P<name>` becomes `(?<name>`, and a pattern
 * that is case-insensitive as a whole (`^(?i:...)$`) gets the `i` flag. Any other inline flag is
 * refused by name (Node 20's RegExp has no inline modifiers), so a catalog change that needs one
 * fails its tests instead of matching differently.
 */
export function toJsRegExp(source: string): RegExp {
  let body = source.replace(/\(\?P</g, '(?<');
  let flags = 'u';
  const whole = /^\^\(\?i:(.*)\)\$$/s.exec(body);
  if (whole && balanced(whole[1] as string)) {
    body = `^(?:${whole[1] as string})$`;
    flags += 'i';
  }
  if (/\(\?[imsU-]+[:)]/.test(body.replace(/\\./g, ''))) {
    throw new Error(`the js engine cannot run inline flags in ${JSON.stringify(source)}; use the re2 or grok engine`);
  }
  return new RegExp(body, flags);
}

/** Whether every parenthesis of `s` (outside escapes and classes) is closed within it. */
function balanced(s: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/**
 * The catalog on JavaScript's own RegExp: no native addon and no file outside the package, so
 * `mlobs logs` works wherever mlobs is installed. The patterns are written in the subset RE2,
 * Oniguruma and JavaScript share; tests hold its fields equal to RE2's on the whole corpus.
 */
export function createJsEngine(): RegexEngine {
  const compile = (source: string): CompiledRegex => {
    let re: RegExp;
    try {
      re = toJsRegExp(source);
    } catch (err) {
      throw new Error(`JavaScript RegExp rejected pattern ${JSON.stringify(source)}: ${(err as Error).message}`);
    }
    return {
      source,
      names: captureGroups(source),
      exec(input) {
        const m = re.exec(input.text);
        return m ? { groups: Array.from(m, (g) => (g === undefined ? undefined : String(g))) } : null;
      },
    };
  };
  return {
    name: 'js',
    compileTemplate: (t, prefix) => compile(compileTemplate(t, 're2', prefix)),
    compilePlain: compile,
    prepare: (text) => new PlainInput(text),
  };
}

// ---------------------------------------------------------------- Oniguruma (grok)

export interface OnigCapture {
  readonly start: number;
  readonly end: number;
}
export interface OnigMatchLike {
  readonly captureIndices: readonly OnigCapture[];
}
export interface OnigStringLike {
  readonly content: string;
  dispose(): void;
}
export interface OnigModule {
  loadWASM(data: ArrayBuffer): Promise<void>;
  OnigScanner: new (patterns: string[]) => { findNextMatchSync(s: OnigStringLike | string, start: number): OnigMatchLike | null };
  OnigString: new (s: string) => OnigStringLike;
}

let onigReady: Promise<OnigModule> | undefined;

/** Oniguruma (WebAssembly), loaded once per process. */
export function loadOnig(): Promise<OnigModule> {
  if (!onigReady) {
    onigReady = (async () => {
      let mod: OnigModule;
      let wasmPath: string;
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        mod = require('vscode-oniguruma') as OnigModule;
        wasmPath = require.resolve('vscode-oniguruma/release/onig.wasm');
      } catch (err) {
        throw new EngineUnavailableError(
          `the grok engine needs the npm package "vscode-oniguruma" (Oniguruma as WebAssembly), which could not be loaded: ${(err as Error).message.split('\n')[0]}. ` +
            'Install it with: npm install --save-dev vscode-oniguruma@2.0.1',
        );
      }
      const bytes = fs.readFileSync(wasmPath);
      await mod.loadWASM(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      return mod;
    })();
  }
  return onigReady;
}

class OnigInput implements PreparedInput {
  constructor(
    readonly text: string,
    readonly native: OnigStringLike,
  ) {}
  dispose(): void {
    this.native.dispose();
  }
}

/**
 * Loads Logstash grok pattern definitions from a directory (every file, like `patterns_dir`).
 * The definitions are reference data (`../shared/grok-patterns/legacy`), read at run time.
 */
export function loadGrokDefinitions(dir: string): Map<string, string> {
  const defs = new Map<string, string>();
  if (!fs.existsSync(dir)) {
    throw new Error(`grok pattern directory not found: ${dir} (point it at logstash-patterns-core's patterns/legacy, e.g. ../shared/grok-patterns/legacy)`);
  }
  for (const file of fs.readdirSync(dir).sort()) {
    for (const [k, v] of parseGrokDefinitions(fs.readFileSync(`${dir}/${file}`, 'utf8'))) defs.set(k, v);
  }
  return defs;
}

export async function createGrokEngine(grokDefinitions: ReadonlyMap<string, string>): Promise<RegexEngine> {
  const onig = await loadOnig();
  const compile = (source: string): CompiledRegex => {
    const scanner = new onig.OnigScanner([source]);
    return {
      source,
      names: captureGroups(source),
      exec(input) {
        const native = input instanceof OnigInput ? input.native : new onig.OnigString(input.text);
        try {
          const m = scanner.findNextMatchSync(native, 0);
          if (!m) return null;
          const text = input.text;
          return {
            groups: m.captureIndices.map((c) => (c.start === 4294967295 || c.start < 0 ? undefined : text.slice(c.start, c.end))),
          };
        } finally {
          if (!(input instanceof OnigInput)) native.dispose();
        }
      },
    };
  };
  return {
    name: 'grok',
    compileTemplate: (t, prefix) => compile(expandGrok(compileTemplate(t, 'grok', prefix), grokDefinitions)),
    compilePlain: compile,
    prepare: (text) => new OnigInput(text, new onig.OnigString(text)),
  };
}

/** Creates an engine by name (`grokPatternsDir` is read by the grok engine only). */
export async function createEngine(name: EngineName, grokPatternsDir: string): Promise<RegexEngine> {
  if (name === 'js') return createJsEngine();
  return name === 're2' ? createRe2Engine() : createGrokEngine(loadGrokDefinitions(grokPatternsDir));
}
