/**
 * Team JSON fields: top-level keys of JSON log lines that a team wants queryable (job_id, model,
 * dataset...), beyond the ML catalog's own fields. Both pipelines carry them the same way: Loki as
 * structured metadata (never labels: one value per job, run or GPU would be one stream each),
 * Elasticsearch as `team.<name>` with the declared type. Pure data and checks.
 */
import { FIELD_NAMES } from '../mllogs/schema';

export const JSON_FIELD_TYPES = ['keyword', 'long', 'double', 'boolean', 'date'] as const;
export type JsonFieldType = (typeof JSON_FIELD_TYPES)[number];

/** The fields teams log most (defaults of every environment). */
export const DEFAULT_JSON_FIELDS: Readonly<Record<string, JsonFieldType>> = {
  job_id: 'keyword',
  service: 'keyword',
  version: 'keyword',
  model: 'keyword',
  dataset: 'keyword',
  precision: 'keyword',
  gpu_id: 'keyword',
  node_ip: 'keyword',
  error_type: 'keyword',
  gpu_memory: 'double',
};

/** At most this many: each is a mapped field in every index and a JSON extraction per line. */
export const MAX_JSON_FIELDS = 32;
/** A name is a plain identifier (a JMESPath identifier, a Loki metadata name, an ES field part). */
export const JSON_FIELD_NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** Where Elasticsearch keeps them. */
export const JSON_FIELDS_OBJECT = 'team';

/** Problems of a field set, each with the name it is about (empty when valid). */
export function jsonFieldProblems(fields: Readonly<Record<string, string>>): { readonly name?: string; readonly message: string }[] {
  const problems: { name?: string; message: string }[] = [];
  const names = Object.keys(fields);
  if (names.length > MAX_JSON_FIELDS) problems.push({ message: `lists ${names.length} fields; at most ${MAX_JSON_FIELDS} (each is a mapped field in every index and an extraction on every JSON line)` });
  for (const n of names) {
    if (!JSON_FIELD_NAME.test(n)) problems.push({ name: n, message: 'is not a field name; use lowercase letters, digits and "_", starting with a letter (at most 63)' });
    else if ((FIELD_NAMES as readonly string[]).includes(n)) problems.push({ name: n, message: `is a field of the ML log catalog already (${n}); choose another name` });
    else if (n.startsWith('mlobs')) problems.push({ name: n, message: 'starts with "mlobs", which the pipelines use for their own keys' });
    const t = fields[n] as string;
    if (!(JSON_FIELD_TYPES as readonly string[]).includes(t)) problems.push({ name: n, message: `has type "${t}"; allowed: ${JSON_FIELD_TYPES.join(', ')}` });
  }
  return problems;
}

/** Throws with every problem, naming where the fields came from. */
export function checkJsonFields(fields: Readonly<Record<string, string>>, where: string): Readonly<Record<string, JsonFieldType>> {
  const problems = jsonFieldProblems(fields);
  if (problems.length > 0) throw new Error(`${where}: ${problems.map((p) => (p.name ? `${p.name} ${p.message}` : p.message)).join('; ')}`);
  return fields as Readonly<Record<string, JsonFieldType>>;
}
