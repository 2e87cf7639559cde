/**
 * Executes the grok work of the generated Logstash filter as Logstash does: JSON lines take the
 * json branch (no grok); a format's grok runs only while no format matched and when its guard's
 * literal sets (`("a" in [message] or "b" in [message]) and ...`: a literal of each set) allow it;
 * an extractor's grok when its guard allows it; then the event-rule conditionals (their literal
 * sets, then `[message] =~ /.../`) in order until one is found. Grok text is expanded
 * with the legacy pattern set and run on Oniguruma (the grok engine of the tests).
 * Used by `npm run bench:pipeline` and the pipeline tests.
 */
import { JSON_LINE_START } from '../../constructs/mllogs/catalog/json';
import { expandGrok } from '../../constructs/mllogs/pattern';
import type { CompiledRegex, RegexEngine } from '../../constructs/mllogs/regex-engine';

interface GrokStep {
  readonly id: string;
  readonly isFormat: boolean;
  /** Literal sets of the guard (a literal of each must occur); empty: `if true`. */
  readonly sets: readonly (readonly string[])[];
  readonly re: CompiledRegex;
}

/** The literal sets of a guard: its top-level `and` parts that test `in [message]`, each an `or` of literals. */
function guardSets(guard: string): string[][] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < guard.length; i++) {
    const c = guard[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && guard.startsWith(' and ', i)) {
      parts.push(guard.slice(start, i));
      start = i + 5;
    }
  }
  parts.push(guard.slice(start));
  return parts
    .filter((p) => p.includes(' in [message]'))
    .map((p) => [...p.matchAll(/(?:"([^"]*)"|'((?:[^'\\]|\\.)*)') in \[message\]/g)].map((l) => l[1] ?? l[2]!.replace(/\\'/g, "'")));
}

export interface LogstashRun {
  readonly formatId?: string;
  /** Ids of the grok filters that ran. */
  readonly grokRuns: string[];
  /** Event-rule regexes evaluated (their literal sets held). */
  readonly ruleRuns: number;
}

export interface LogstashFilter {
  readonly groks: number;
  /** Event-rule conditionals read from the filter. */
  readonly rules: number;
  run(line: string): LogstashRun;
}

/** Reads the guarded groks and event conditionals of a generated filter and compiles them on `engine`. */
export function loadLogstashFilter(text: string, engine: RegexEngine, defs: ReadonlyMap<string, string>): LogstashFilter {
  const steps: GrokStep[] = [];
  const re = /^\s*(?:# [^\n]*\n\s*)?if (.*) \{\n\s*grok \{\n\s*id => "mlobs_(\w+)"\n\s*match => \{ "message" => "(.*)" \}\n/gm;
  for (const m of text.matchAll(re)) {
    const guard = m[1]!;
    steps.push({ id: m[2]!, isFormat: guard.startsWith('![@metadata][mlobs_format]'), sets: guard === 'true' ? [] : guardSets(guard), re: engine.compilePlain(expandGrok(m[3]!, defs)) });
  }
  const events = text.slice(text.indexOf('# events:'));
  const rules = [...events.matchAll(/^(?:if|\} else if) (.*?)\[message\] =~ \/((?:[^/\\\n]|\\.)*)\/ \{$/gm)].map((m) => ({
    sets: guardSets(m[1]!.replace(/ and $/, '')),
    re: engine.compilePlain(m[2]!.replace(/\\\//g, '/')),
  }));
  const holds = (line: string, sets: readonly (readonly string[])[]): boolean => sets.every((set) => set.some((l) => line.includes(l)));
  const jsonStart = new RegExp(JSON_LINE_START);
  return {
    groks: steps.length,
    rules: rules.length,
    run(line) {
      const input = engine.prepare(line);
      const grokRuns: string[] = [];
      let formatId: string | undefined;
      let ruleRuns = 0;
      try {
        if (!jsonStart.test(line)) {
          for (const s of steps) {
            if (s.isFormat && formatId !== undefined) continue;
            if (!holds(line, s.sets)) continue;
            grokRuns.push(s.id);
            if (s.re.exec(input) && s.isFormat) formatId = s.id;
          }
        }
        for (const r of rules) {
          if (!holds(line, r.sets)) continue; // Logstash's `and` stops at the first false operand
          ruleRuns++;
          if (r.re.exec(input)) break;
        }
      } finally {
        input.dispose();
      }
      return { ...(formatId !== undefined ? { formatId } : {}), grokRuns, ruleRuns };
    },
  };
}
