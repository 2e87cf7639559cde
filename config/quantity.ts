/**
 * The one parser of Kubernetes quantities (`250m`, `2`, `512Mi`, `1e3`) used by the schema, the
 * Elastic checks and `mlobs budget`, and of the config's durations (`30d`, `1h30m`), used by the
 * schema and the ILM renderer. Pure: no schema, no cdktf.
 */

const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?[0-9]+(?:\.[0-9]*)?|[+-]?\.[0-9]+)(?:([eE][+-]?[0-9]+)|(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?)$/;

/** A Kubernetes quantity as a number (cores for CPU, bytes otherwise). Throws naming `what` on a malformed one. */
export function parseQuantity(q: string | number, what: string): number {
  if (typeof q === 'number') return q;
  const m = QUANTITY.exec(q.trim());
  if (!m) throw new Error(`${what}: "${q}" is not a Kubernetes quantity (like 250m, 1, 512Mi, 2Gi)`);
  const base = Number(m[1]);
  return m[2] !== undefined ? base * 10 ** Number(m[2].slice(1)) : base * (SUFFIX[m[3] ?? ''] ?? 1);
}

/** Cores in a CPU quantity (`500m` → 0.5). */
export const cpuCores = (q: string): number => parseQuantity(q, 'cpu');

/** Bytes in a memory quantity (`512Mi`). */
export const memoryBytes = (q: string): number => parseQuantity(q, 'memory');

/** A Prometheus-style duration: one or more number+unit pairs, e.g. `30d`, `1h30m`. */
export const DURATION_PATTERN = /^(?:[0-9]+(?:ms|s|m|h|d|w|y))+$/;

const DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

/** Milliseconds in a duration string that already matched {@link DURATION_PATTERN}. */
export function durationToMs(value: string): number {
  let total = 0;
  for (const m of value.matchAll(/([0-9]+)(ms|s|m|h|d|w|y)/g)) {
    total += Number(m[1]) * (DURATION_UNIT_MS[m[2] as string] as number);
  }
  return total;
}
