/** Golden files of the Elastic pipeline's generated configs (test/elastic/golden/). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { REPO_ROOT } from '../helpers/paths';

export const ELASTIC_GOLDEN_DIR = path.join(REPO_ROOT, 'test', 'elastic', 'golden');

/** Compares text to test/elastic/golden/<name>; `UPDATE_GOLDEN=1` rewrites it instead. */
export function assertElasticGolden(name: string, actual: string): void {
  const file = path.join(ELASTIC_GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, actual);
  assert.ok(fs.existsSync(file), `missing test/elastic/golden/${name}; run UPDATE_GOLDEN=1 npm test and review the diff`);
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `${name} changed; if intended, run UPDATE_GOLDEN=1 npm test and review the diff`);
}
