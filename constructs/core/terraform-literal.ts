/**
 * Terraform reads every string in a JSON configuration as a template: `${...}` interpolates
 * and `%{...}` is a directive, at plan time. Text mlobs renders (Alloy and Promtail configs,
 * Go templates in Helm values, alert annotations, user-supplied names) must reach the cluster
 * as written, so every literal string placed into a Terraform resource or provider goes
 * through {@link tfLiteral}: `${` becomes `$${` and `%{` becomes `%%{`, which Terraform and
 * OpenTofu read back as the original text. cdktf tokens (references, lazy values) inside a
 * string are left as they are. Pure: no cdktf import.
 */

/** How cdktf encodes an unresolved token inside a string (resolved at synthesis). */
const CDKTF_TOKEN = /\$\{TfToken\[[^\]]+\]\}/g;

/** Escapes one literal text (no tokens) for a Terraform template. */
export function escapeTemplateText(text: string): string {
  // Function replacers: in a replacement string `$$` would itself mean one `$`.
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

function escapeString(s: string): string {
  if (!s.includes('{')) return s;
  let out = '';
  let last = 0;
  for (const m of s.matchAll(CDKTF_TOKEN)) {
    out += escapeTemplateText(s.slice(last, m.index)) + m[0];
    last = (m.index ?? 0) + m[0].length;
  }
  return out + escapeTemplateText(s.slice(last));
}

function isPlainData(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return Array.isArray(v) || proto === Object.prototype || proto === null;
}

/**
 * `value` with every string in it (deeply, through plain objects and arrays; keys included)
 * escaped for Terraform's template syntax. Other objects (constructs, resources given to
 * `dependsOn`) are returned as they are.
 */
export function tfLiteral<T>(value: T): T {
  if (typeof value === 'string') return escapeString(value) as T;
  if (value === null || typeof value !== 'object' || !isPlainData(value)) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => tfLiteral(v)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[escapeString(k)] = tfLiteral(v);
  return out as T;
}

/**
 * Where a string of a synthesized configuration has a `${` or `%{` that Terraform would
 * evaluate, the offending index; -1 when the string is literal text (escapes included).
 */
export function firstTemplateSequence(s: string): number {
  for (let i = 0; i < s.length - 1; i++) {
    const c = s[i];
    if ((c === '$' || c === '%') && s[i + 1] === c && s[i + 2] === '{') {
      i += 2; // `$${` / `%%{`: an escaped sequence, literal text
      continue;
    }
    if ((c === '$' || c === '%') && s[i + 1] === '{') return i;
  }
  return -1;
}

/**
 * The text Terraform produces from a literal template string (the inverse of
 * {@link tfLiteral}): `$${` → `${`, `%%{` → `%{`. Throws where the string holds a sequence
 * Terraform would evaluate. Used to show and compare values as the cluster receives them.
 */
export function templateText(s: string): string {
  const at = firstTemplateSequence(s);
  if (at >= 0) throw new Error(`not a literal Terraform string: "${s.slice(at, at + 20)}" at ${at} would be evaluated`);
  return unescapeTemplateText(s);
}

/** {@link templateText} without the check: escapes undone, anything else left as it is. */
export function unescapeTemplateText(s: string): string {
  return s.replace(/([$%])\1\{/g, (_m, c: string) => `${c}{`);
}
