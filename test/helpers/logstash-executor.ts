/**
 * Executes the grok work of the generated Logstash filter as Logstash does: JSON lines take the
 * json branch (no grok); a format's grok runs only while no format matched and when its guard's
 * literals (`"lit" in [message]`) allow it; an extractor's grok when its guard allows it; then the
 * event-rule conditionals (`[message] =~ /.../`) in order until one is found. Grok text is expanded
 * with the legacy pattern set and run on Oniguruma (the grok engine of the tests).
 * Used by `npm run bench:pipeline` and the pipeline tests.
 */
import { JSON_LINE_START } from '../../constructs/mllogs/catalog/json';
import { expandGrok } from '../../constructs/mllogs/pattern';
import type { CompiledRegex, RegexEngine } from '../../constructs/mllogs/regex-engine';

interface GrokStep {
  readonly id: string;
  readonly isFormat: boolean;
  /** Literals of the guard (one must occur); undefined: `if true`. */
  readonly literals?: readonly string[];
  readonly re: CompiledRegex;
}

export interface LogstashRun {
  readonly formatId?: string;
  /** Ids of the grok filters that ran. */
  readonly grokRuns: string[];
  /** Event-rule conditionals evaluated. */
  readonly ruleRuns: number;
}

export interface LogstashFilter {
  readonly groks: number;
  run(line: string): LogstashRun;
}

/** Reads the guarded groks and event conditionals of a generated filter and compiles them on `engine`. */
export function loadLogstashFilter(text: string, engine: RegexEngine, defs: ReadonlyMap<string, string>): LogstashFilter {
  const steps: GrokStep[] = [];
  const re = /^\s*(?:# [^\n]*\n\s*)?if (.*) \{\n\s*grok \{\n\s*id => "mlobs_(\w+)"\n\s*match => \{ "message" => "(.*)" \}\n/gm;
  for (const m of text.matchAll(re)) {
    const guard = m[1]!;
    const literals = guard === 'true' ? undefined : [...guard.matchAll(/(?:"([^"]*)"|'((?:[^'\\]|\\.)*)') in \[message\]/g)].map((l) => l[1] ?? l[2]!.replace(/\\'/g, "'"));
    steps.push({ id: m[2]!, isFormat: guard.startsWith('![@metadata][mlobs_format]'), ...(literals && literals.length > 0 ? { literals } : {}), re: engine.compilePlain(expandGrok(m[3]!, defs)) });
  }
  const events = text.slice(text.indexOf('# events:'));
  const rules = [...events.matchAll(/^(?:if|\} else if) \[message\] =~ \/((?:[^/\\\n]|\\.)*)\/ \{$/gm)].map((m) => engine.compilePlain(m[1]!.replace(/\\\//g, '/')));
  const jsonStart = new RegExp(JSON_LINE_START);
  return {
    groks: steps.length,
    run(line) {
      const input = engine.prepare(line);
      const grokRuns: string[] = [];
      let formatId: string | undefined;
      let ruleRuns = 0;
      try {
        if (!jsonStart.test(line)) {
          for (const s of steps) {
            if (s.isFormat && formatId !== undefined) continue;
            if (s.literals && !s.literals.some((l) => line.includes(l))) continue;
            grokRuns.push(s.id);
            if (s.re.exec(input) && s.isFormat) formatId = s.id;
          }
        }
        for (const r of rules) {
          ruleRuns++;
          if (r.exec(input)) break;
        }
      } finally {
        input.dispose();
      }
      return { ...(formatId !== undefined ? { formatId } : {}), grokRuns, ruleRuns };
    },
  };
}
