/**
 * Redaction: secrets with a recognisable shape are replaced in every log line by a marker that
 * keeps their kind (`<redacted:hf-token>`) before anything is stored, by both pipelines from this
 * one rule list (Alloy/Promtail `replace` stages, the Logstash filter's `gsub`). Patterns are in the
 * RE2/Oniguruma/JavaScript common subset: no lookaround, no backreferences, no inline flags. Each
 * rule is `prefix (secret) suffix`: only the secret is replaced, the context stays readable. Each
 * rule names literals, one of which every line it matches holds (the collectors' cheap gate).
 *
 * What cannot be redacted: a secret without a shape (a free-text password in a sentence, a key
 * printed without its name). README says so. Pure data and checks: no cdktf.
 */

export interface RedactionRule {
  /** The marker's kind: `<redacted:<kind>>`. */
  readonly kind: string;
  /** Context before the secret (kept). No capture groups. */
  readonly prefix?: string;
  /** The secret (replaced). No capture groups. */
  readonly secret: string;
  /** Context after the secret (kept). No capture groups. */
  readonly suffix?: string;
  /** Literals one of which every matching line contains (the gate before the regex). @default - no gate: every line */
  readonly literals?: readonly string[];
}

/** A redaction pattern an environment adds (`logs.redaction.patterns`): the whole match is the secret. */
export interface RedactionPattern {
  /** The marker's kind (`<redacted:<kind>>`): lowercase letters, digits and dashes. */
  readonly kind: string;
  /** The secret's shape, in the RE2/Oniguruma/JavaScript common subset, without capture groups. */
  readonly pattern: string;
  /** Literals one of which every line the pattern matches holds (a cheap gate). @default - none: the regex runs on every line */
  readonly literals?: readonly string[];
}

/** Characters that end a secret value in `key=value` prints, URLs, JSON and headers. */
const VALUE = `[^\\s"'&,;<>]`;

