/**
 * PromQL/LogQL grammar checks with the real parsers (@prometheus-io/lezer-promql,
 * @grafana/lezer-logql), and the metric names an expression uses.
 */
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { parser as logqlParser } from '@grafana/lezer-logql';

interface LezerParser {
  parse(text: string): { iterate(spec: { enter(node: { type: { isError: boolean }; from: number }): void }): void };
}

/** Positions of error nodes in the parse tree; empty when the expression is valid. */
export function syntaxErrors(language: 'promql' | 'logql', expr: string): number[] {
  const p = (language === 'promql' ? promqlParser : logqlParser) as unknown as LezerParser;
  const at: number[] = [];
  p.parse(expr).iterate({ enter: (n) => void (n.type.isError && at.push(n.from)) });
  return at;
}

/** Every token of `expr` that looks like a metric with the given prefix (e.g. `DCGM_`). */
export function metricNamesWithPrefix(expr: string, prefix: string): string[] {
  const re = new RegExp(`\\b${prefix}[A-Za-z0-9_:]*`, 'g');
  return [...new Set(expr.match(re) ?? [])];
}
