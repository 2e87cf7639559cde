/**
 * The in-process interpreter of the catalog, used by tests, `mlobs logs` and the benchmark.
 * It runs the regexes the compilers emit (grok text on Oniguruma, RE2 text on RE2) and applies
 * the catalog's declarative normalizations in the same order as the generated configs:
 *
 *   1. a line starting with `{` is decoded as JSON (mapping `catalog.json`); nothing else runs on it but event rules
 *   2. otherwise formats are tried in order (prefilter, line start, then anchored pattern); the first match wins
 *   3. a captured `json_payload` is decoded with the same mapping (fills empty fields)
 *   4. extractors are searched in order (prefilter, line start, pattern) and fill only empty fields
 *   5. normalizations: timestamp rewrites, level rules, scales, bytes, number rewrites, unit maps, numbers
 *   6. event: first event rule found in the line (prefilter, then pattern), else the format's event, else the first matching extractor's
 */
import { ML_LOG_CATALOG } from './catalog';
import { JSON_LINE_START, NUMERIC_STRING } from './catalog/json';
import { extractorPrefix, formatPrefix } from './naming';
import { LEVELS, isNumberField, type FieldName, type MlLogFields } from './schema';
import { prefilterSets, type CaptureName, type EventRule, type FieldExtractor, type JsonFieldMapping, type LineFormat, type MlLogCatalog, type Rewrite } from './types';
import type { CompiledRegex, PreparedInput, RegexEngine } from './regex-engine';

/** Result of parsing one line. */
export interface ParseResult {
  /** Output fields (schema names only; absent when the line does not carry them). */
  readonly fields: MlLogFields;
  /** Id of the format that matched, `json` for a decoded JSON line, undefined when none did. */
  readonly formatId?: string;
  /** Family of that format (a bounded label value). */
  readonly family?: string;
}

export interface MlLogParser {
  readonly engine: RegexEngine['name'];
  parse(line: string): ParseResult;
}

interface CompiledPattern<T> {
  readonly def: T;
  readonly prefix: string;
  readonly regex: CompiledRegex;
  /** The line-start condition (`start`), anchored. */
  readonly start?: CompiledRegex;
}

interface CompiledRewrite {
  readonly regex: CompiledRegex;
  readonly rewrite: Rewrite;
}

/** The line holds a literal of each of the entry's prefilter sets (none: no condition). */
function hasPrefilter(line: string, p: Parameters<typeof prefilterSets>[0]): boolean {
  return prefilterSets(p).every((set) => set.some((lit) => line.includes(lit)));
}

/** Seconds since 1970 (as decoded) -> ISO 8601 UTC with the written fraction digits and `Z`. */
export function epochToIso(value: number): string | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  const text = Number.isInteger(value) ? String(value) : String(value).includes('e') ? value.toFixed(9).replace(/0+$/, '') : String(value);
  const [intPart, frac] = text.split('.');
  const d = new Date(Number(intPart) * 1000);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().slice(0, 19) + (frac ? `.${frac}` : '') + 'Z';
}

const NUMERIC_TEXT = new RegExp(NUMERIC_STRING);

function jsonPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Applies the JSON mapping to a decoded object, filling only empty fields. */
export function applyJsonMapping(obj: unknown, mapping: readonly JsonFieldMapping[], raw: Map<CaptureName, string>): void {
  for (const m of mapping) {
    if (raw.has(m.target)) continue;
    for (const p of m.paths) {
      const v = jsonPath(obj, p);
      let out: string | undefined;
      if (m.kind === 'string' && typeof v === 'string' && v !== '') out = v;
      else if (m.kind === 'number' && typeof v === 'number' && Number.isFinite(v)) out = String(v);
      else if (m.kind === 'number' && typeof v === 'string' && NUMERIC_TEXT.test(v)) out = v;
      else if (m.kind === 'epoch' && typeof v === 'number') out = epochToIso(v);
      if (out !== undefined) {
        raw.set(m.target, out);
        break;
      }
    }
  }
}

