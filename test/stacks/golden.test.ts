/**
 * One golden file per environment: the synthesized cdk.tf.json, reviewed as a diff in pull
 * requests. Targeted assertions live in the other stack tests; this one catches everything
 * else that changes. Refresh after an intended change: UPDATE_GOLDEN=1 npm test
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesizeAll } from '../../stacks/app';
import { REPO_ROOT } from '../helpers/paths';

const GOLDEN_DIR = path.join(REPO_ROOT, 'test', 'golden');
const OUTDIR = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-golden-')), 'cdktf.out');
const envs = synthesizeAll({ configDir: path.join(REPO_ROOT, 'config'), outdir: OUTDIR });

for (const env of envs) {
  test(`${env.name}: synthesized stack equals test/golden/${env.name}.tf.json`, () => {
    const actual = fs.readFileSync(path.join(OUTDIR, 'stacks', env.name, 'cdk.tf.json'), 'utf8');
    const golden = path.join(GOLDEN_DIR, `${env.name}.tf.json`);
    if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(golden, actual);
    assert.ok(fs.existsSync(golden), `missing ${path.relative(REPO_ROOT, golden)}; run UPDATE_GOLDEN=1 npm test and review the diff`);
    assert.equal(actual, fs.readFileSync(golden, 'utf8'), `${env.name} changed; if intended, run UPDATE_GOLDEN=1 npm test and review the diff`);
  });
}
