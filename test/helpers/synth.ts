/**
 * Synthesizes stacks in memory for construct tests: from a config object (as a user would
 * write it in YAML) to the parsed cdk.tf.json, without touching config/ or cdktf.out.
 */
import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { parseEnvironment } from '../../config/load';
import type { EnvironmentConfig, EnvironmentInput } from '../../config/schema/environment';
import { EnvironmentStack } from '../../stacks/environment-stack';
import { APP_CONTEXT } from '../../stacks/app';
import type { KubeManifest } from '../../constructs/core/manifest';
import { templateText } from '../../constructs/core/terraform-literal';

/** A minimal valid environment input; tests spread their changes over it. */
export const MINIMAL_INPUT: EnvironmentInput = {
  grafana: { adminCredentials: { secretName: 'grafana-admin' } },
};

export interface SynthResult {
  readonly env: EnvironmentConfig;
  readonly stack: EnvironmentStack;
  /** The synthesized cdk.tf.json as a string (for cdktf's Testing matchers). */
  readonly json: string;
  /** The same, parsed. */
  readonly tf: TerraformJson;
  /** The custom resources shipped in the generated chart. */
  readonly customResources: readonly KubeManifest[];
}

export interface TerraformJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly provider?: Record<string, unknown[]>;
  readonly terraform?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

export function synthEnvironment(input: EnvironmentInput, name = 'test'): SynthResult {
  const env = parseEnvironment(name, input);
  const app = Testing.app({ context: { ...APP_CONTEXT } });
  const stack = new EnvironmentStack(app, env);
  const json = Testing.synth(stack);
  return { env, stack, json, tf: JSON.parse(json) as TerraformJson, customResources: stack.observability.resources.resources };
}

/** Every `helm_release` in a synthesized stack, keyed by release name. */
export function helmReleases(tf: TerraformJson): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const r of Object.values(tf.resource?.helm_release ?? {})) out.set(String(r.name), r);
  return out;
}

/** The Helm values of a release, parsed back from the YAML the stack passes to Helm. */
export function releaseValues(tf: TerraformJson, releaseName: string): Record<string, unknown> {
  const r = helmReleases(tf).get(releaseName);
  if (!r) throw new Error(`no helm_release named "${releaseName}"; have: ${[...helmReleases(tf).keys()].join(', ')}`);
  const values = r.values as string[] | undefined;
  // As Helm receives them: after Terraform has read the (escaped) literal text.
  return (values?.[0] ? parse(templateText(values[0]), { version: '1.1' }) : {}) as Record<string, unknown>;
}
