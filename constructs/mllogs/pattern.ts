/**
 * Compiles pattern templates (see `types.ts`) to grok and to RE2, expands grok with
 * Logstash pattern definitions, and lists the capture groups of a compiled regex.
 */
import { TOKENS, type TokenName } from './tokens';

const TOKEN_REF = /%\{([A-Z0-9_]+)(?::([a-z0-9_]+))?\}/g;

/** The dialect a template is compiled to. */
export type Dialect = 'grok' | 're2';

function token(name: string, template: string): (typeof TOKENS)[TokenName] {
  const def = (TOKENS as Record<string, (typeof TOKENS)[TokenName] | undefined>)[name];
  if (!def) {
    throw new Error(`unknown token %{${name}} in pattern ${JSON.stringify(template)}; known tokens: ${Object.keys(TOKENS).join(', ')}`);
  }
  return def;
}

const SINGLE_GROK_REF = /^%\{([A-Z0-9_]+)\}$/;

/**
 * Compiles a template. Captures are named `${prefix}${capture}` so the compiled configs can
 * keep each format's and extractor's captures apart before they are merged.
 */
export function compileTemplate(template: string, dialect: Dialect, prefix = ''): string {
  return template.replace(TOKEN_REF, (_m, name: string, capture: string | undefined) => {
    const def = token(name, template);
    if (dialect === 're2') {
      return capture ? `(?P<${prefix}${capture}>${def.re2})` : `(?:${def.re2})`;
    }
    const single = SINGLE_GROK_REF.exec(def.grok);
    if (single) return capture ? `%{${single[1]}:${prefix}${capture}}` : def.grok;
    return capture ? `(?<${prefix}${capture}>${def.grok})` : `(?:${def.grok})`;
  });
}

/** The capture names a template declares, in order. */
export function templateCaptures(template: string): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(TOKEN_REF)) if (m[2]) out.push(m[2]);
  return out;
}

/** Parses Logstash pattern definition files (`NAME regex` per line, `#` comments). */
export function parseGrokDefinitions(text: string): Map<string, string> {
  const defs = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    defs.set(line.slice(0, sp), line.slice(sp + 1).trim());
  }
  return defs;
}

const GROK_REF = /%\{(\w+)(?::([\w@\[\]]+))?(?::\w+)?\}/g;

/**
 * Expands `%{NAME}` / `%{NAME:field}` recursively into one Oniguruma regex, the way Logstash's
 * grok does (`%{NAME:field}` becomes the named group `field`).
 */
export function expandGrok(pattern: string, defs: ReadonlyMap<string, string>, depth = 0): string {
  if (depth > 32) throw new Error(`grok pattern nests too deeply (cycle?): ${pattern.slice(0, 80)}`);
  return pattern.replace(GROK_REF, (_m, name: string, field: string | undefined) => {
    const def = defs.get(name);
    if (def === undefined) throw new Error(`grok pattern %{${name}} is not defined in the loaded pattern files`);
    const body = expandGrok(def, defs, depth + 1);
    return field ? `(?<${field}>${body})` : `(?:${body})`;
  });
}

/**
 * Lists capture groups of a regex in number order: the name for a named group, undefined for
 * an unnamed one. Handles `(?P<n>`, `(?<n>`, look-around, atomic and flag groups, escapes
 * and character classes (with nested POSIX brackets).
 */
export function captureGroups(source: string): (string | undefined)[] {
  const groups: (string | undefined)[] = [];
  let classDepth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (classDepth > 0) {
      if (c === '[') classDepth++;
      else if (c === ']') classDepth--;
      continue;
    }
    if (c === '[') {
      classDepth = 1;
      if (source[i + 1] === '^') i++;
      if (source[i + 1] === ']') i++;
      continue;
    }
    if (c !== '(') continue;
    if (source[i + 1] !== '?') {
      groups.push(undefined);
      continue;
    }
    const named = /^\(\?P?<([A-Za-z_]\w*)>/.exec(source.slice(i, i + 80));
    if (named) groups.push(named[1]);
  }
  return groups;
}

/** Escapes text for a regex literal (safe in both RE2 and Oniguruma). */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|\-\/#&~ ]/g, (ch) => (ch === ' ' ? ' ' : `\\${ch}`));
}
