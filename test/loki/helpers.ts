/** Fixtures of the Loki tests: golden text files under test/loki/golden, ConfigMaps of a synthesized stack. */
import { templateText } from '../../constructs/core/terraform-literal';
import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { REPO_ROOT } from '../helpers/paths';
import type { TerraformJson } from '../helpers/synth';

export const LOKI_GOLDEN_DIR = path.join(REPO_ROOT, 'test', 'loki', 'golden');

/** Compares generated text to test/loki/golden/<name>; `UPDATE_GOLDEN=1` rewrites it instead. */
export function assertTextGolden(name: string, actual: string): void {
  const file = path.join(LOKI_GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(LOKI_GOLDEN_DIR, { recursive: true });
    fs.writeFileSync(file, actual);
  }
  assert.ok(fs.existsSync(file), `missing test/loki/golden/${name}; run UPDATE_GOLDEN=1 npm test and review the diff`);
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `test/loki/golden/${name} changed; if intended, run UPDATE_GOLDEN=1 npm test and review the diff`);
}

/** The data of the `kubernetes_config_map_v1` named `name` in a synthesized stack. */
export function configMapData(tf: TerraformJson, name: string): Readonly<Record<string, string>> {
  const cms = Object.values(tf.resource?.kubernetes_config_map_v1 ?? {}) as { metadata: { name: string }; data: Record<string, string> }[];
  const cm = cms.find((c) => c.metadata.name === name);
  assert.ok(cm, `no ConfigMap ${name}; have: ${cms.map((c) => c.metadata.name).join(', ')}`);
  // As the cluster receives it: Terraform reads each (escaped) string as literal text.
  return Object.fromEntries(Object.entries(cm.data).map(([k, v]) => [k, templateText(v)]));
}
