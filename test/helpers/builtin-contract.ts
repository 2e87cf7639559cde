/**
 * Built-in Kubernetes objects (Job, ConfigMap, Deployment...) validated against the API's own
 * OpenAPI schemas as published by `kubernetes-models`: types and required fields. Custom
 * resources go through crd-contract.ts instead.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

const MODELS_DIR = path.dirname(require.resolve('kubernetes-models/package.json'));

/** True when `kubernetes-models` has a class for this apiVersion/kind (a built-in kind). */
export function isBuiltinKind(apiVersion: string, kind: string): boolean {
  return fs.existsSync(path.join(MODELS_DIR, apiVersion, `${kind}.js`));
}

/** Validation errors of a built-in object (empty when valid). */
export function validateBuiltinObject(obj: { apiVersion: string; kind: string; metadata?: { name?: string } }): string[] {
  if (!isBuiltinKind(obj.apiVersion, obj.kind)) return [`${obj.kind} (${obj.apiVersion}) is not a built-in Kubernetes kind`];
  const mod = require(`kubernetes-models/${obj.apiVersion}/${obj.kind}`) as Record<string, ModelClass>;
  const Model = mod[obj.kind] as ModelClass;
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    return [`${obj.kind} "${obj.metadata?.name ?? '?'}" (${obj.apiVersion}): ${e instanceof Error ? e.message : String(e)}`];
  }
}