function applyReplacement(m: readonly (string | undefined)[], parts: Rewrite['replacement']): string {
  return parts.map((p) => (typeof p === 'string' ? p : (m[p.group] ?? ''))).join('');
}

/** Builds a parser for a catalog on an engine. */
export function createParser(engine: RegexEngine, catalog: MlLogCatalog = ML_LOG_CATALOG): MlLogParser {
  const formats: CompiledPattern<LineFormat>[] = catalog.formats.map((f) => ({
    def: f,
    prefix: formatPrefix(f),
    regex: engine.compileTemplate(f.pattern, formatPrefix(f)),
    ...(f.start ? { start: engine.compilePlain(`^(?:${f.start})`) } : {}),
  }));
  const extractors: CompiledPattern<FieldExtractor>[] = catalog.extractors.map((x) => ({
    def: x,
    prefix: extractorPrefix(x),
    regex: engine.compileTemplate(x.pattern, extractorPrefix(x)),
    ...(x.start ? { start: engine.compilePlain(`^(?:${x.start})`) } : {}),
  }));
  const rules: { rule: EventRule; regex: CompiledRegex }[] = catalog.eventRules.map((r) => ({ rule: r, regex: engine.compilePlain(r.pattern) }));
  const tsRewrites = catalog.timestampSources.map((s) => ({
    source: s,
    rewrites: s.rewrites.map((rw): CompiledRewrite => ({ rewrite: rw, regex: engine.compilePlain(rw.pattern) })),
  }));
  const numberRewrites = catalog.numberRewrites.map((r) => ({
    field: r.field,
    rewrites: r.rewrites.map((rw): CompiledRewrite => ({ rewrite: rw, regex: engine.compilePlain(rw.pattern) })),
  }));
  const levelRules = catalog.levelRules.map((r) => ({ rule: r, regex: engine.compilePlain(`^(?i:${r.pattern})$`) }));
  const jsonStart = engine.compilePlain(JSON_LINE_START);

  const run = (regex: CompiledRegex, input: PreparedInput): RegexMatch | null => regex.exec(input);
  type RegexMatch = NonNullable<ReturnType<CompiledRegex['exec']>>;

  const captures = (p: CompiledPattern<unknown>, m: RegexMatch): [CaptureName, string][] => {
    const out: [CaptureName, string][] = [];
    p.regex.names.forEach((name, i) => {
      const v = m.groups[i + 1];
      if (name && name.startsWith(p.prefix) && v !== undefined && v !== '') out.push([name.slice(p.prefix.length) as CaptureName, v]);
    });
    return out;
  };

  const rewriteValue = (value: string, rewrites: readonly CompiledRewrite[]): string => {
    let v = value;
    for (const rw of rewrites) {
      const input = engine.prepare(v);
      try {
        const m = rw.regex.exec(input);
        if (m) {
          const whole = m.groups[0] ?? '';
          const at = v.indexOf(whole);
          v = v.slice(0, at) + applyReplacement(m.groups, rw.rewrite.replacement) + v.slice(at + whole.length);
        }
      } finally {
        input.dispose();
      }
    }
    return v;
  };

  const test = (regex: CompiledRegex, text: string): boolean => {
    const input = engine.prepare(text);
    try {
      return regex.exec(input) !== null;
    } finally {
      input.dispose();
    }
  };

  return {
    engine: engine.name,
    parse(line: string): ParseResult {
      const raw = new Map<CaptureName, string>();
      let matched: LineFormat | undefined;
      let isJson = false;
      let extractorEvent: FieldExtractor['event'];
      let ruleDecided = false;
      let ruleEvent: EventRule['event'] = null;
      const input = engine.prepare(line);
      try {
        if (run(jsonStart, input)) {
          isJson = true;
          try {
            applyJsonMapping(JSON.parse(line) as unknown, catalog.json, raw);
          } catch {
            // not valid JSON: nothing is extracted from it
          }
        } else {
          for (const f of formats) {
            if (!hasPrefilter(line, f.def)) continue;
            if (f.start && !run(f.start, input)) continue;
            const m = run(f.regex, input);
            if (!m) continue;
            matched = f.def;
            for (const [k, v] of captures(f, m)) raw.set(k, v);
            break;
          }
          const payload = raw.get('json_payload');
          if (payload !== undefined) {
            raw.delete('json_payload');
            try {
              applyJsonMapping(JSON.parse(payload) as unknown, catalog.json, raw);
            } catch {
              // a payload that is not JSON adds nothing
            }
          }
          for (const x of extractors) {
            if (!hasPrefilter(line, x.def)) continue;
            if (x.start && !run(x.start, input)) continue;
            const m = run(x.regex, input);
            if (!m) continue;
            for (const [k, v] of captures(x, m)) if (!raw.has(k)) raw.set(k, v);
            if (x.def.event && !extractorEvent) extractorEvent = x.def.event;
          }
        }
        for (const r of rules) {
          if (!hasPrefilter(line, r.rule)) continue;
          if (run(r.regex, input)) {
            ruleDecided = true;
            ruleEvent = r.rule.event;
            break;
          }
        }
      } finally {
        input.dispose();
      }

      // 5. normalizations, in the order the configs apply them
      for (const { source, rewrites } of tsRewrites) {
        const v = raw.get(source.capture);
        if (v === undefined) continue;
        const iso = rewriteValue(v, rewrites);
        if (source.capture === 'timestamp') raw.set('timestamp', iso);
        else {
          raw.delete(source.capture);
          if (!raw.has('timestamp')) raw.set('timestamp', iso);
        }
      }
      const level = raw.get('level');
      if (level !== undefined) {
        const hit = levelRules.find((r) => test(r.regex, level));
        if (hit) raw.set('level', hit.rule.level);
      }
      for (const s of catalog.scales) {
        const v = raw.get(s.source);
        raw.delete(s.source);
        if (v !== undefined && !raw.has(s.target)) raw.set(s.target, String(Number(v) / s.divisor));
      }
      for (const b of catalog.bytes) {
        const amount = raw.get(b.amount);
        const unit = raw.get(b.unit);
        raw.delete(b.amount);
        raw.delete(b.unit);
        const mult = unit !== undefined ? b.multipliers[unit] : undefined;
        if (amount !== undefined && mult !== undefined && !raw.has(b.target)) raw.set(b.target, String(Math.floor(Number(amount) * mult + 0.5)));
      }
      for (const { field, rewrites } of numberRewrites) {
        const v = raw.get(field);
        if (v !== undefined) raw.set(field, rewriteValue(v, rewrites));
      }
      for (const u of catalog.unitMaps) {
        const v = raw.get(u.source);
        raw.delete(u.source);
        const mapped = v !== undefined ? u.map[v] : undefined;
        if (mapped !== undefined && !raw.has(u.target)) raw.set(u.target, mapped);
      }

      // 6. event
      const event = ruleDecided ? ruleEvent : (matched?.event ?? extractorEvent ?? null);
      if (event) raw.set('event', event);
      else raw.delete('event');

      const fields: Record<string, string | number> = {};
      for (const [k, v] of raw) {
        if (k === 'framework') continue;
        if (isNumberField(k)) {
          const n = Number(v);
          if (v.trim() !== '' && Number.isFinite(n)) fields[k] = n;
        } else if (k !== 'level' || (LEVELS as readonly string[]).includes(v)) {
          fields[k as FieldName] = v;
        }
      }
      return {
        fields: fields as MlLogFields,
        formatId: isJson ? 'json' : matched?.id,
        family: isJson ? 'json' : matched?.family,
      };
    },
  };
}
