/**
 * The props vocabulary every component shares: resources, volumes, Secret references, Ingress.
 * Components declare their own props with these types; the environment schema (config/schema)
 * produces values that fit them (checked at compile time there). Pure: no cdktf, no zod.
 */

/** Kubernetes requests and limits of one container. A memory limit is always set. */
export interface ResourceRequirements {
  readonly requests: { readonly cpu: string; readonly memory: string };
  /** A CPU limit is optional: throttling often hurts more than it helps. */
  readonly limits: { readonly cpu?: string | undefined; readonly memory: string };
}

/** A key of an existing Secret in the stack namespace: credentials are never values. */
export interface SecretRef {
  readonly name: string;
  readonly key: string;
}

/** A persistent volume: size, and the StorageClass (the cluster default when unset). */
export interface VolumeSettings {
  readonly className?: string | undefined;
  readonly sizeGiB: number;
}

/** How a UI is exposed: an Ingress on this host (TLS when the `ui` hop asks for it). */
export interface IngressSettings {
  readonly host: string;
  /** @default DEFAULT_INGRESS_CLASS */
  readonly className: string;
}

/** The IngressClass UIs use unless told otherwise. */
export const DEFAULT_INGRESS_CLASS = 'nginx';

/** A toleration of a node taint. */
export interface Toleration {
  readonly key: string;
  readonly operator: 'Exists' | 'Equal';
  readonly value?: string | undefined;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' | undefined;
}

/** A volume of `sizeGiB` unless the caller's volume says otherwise. */
export function volumeOr(v: Partial<VolumeSettings> | undefined, sizeGiB: number): VolumeSettings {
  return { ...(v?.className !== undefined ? { className: v.className } : {}), sizeGiB: v?.sizeGiB ?? sizeGiB };
}

/** `defaults` with each field the caller set (not undefined) in `options` over it: one level deep. */
export function withDefaults<T extends object>(defaults: T, options: Partial<T> | undefined): T {
  const set = Object.entries(options ?? {}).filter(([, v]) => v !== undefined);
  return { ...defaults, ...(Object.fromEntries(set) as Partial<T>) };
}