/** The built-in rules, in the order they run (specific shapes first, `name=value` pairs last). */
export const REDACTION_RULES: readonly RedactionRule[] = [
  { kind: 'hf-token', prefix: '\\b', secret: 'hf_[A-Za-z0-9]{30,}', literals: ['hf_'] },
  { kind: 'aws-access-key', prefix: '\\b', secret: '(?:AKIA|ASIA)[0-9A-Z]{16}', suffix: '\\b', literals: ['AKIA', 'ASIA'] },
  {
    kind: 'aws-secret-key',
    prefix: `(?:aws_secret_access_key|AWS_SECRET_ACCESS_KEY|SecretAccessKey|secretAccessKey)["']?\\s{0,8}[:=]\\s{0,8}["']?`,
    secret: '[A-Za-z0-9/+]{40}',
    literals: ['ecret_access_key', 'ECRET_ACCESS_KEY', 'ecretAccessKey'],
  },
  { kind: 'github-token', prefix: '\\b', secret: '(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})', literals: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'] },
  { kind: 'slack-token', prefix: '\\b', secret: 'xox[abprs]-[A-Za-z0-9-]{10,}', literals: ['xox'] },
  { kind: 'openai-key', prefix: '\\b', secret: 'sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}', literals: ['sk-'] },
  { kind: 'jwt', prefix: '\\b', secret: 'eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}', literals: ['eyJ'] },
  {
    kind: 'authorization',
    prefix: `[Aa]uthorization["']?\\s{0,8}[:=]\\s{0,8}["']?(?:(?:[Bb]asic|[Tt]oken|[Bb]earer)\\s{1,8})?`,
    secret: `${VALUE}{6,}`,
    literals: ['uthorization'],
  },
  { kind: 'bearer', prefix: '\\b[Bb]earer\\s{1,8}', secret: '[A-Za-z0-9._~+/=-]{12,}', literals: ['earer'] },
  { kind: 'url-password', prefix: '\\b[a-zA-Z][a-zA-Z0-9+.-]{0,15}://[^/\\s:@]{1,128}:', secret: '[^/\\s@]{1,256}', suffix: '@', literals: ['://'] },
  {
    kind: 'url-signature',
    prefix: '[?&](?:X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential|X-Goog-Signature|X-Goog-Credential|Signature|sig)=',
    secret: '[A-Za-z0-9%/+=_.-]{16,}',
    literals: ['ignature=', 'Security-Token', 'Credential=', 'sig='],
  },
  {
    // `name=value` pairs: password/secret/api key names anywhere in a word (db_password,
    // WANDB_API_KEY, client_secret); token names only where they name a credential (an
    // upper-case *_TOKEN variable, access/auth/api/refresh/id token), not a tokenizer's pad_token.
    kind: 'password',
    prefix:
      '(?:[Pp]ass(?:word|wd)|PASS(?:WORD|WD)|[Ss]ecret|SECRET|[Aa]pi_?[Kk]ey|API_?KEY|\\b(?:(?:[Aa]ccess_|[Aa]uth_|[Aa]pi_|[Rr]efresh_|[Ii]d_)?[Tt]oken|[A-Z0-9_]{0,32}TOKEN))' +
      `["']?\\s{0,8}[:=]\\s{0,8}["']?`,
    secret: `${VALUE}{4,}`,
    // password/passwd, secret, the api key spellings, token (proven necessary by test/loki/go-stages.test.ts)
    literals: ['assw', 'ASSW', 'ecret', 'ECRET', 'pi_key', 'pi_Key', 'pikey', 'piKey', 'PI_KEY', 'PIKEY', 'oken', 'OKEN'],
  },
];

/** The marker that replaces a secret of a kind. */
export const redactionMarker = (kind: string): string => `<redacted:${kind}>`;

/** The rule as one regex with the secret as its only capture group (Alloy/Promtail `replace`). */
export function replaceExpression(r: RedactionRule): string {
  return `${r.prefix ? `(?:${r.prefix})` : ''}(${r.secret})${r.suffix ? `(?:${r.suffix})` : ''}`;
}

/** The rule as a regex whose groups 1 and 2 are the kept context (Logstash `gsub` with `\1marker\2`). */
export function gsubExpression(r: RedactionRule): string {
  return `(${r.prefix ?? ''})${r.secret}(${r.suffix ?? ''})`;
}

/** The rule an environment's pattern becomes. */
export function patternRule(p: RedactionPattern): RedactionRule {
  return { kind: p.kind, secret: p.pattern, ...(p.literals && p.literals.length > 0 ? { literals: p.literals } : {}) };
}

/** Every rule a pipeline runs: the built-in ones, then the environment's patterns (checked). */
export function redactionRules(patterns: readonly RedactionPattern[] = [], where = 'redaction patterns'): RedactionRule[] {
  const problems = redactionPatternsProblems(patterns);
  if (problems.length > 0) throw new Error(`${where}: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
  return [...REDACTION_RULES, ...patterns.map(patternRule)];
}

// ---------------------------------------------------------------- checks of an environment's patterns

/** At most this many patterns per environment (each is one more regex on every gated line). */
export const MAX_REDACTION_PATTERNS = 32;
/** A pattern's longest source. */
export const MAX_REDACTION_PATTERN_LENGTH = 512;
/** The largest repetition bound (RE2 refuses more than 1000). */
export const MAX_REPEAT = 1000;
const KIND = /^[a-z][a-z0-9-]{1,31}$/;

export interface RedactionProblem {
  /** Path below the patterns list: `[index, field]`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** What is wrong with an environment's patterns (empty when nothing is). */
export function redactionPatternsProblems(patterns: readonly RedactionPattern[]): RedactionProblem[] {
  const out: RedactionProblem[] = [];
  if (patterns.length > MAX_REDACTION_PATTERNS) out.push({ path: [], message: `at most ${MAX_REDACTION_PATTERNS} patterns (${patterns.length} given)` });
  const builtIn = new Set(REDACTION_RULES.map((r) => r.kind));
  const seen = new Set<string>();
  patterns.forEach((p, i) => {
    if (!KIND.test(p.kind)) out.push({ path: [i, 'kind'], message: `"${p.kind}" must match ${KIND.source} (lowercase letters, digits, dashes)` });
    else if (builtIn.has(p.kind)) out.push({ path: [i, 'kind'], message: `"${p.kind}" is a built-in kind; built-in kinds: ${[...builtIn].join(', ')}` });
    else if (seen.has(p.kind)) out.push({ path: [i, 'kind'], message: `"${p.kind}" is listed twice` });
    seen.add(p.kind);
    for (const l of p.literals ?? []) {
      if (l.length === 0 || /[\n\r]/.test(l)) out.push({ path: [i, 'literals'], message: `a literal must be non-empty, on one line (${JSON.stringify(l)})` });
    }
    const problem = patternProblem(p.pattern);
    if (problem) out.push({ path: [i, 'pattern'], message: `${JSON.stringify(p.pattern)}: ${problem}` });
  });
  return out;
}

/**
 * Why a pattern cannot be a redaction pattern, or undefined: it must be in the subset the three
 * engines read alike (RE2 in Alloy/Promtail, Oniguruma/Joni in Logstash, JavaScript in `mlobs
 * logs`), must not match the empty string, and must be ReDoS-safe for a backtracking engine
 * (Logstash): no quantified group that holds a quantifier or an alternation (the shapes of
 * exponential backtracking), no repetition bound over {@link MAX_REPEAT}, and a measured bound
 * on adversarial lines built from the pattern's own characters.
 */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return 'is empty';
  if (pattern.length > MAX_REDACTION_PATTERN_LENGTH) return `longer than ${MAX_REDACTION_PATTERN_LENGTH} characters`;
  const syntax = subsetProblem(pattern);
  if (syntax) return syntax;
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'u');
  } catch (err) {
    return `does not compile: ${(err as Error).message}`;
  }
  if (re.exec('') !== null || new RegExp(`^(?:${pattern})$`, 'u').test('')) return 'matches the empty string (it would insert markers everywhere)';
  return backtrackingProblem(re, pattern);
}

interface Frame {
  /** A quantifier or alternation appeared inside the group. */
  inner: boolean;
}

/**
 * A one-pass scan of the pattern's syntax: refuses what one of the three engines reads differently
 * or not at all, capture groups (the secret is the whole match), and nested repetition.
 */
function subsetProblem(p: string): string | undefined {
  const stack: Frame[] = [{ inner: false }];
  /** Whether the last atom was a group whose body held a quantifier or alternation. */
  let lastGroupInner = false;
  let atom = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    const top = stack[stack.length - 1]!;
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) return 'ends with a lone backslash';
      if (/[1-9]/.test(n)) return `backreference \\${n} is not supported by RE2`;
      if (/[pPQEAzZGhHkKgRXNV]/.test(n)) return `escape \\${n} is not read alike by RE2, Oniguruma and JavaScript`;
      if (n === 'x') {
        if (!/^[0-9A-Fa-f]{2}$/.test(p.slice(i + 2, i + 4))) return 'write \\x as two hex digits (\\xHH)';
        i += 3;
      } else i++;
      atom = true;
      lastGroupInner = false;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (p[j] === '^') j++;
      if (p[j] === ']') j++;
      for (; j < p.length && p[j] !== ']'; j++) {
        if (p[j] === '\\') j++;
        else if (p[j] === '[') return 'a "[" inside a character class is read differently by the engines (escape it as \\[)';
      }
      if (j >= p.length) return 'has an unclosed character class';
      i = j;
      atom = true;
      lastGroupInner = false;
      continue;
    }
    if (c === '(') {
      if (p[i + 1] !== '?') return 'has a capture group; use (?:...) (the whole match is the secret)';
      if (p[i + 2] !== ':') return `group "(?${p[i + 2] ?? ''}" is not in the common subset (lookaround, named groups, atomic groups and inline flags are refused); use (?:...)`;
      stack.push({ inner: false });
      i += 2;
      atom = false;
      continue;
    }
    if (c === ')') {
      if (stack.length === 1) return 'has an unbalanced ")"';
      const done = stack.pop()!;
      lastGroupInner = done.inner;
      if (done.inner) stack[stack.length - 1]!.inner = true;
      atom = true;
      continue;
    }
    if (c === '|') {
      top.inner = true;
      atom = false;
      lastGroupInner = false;
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') {
      let max = c === '?' ? 1 : Infinity;
      let end = i;
      if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
        if (!m) return `"{" at ${i} is not a repetition {n}, {n,} or {n,m} (escape a literal brace as \\{)`;
        const lo = Number(m[1]);
        const hi = m[2] === undefined ? lo : m[3] === '' ? Infinity : Number(m[3]);
        if (lo > MAX_REPEAT || (hi !== Infinity && hi > MAX_REPEAT)) return `repetition ${m[0]} is over ${MAX_REPEAT} (RE2's limit)`;
        if (hi < lo) return `repetition ${m[0]} has its bounds reversed`;
        max = hi;
        end = i + m[0].length - 1;
      }
      if (!atom) return `quantifier "${c}" at ${i} has nothing to repeat`;
      const next = p[end + 1];
      if (next === '+') return `possessive quantifier at ${i} is not supported by RE2 or JavaScript`;
      if (max > 1 && lastGroupInner) return `a repeated group holds a quantifier or an alternation at ${i} (nested repetition can backtrack exponentially in Logstash's engine); repeat a character class instead`;
      top.inner = true;
      if (next === '?') end++;
      i = end;
      atom = false;
      lastGroupInner = false;
      continue;
    }
    atom = c !== '^' && c !== '$';
    lastGroupInner = false;
  }
  if (stack.length > 1) return 'has an unclosed group';
  return undefined;
}

/** The longest adversarial line of the measured bound. */
const PROBE_LENGTH = 16 * 1024;
/** A probe line may take this long (ms) on a backtracking engine; linear patterns stay under 1 ms. */
const PROBE_BUDGET_MS = 40;

/**
 * Measures the pattern on JavaScript's backtracking engine (the family of Logstash's Joni) over
 * lines built from its own characters, doubling from 16 characters to 16 KiB and stopping at the
 * first length over the budget (so a polynomial pattern is caught at a short length, before it
 * could take seconds): `\w+\w+x` backtracks quadratically and takes hundreds of milliseconds
 * at 16 KiB, a linear pattern well under one. A slow probe is run again (best of three) so that
 * a busy machine is not taken for backtracking.
 */
function backtrackingProblem(re: RegExp, pattern: string): string | undefined {
  const chars = [...new Set(pattern.replace(/\\[dDwWsSbB]/g, '').replace(/[\\^$()[\]{}|*+?]/g, '').split(''))].join('');
  const units = ['a', '0', ' ', '-', '_', '.', ':', '/', '=', chars || 'a', `${chars} `];
  const global = new RegExp(re.source, 'gu');
  for (const u of units) {
    for (let n = 16; n <= PROBE_LENGTH; n *= 2) {
      const line = u.repeat(Math.ceil(n / u.length)).slice(0, n);
      let best = Infinity;
      for (let run = 0; run < 3 && best > PROBE_BUDGET_MS; run++) {
        const t0 = process.hrtime.bigint();
        line.replace(global, 'x');
        best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
      }
      if (best > PROBE_BUDGET_MS) {
        return `backtracks on a ${n}-character line of ${JSON.stringify(u.slice(0, 16))} (${best.toFixed(0)} ms, budget ${PROBE_BUDGET_MS} ms): bound the repetitions or separate repeated classes that overlap`;
      }
    }
  }
  return undefined;
}
