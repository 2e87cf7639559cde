/**
 * Field-level scoring of extracted fields against a corpus' `expected` objects:
 * per field and per framework precision/recall/F1, and a micro-averaged F1.
 * A predicted field equal to the expected one is a true positive; a wrong value counts as
 * one false positive and one false negative; a missing one as a false negative; an extra
 * one as a false positive.
 */

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

export interface Scores extends Counts {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface CorpusRecord {
  readonly id: string;
  readonly framework: string;
  readonly line: string;
  readonly expected: Readonly<Record<string, unknown>>;
}

export interface EvaluationReport {
  readonly records: number;
  readonly micro: Scores;
  readonly byField: Readonly<Record<string, Scores>>;
  readonly byFramework: Readonly<Record<string, Scores>>;
  /** Per record, the fields that were wrong (for debugging). */
  readonly mismatches: readonly { readonly id: string; readonly field: string; readonly expected: unknown; readonly actual: unknown }[];
}

/** Values are equal: same string, or numbers equal within a relative 1e-9. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  return a === b;
}

export function score(c: Counts): Scores {
  const precision = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn);
  const f1 = 2 * c.tp + c.fp + c.fn === 0 ? 1 : (2 * c.tp) / (2 * c.tp + c.fp + c.fn);
  return { ...c, precision, recall, f1 };
}

export function evaluate(records: readonly CorpusRecord[], extract: (line: string) => Readonly<Record<string, unknown>>): EvaluationReport {
  const total: Counts = { tp: 0, fp: 0, fn: 0 };
  const byField = new Map<string, Counts>();
  const byFramework = new Map<string, Counts>();
  const mismatches: { id: string; field: string; expected: unknown; actual: unknown }[] = [];
  const bump = (m: Map<string, Counts>, k: string, key: keyof Counts): void => {
    const c = m.get(k) ?? { tp: 0, fp: 0, fn: 0 };
    c[key]++;
    m.set(k, c);
  };
  const add = (field: string, fw: string, key: keyof Counts): void => {
    total[key]++;
    bump(byField, field, key);
    bump(byFramework, fw, key);
  };
  for (const r of records) {
    const actual = extract(r.line);
    const keys = new Set([...Object.keys(r.expected), ...Object.keys(actual)]);
    for (const k of keys) {
      const e = r.expected[k];
      const a = actual[k];
      if (e !== undefined && a !== undefined && sameValue(e, a)) add(k, r.framework, 'tp');
      else {
        if (a !== undefined) add(k, r.framework, 'fp');
        if (e !== undefined) add(k, r.framework, 'fn');
        mismatches.push({ id: r.id, field: k, expected: e, actual: a });
      }
    }
  }
  const toScores = (m: Map<string, Counts>): Record<string, Scores> =>
    Object.fromEntries([...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, c]) => [k, score(c)]));
  return { records: records.length, micro: score(total), byField: toScores(byField), byFramework: toScores(byFramework), mismatches };
}

/** Renders the report as fixed-width text tables. */
export function formatReport(report: EvaluationReport, engine: string): string {
  const pct = (x: number): string => x.toFixed(4);
  const table = (title: string, rows: Readonly<Record<string, Scores>>): string[] => {
    const out = [`${title.padEnd(22)} ${'prec'.padStart(7)} ${'recall'.padStart(7)} ${'f1'.padStart(7)} ${'tp'.padStart(5)} ${'fp'.padStart(5)} ${'fn'.padStart(5)}`];
    for (const [k, s] of Object.entries(rows)) {
      out.push(`${k.padEnd(22)} ${pct(s.precision).padStart(7)} ${pct(s.recall).padStart(7)} ${pct(s.f1).padStart(7)} ${String(s.tp).padStart(5)} ${String(s.fp).padStart(5)} ${String(s.fn).padStart(5)}`);
    }
    return out;
  };
  return [
    `engine: ${engine}   records: ${report.records}`,
    '',
    ...table('framework', report.byFramework),
    '',
    ...table('field', report.byField),
    '',
    `micro: precision ${pct(report.micro.precision)} recall ${pct(report.micro.recall)} f1 ${pct(report.micro.f1)} (tp ${report.micro.tp} fp ${report.micro.fp} fn ${report.micro.fn})`,
    '',
  ].join('\n');
}
