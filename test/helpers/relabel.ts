/**
 * Prometheus relabelling (model/relabel, the semantics Alloy's discovery.relabel and Promtail's
 * relabel_configs share) for the actions the generators write: replace, keep, drop, keepequal,
 * dropequal. Regexes are anchored and run on RE2; `$1`/`${1}` expand like Go's Regexp.Expand
 * (a `$name` takes the longest run of letters, digits and `_`).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RE2 = require('re2') as new (p: string, f?: string) => { exec(s: string): (string | undefined)[] | null };

export interface RelabelRule {
  readonly action?: string;
  readonly source_labels?: readonly string[];
  readonly separator?: string;
  readonly regex?: string;
  readonly target_label?: string;
  readonly replacement?: string;
}

function expand(template: string, groups: readonly (string | undefined)[]): string {
  return template.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    return /^\d+$/.test(name) ? (groups[Number(name)] ?? '') : '';
  });
}

/** The target's labels after the rules, or null when a rule drops it. */
export function relabel(input: Readonly<Record<string, string>>, rules: readonly RelabelRule[]): Record<string, string> | null {
  const labels: Record<string, string> = { ...input };
  for (const r of rules) {
    const action = r.action ?? 'replace';
    const value = (r.source_labels ?? []).map((l) => labels[l] ?? '').join(r.separator ?? ';');
    const m = new RE2(`^(?:${r.regex ?? '(.*)'})$`, 'u').exec(value);
    switch (action) {
      case 'replace': {
        if (!m || r.target_label === undefined) break;
        const target = expand(r.target_label, m);
        const res = expand(r.replacement ?? '$1', m);
        if (res === '') delete labels[target];
        else labels[target] = res;
        break;
      }
      case 'keep':
        if (!m) return null;
        break;
      case 'drop':
        if (m) return null;
        break;
      case 'keepequal':
        if (value !== (labels[r.target_label ?? ''] ?? '')) return null;
        break;
      case 'dropequal':
        if (value === (labels[r.target_label ?? ''] ?? '')) return null;
        break;
      default:
        throw new Error(`relabel: action ${action} is not simulated here`);
    }
  }
  return labels;
}
