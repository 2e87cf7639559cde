/**
 * Helm values as data: deep merge (the `valuesOverrides` escape hatch) and YAML text that
 * Helm's YAML 1.1 parser reads back exactly. Pure: no cdktf import.
 */
import { stringify } from 'yaml';

export type HelmValues = { readonly [key: string]: unknown };

/** A JSON-like mapping (not null, not a list): the one such check of the project. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Deep-merges `override` into `base`: maps merge key by key, anything else (lists included)
 * replaces. `null` in the override deletes the key, as in Helm.
 */
export function deepMerge(base: HelmValues, override: HelmValues | undefined): HelmValues {
  if (!override) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) {
    if (v === null) delete out[k];
    else if (isPlainObject(v) && isPlainObject(out[k])) out[k] = deepMerge(out[k] as HelmValues, v);
    else out[k] = v;
  }
  return out;
}

/**
 * Values as YAML text for `helm_release.values`. Written with the YAML 1.1 schema so strings
 * such as `on`, `yes`, `y`, `off` or `0755` are quoted: Helm's parser would otherwise read
 * them as booleans or octal numbers. Keys keep their insertion order (deterministic).
 */
export function toHelmValuesYaml(values: HelmValues): string {
  return stringify(values, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
}
