/**
 * Reusable, unit-carrying building blocks of the environment schema. Each carries the
 * error text a user sees, phrased as "what is wrong; what to write instead".
 */
import { z } from 'zod';

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

/** A duration such as `30d` or `720h`. */
export function duration(description: string) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? 'is required; use a duration like "30d" or "720h"' : undefined) })
    .regex(DURATION_PATTERN, { message: 'is not a duration; use a number and unit, like "30d" or "720h"', abort: true })
    .refine((v) => durationToMs(v) > 0, { message: 'must be longer than zero' })
    .describe(description);
}

/** RFC 1123 label, as Kubernetes requires for namespaces and most object names. */
export const DNS_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function dnsLabel(description: string, maxLength = 63) {
  return z
    .string()
    .max(maxLength, { message: `must be at most ${maxLength} characters` })
    .regex(DNS_LABEL_PATTERN, {
      message: 'is not a valid Kubernetes name; use lowercase letters, digits and "-", starting and ending with a letter or digit',
    })
    .describe(description);
}

/** A DNS subdomain (RFC 1123), e.g. a Secret or StorageClass name. */
export const DNS_SUBDOMAIN_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function dnsSubdomain(description: string) {
  return z
    .string()
    .max(253, { message: 'must be at most 253 characters' })
    .regex(DNS_SUBDOMAIN_PATTERN, {
      message: 'is not a valid Kubernetes object name; use lowercase letters, digits, "-" and "."',
    })
    .describe(description);
}

const LABEL_KEY_PATTERN = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE_PATTERN = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** Kubernetes labels: `prefix/name: value`, validated as the API server does. */
export const labelMap = z
  .record(
    z.string().regex(LABEL_KEY_PATTERN, { message: 'is not a valid Kubernetes label key' }),
    z.string().max(63, { message: 'must be at most 63 characters' }).regex(LABEL_VALUE_PATTERN, {
      message: 'is not a valid Kubernetes label value; use letters, digits, "-", "_" and ".", at most 63',
    }),
  )
  .describe('Kubernetes labels as key: value');

/** A Kubernetes CPU quantity (`500m`, `2`). */
export const cpuQuantity = z
  .string({ error: (iss) => (typeof iss.input === 'number' ? 'must be a string quantity; quote it, like "2" or "500m"' : undefined) })
  .regex(/^([0-9]+(\.[0-9]+)?)m?$/, { message: 'is not a CPU quantity; use cores like "2", "0.5" or millicores like "500m"' });

/** A Kubernetes memory quantity (`512Mi`, `4Gi`). */
export const memoryQuantity = z
  .string({ error: (iss) => (typeof iss.input === 'number' ? 'must be a string quantity with a unit; quote it, like "512Mi" or "4Gi"' : undefined) })
  .regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/, { message: 'is not a memory quantity; use a number and unit like "512Mi" or "4Gi"' });

export const resourceRequirements = z
  .strictObject({
    requests: z.strictObject({ cpu: cpuQuantity, memory: memoryQuantity }).describe('Guaranteed resources (scheduling).'),
    limits: z
      .strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity })
      .describe('Upper bounds. A memory limit is required; a CPU limit is optional (throttling often hurts more than it helps).'),
  })
  .describe('Kubernetes resource requests and limits');

export type ResourceRequirements = z.output<typeof resourceRequirements>;

/** A size in GiB (a positive integer); the unit is in the field name. */
export function sizeGiB(description: string) {
  return z
    .number({ error: (iss) => (typeof iss.input === 'string' ? 'must be a number of GiB without a unit, like 50' : undefined) })
    .int({ message: 'must be a whole number of GiB' })
    .positive({ message: 'must be greater than 0' })
    .describe(description);
}

/**
 * A reference to one key of an existing Kubernetes Secret. Credentials are never values in
 * config: a team's secret manager creates the Secret, we only name it.
 */
export const secretRef = z
  .strictObject({
    name: dnsSubdomain('Name of an existing Secret in the stack namespace'),
    key: z
      .string()
      .min(1, { message: 'must not be empty' })
      .regex(/^[-._a-zA-Z0-9]+$/, { message: 'is not a valid Secret key; use letters, digits, "-", "_" and "."' })
      .describe('Key inside the Secret'),
  })
  .describe('Reference to a key of an existing Secret (never the secret value itself)');

export type SecretRef = z.output<typeof secretRef>;

/** A required SecretRef whose "missing" message shows what to write. */
export function requiredSecretRef(example: string) {
  return z
    .strictObject(secretRef.shape, {
      error: (iss) =>
        iss.input === undefined
          ? `is required (a reference to an existing Secret, never the value); please set: { name: ${example} }`
          : undefined,
    })
    .describe(secretRef.description ?? '');
}
