/**
 * OpenTofu parses and checks every environment's synthesized configuration the way `cdktf deploy`
 * would start: `tofu init` (backend skipped: s3/gcs need credentials) with a provider mirror that
 * holds nothing, because the pinned providers cannot be built here. It must get past the
 * configuration and fail only at the providers; a configuration error (such as `${...}` in
 * `depends_on`, which Terraform and OpenTofu refuse) fails the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesizeAll } from '../../stacks/app';
import { REPO_ROOT } from '../helpers/paths';
import { initStopsOnlyAtProviders } from '../helpers/tofu';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-tofu-init-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const OUTDIR = path.join(tmp, 'cdktf.out');
const envs = synthesizeAll({ configDir: path.join(REPO_ROOT, 'config'), outdir: OUTDIR });
for (const env of envs) {
  test(`${env.name}: tofu init reads the configuration and stops only at the (unbuildable) providers`, () => {
    const dir = path.join(OUTDIR, 'stacks', env.name);
    const tf = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')) as { resource: Record<string, Record<string, { depends_on?: string[] }>> };
    for (const [type, byName] of Object.entries(tf.resource)) {
      for (const [name, body] of Object.entries(byName)) {
        for (const d of body.depends_on ?? []) assert.match(d, /^[a-z0-9_]+\.[A-Za-z0-9_-]+$/, `${type}.${name}.depends_on: ${d} is not a bare reference`);
      }
    }
    initStopsOnlyAtProviders(dir);
  });
}
