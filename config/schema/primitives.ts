/**
 * Reusable, unit-carrying building blocks of the environment schema. Each carries the
 * error text a user sees, phrased as "what is wrong; what to write instead".
 */
import { z } from 'zod';
import type { Conforms } from './conforms';
import type { ResourceRequirements as CoreResourceRequirements, SecretRef as CoreSecretRef } from '../../constructs/core/settings';
import { cpuCores, DURATION_PATTERN, durationToMs, memoryBytes } from '../quantity';

export { DURATION_PATTERN, durationToMs };

/**
 * The longest duration Go (Prometheus, Alertmanager, cert-manager, the operators) can hold:
 * int64 nanoseconds, about 292 years (2562047h). Longer values are refused before any arithmetic.
 */
export const MAX_DURATION_MS = 9_223_372_036_854;

/** A duration such as `30d` or `720h`, at most {@link MAX_DURATION_MS} (about 292 years). */
export function duration(description: string, opts: { readonly zero?: boolean } = {}) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? 'is required; use a duration like "30d" or "720h"' : undefined) })
    .regex(DURATION_PATTERN, { message: 'is not a duration; use a number and unit, like "30d" or "720h"', abort: true })
    .refine((v) => opts.zero === true || durationToMs(v) > 0, { message: 'must be longer than zero', abort: true })
    .refine((v) => durationToMs(v) <= MAX_DURATION_MS, {
      message: 'exceeds what Prometheus, Alertmanager and cert-manager can hold (Go durations end at about 292 years, 2562047h); use a shorter one',
    })
    .describe(`${description} (at most about 292 years)`);
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

/** Why a label key breaks Kubernetes' length rules (prefix a DNS subdomain of at most 253, each part at most 63), if it does. */
function labelKeyLengthProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  if (slash < 0) return undefined;
  const prefix = key.slice(0, slash);
  if (prefix.length > 253) return `has a prefix of ${prefix.length} characters; a label key prefix is at most 253`;
  const long = prefix.split('.').find((p) => p.length > 63);
  return long ? `has a prefix part of ${long.length} characters ("${long.slice(0, 20)}..."); each dot-separated part is at most 63` : undefined;
}

/** A Kubernetes label key (`[prefix/]name`), validated as the API server does. */
export const labelKey = z
  .string()
  .regex(LABEL_KEY_PATTERN, { message: 'is not a valid Kubernetes label key; use [prefix/]name, the name at most 63 letters, digits, "-", "_" or "."', abort: true })
  .superRefine((k, ctx) => {
    const problem = labelKeyLengthProblem(k);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** Kubernetes labels: `prefix/name: value`, validated as the API server does. */
export const labelMap = z
  .record(
    labelKey,
    z.string().max(63, { message: 'must be at most 63 characters' }).regex(LABEL_VALUE_PATTERN, {
      message: 'is not a valid Kubernetes label value; use letters, digits, "-", "_" and ".", at most 63',
    }),
  )
  .describe('Kubernetes labels as key: value');

/** Sane upper bounds for one container: far above any node, far below overflow. */
export const MAX_CPU_CORES = 10_000;
export const MAX_MEMORY_BYTES = 2 ** 50; // 1 PiB

/** A Kubernetes CPU quantity (`500m`, `2`), at most 10000 cores. */
export const cpuQuantity = z
  .string({ error: (iss) => (typeof iss.input === 'number' ? 'must be a string quantity; quote it, like "2" or "500m"' : undefined) })
  .regex(/^([0-9]+(\.[0-9]+)?)m?$/, { message: 'is not a CPU quantity; use cores like "2", "0.5" or millicores like "500m"', abort: true })
  .refine((q) => cpuCores(q) <= MAX_CPU_CORES, { message: `exceeds ${MAX_CPU_CORES} cores; use a real container size, like "2" or "500m"` })
  .describe('CPU quantity, at most 10000 cores');

/** A Kubernetes memory quantity (`512Mi`, `4Gi`), at most 1 PiB. */
export const memoryQuantity = z
  .string({ error: (iss) => (typeof iss.input === 'number' ? 'must be a string quantity with a unit; quote it, like "512Mi" or "4Gi"' : undefined) })
  .regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/, { message: 'is not a memory quantity; use a number and unit like "512Mi" or "4Gi"', abort: true })
  .refine((q) => memoryBytes(q) <= MAX_MEMORY_BYTES, { message: 'exceeds 1 PiB; use a real container size, like "512Mi" or "4Gi"' })
  .describe('Memory quantity, at most 1 PiB');

export const resourceRequirements = z
  .strictObject({
    requests: z.strictObject({ cpu: cpuQuantity, memory: memoryQuantity }).describe('Guaranteed resources (scheduling).'),
    limits: z
      .strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity })
      .describe('Upper bounds. A memory limit is required; a CPU limit is optional (throttling often hurts more than it helps).'),
  })
  .superRefine((r, ctx) => {
    // The API server refuses a request above its limit: say so at synth, with what to write.
    if (memoryBytes(r.requests.memory) > memoryBytes(r.limits.memory)) {
      ctx.addIssue({ code: 'custom', path: ['requests', 'memory'], message: `"${r.requests.memory}" is above limits.memory "${r.limits.memory}"; a request may not exceed its limit: lower the request or raise the limit` });
    }
    if (r.limits.cpu !== undefined && cpuCores(r.requests.cpu) > cpuCores(r.limits.cpu)) {
      ctx.addIssue({ code: 'custom', path: ['requests', 'cpu'], message: `"${r.requests.cpu}" is above limits.cpu "${r.limits.cpu}"; a request may not exceed its limit: lower the request, raise the limit or remove it` });
    }
  })
  .describe('Kubernetes resource requests and limits (requests at most the limits)');

/** The components' resource type (constructs/core/settings.ts), which the schema's output fits. */
export type ResourceRequirements = Conforms<z.output<typeof resourceRequirements>, CoreResourceRequirements>;

/** The largest size in GiB a field takes: 1 PiB (far above any volume, far below overflow). */
export const MAX_SIZE_GIB = 1_048_576;

/** A size in GiB (a positive integer, at most 1 PiB); the unit is in the field name. */
export function sizeGiB(description: string) {
  return z
    .number({ error: (iss) => (typeof iss.input === 'string' ? 'must be a number of GiB without a unit, like 50' : undefined) })
    .int({ message: 'must be a whole number of GiB' })
    .positive({ message: 'must be greater than 0' })
    .max(MAX_SIZE_GIB, { message: `must be at most ${MAX_SIZE_GIB} (1 PiB)` })
    .describe(`${description} (at most 1048576, 1 PiB)`);
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

/** The components' Secret reference (constructs/core/settings.ts), which the schema's output fits. */
export type SecretRef = Conforms<z.output<typeof secretRef>, CoreSecretRef>;

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
