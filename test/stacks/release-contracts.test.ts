/**
 * Contract tests over every synthesized environment: each helm_release either installs a
 * pinned chart (its values keys exist in that chart, and the real helm renders it) or our
 * generated custom-resource chart (it renders, and each resource validates against its CRD).
 * New components are covered without new test code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { CHARTS, type PinnedChart } from '../../constructs/versions';
import { synthesizeAll } from '../../stacks/app';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { isBuiltinKind, validateBuiltinObject } from '../helpers/builtin-contract';
import { assertValuesKeysExist } from '../helpers/helm-values-contract';
import { helmTemplate } from '../helpers/helm-render';
import { REPO_ROOT } from '../helpers/paths';
import type { TerraformJson } from '../helpers/synth';

const OUTDIR = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-contract-')), 'cdktf.out');
const envs = synthesizeAll({ configDir: path.join(REPO_ROOT, 'config'), outdir: OUTDIR });
const PINNED = new Map(Object.values(CHARTS as Record<string, PinnedChart>).map((c) => [`${c.repository}|${c.chart}`, c]));

for (const env of envs) {
  const stackDir = path.join(OUTDIR, 'stacks', env.name);
  const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as TerraformJson;
  for (const r of Object.values(tf.resource?.helm_release ?? {})) {
    const name = String(r.name);
    const values = ((r.values as string[] | undefined) ?? []).map((v) => parse(v, { version: '1.1' }) as unknown);
    if (r.repository === undefined) {
      test(`${env.name}/${name}: the generated chart renders; custom resources validate against their CRDs, built-in objects against the API schema`, () => {
        const objs = helmTemplate({ chart: name, chartDir: path.join(stackDir, String(r.chart)), namespace: String(r.namespace) });
        for (const o of objs) {
          if (isBuiltinKind(o.apiVersion, o.kind)) assert.deepEqual(validateBuiltinObject(o), []);
          else assertValidCustomResource(o);
        }
      });
      continue;
    }
    test(`${env.name}/${name}: pinned chart, known values keys, renders with helm`, () => {
      const pin = PINNED.get(`${String(r.repository)}|${String(r.chart)}`);
      assert.ok(pin, `release ${name} installs ${String(r.repository)} ${String(r.chart)}, which is not a pinned chart`);
      assert.equal(r.version, pin.version);
      assert.equal(values.length, 1, 'values are passed as one YAML document');
      assertValuesKeysExist(pin.chart, values[0]);
      const objs = helmTemplate({ chart: pin.chart, values: values[0], releaseName: name, namespace: String(r.namespace) });
      assert.ok(objs.length > 0, 'the chart renders objects');
    });
  }
}
