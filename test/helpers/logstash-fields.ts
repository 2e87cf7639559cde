/**
 * Logstash field references on a plain object, as the pipeline tests execute generated filters:
 * `[a][b]` (nested) or a bare top-level name.
 */
export type Fields = Record<string, unknown>;

const path = (ref: string): string[] => (ref.startsWith('[') ? [...ref.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]!) : [ref]);

export function getField(doc: Fields, ref: string): unknown {
  let cur: unknown = doc;
  for (const k of path(ref)) cur = typeof cur === 'object' && cur !== null ? (cur as Fields)[k] : undefined;
  return cur;
}

export function setField(doc: Fields, ref: string, v: unknown): void {
  const ks = path(ref);
  let cur = doc;
  for (const k of ks.slice(0, -1)) cur = (cur[k] ??= {}) as Fields;
  cur[ks[ks.length - 1]!] = v;
}

export function removeField(doc: Fields, ref: string): void {
  const ks = path(ref);
  let cur: unknown = doc;
  for (const k of ks.slice(0, -1)) cur = typeof cur === 'object' && cur !== null ? (cur as Fields)[k] : undefined;
  if (typeof cur === 'object' && cur !== null) delete (cur as Fields)[ks[ks.length - 1]!];
}
