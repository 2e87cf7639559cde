import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderCustomResourceChart } from '../../constructs/core/custom-resource-chart.render';
import type { KubeManifest } from '../../constructs/core/manifest';
import { helmLint, helmTemplate } from '../helpers/helm-render';

const RULE: KubeManifest = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: 'gpu', namespace: 'mlobs' },
  spec: {
    groups: [
      {
        name: 'gpu',
        rules: [{ alert: 'GpuXid', expr: 'DCGM_FI_DEV_XID_ERRORS > 0', annotations: { summary: 'Xid {{ $value }} on {{ $labels.Hostname }}' } }],
      },
    ],
  },
};
const ISSUER: KubeManifest = { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'x', namespace: 'mlobs' }, spec: { selfSigned: {} } };

function writeChart(files: Readonly<Record<string, string>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-chart-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

test('the generated chart renders with real helm, and template text in manifests is not evaluated', () => {
  const chart = renderCustomResourceChart({ name: 'mlobs-resources', description: 'test', manifests: [ISSUER, RULE] });
  const dir = writeChart(chart.files);
  const objs = helmTemplate({ chart: 'mlobs-resources', chartDir: dir });
  assert.deepEqual(
    objs.map((o) => `${o.kind}/${o.metadata.name}`),
    ['Issuer/x', 'PrometheusRule/gpu'],
  );
  const rule = objs[1] as unknown as typeof RULE & { spec: { groups: { rules: { annotations: { summary: string } }[] }[] } };
  assert.equal(rule.spec.groups[0]?.rules[0]?.annotations.summary, 'Xid {{ $value }} on {{ $labels.Hostname }}');
  assert.match(helmLint(dir), /1 chart\(s\) linted, 0 chart\(s\) failed/);
});

test('the chart version changes with any manifest change and stays stable otherwise', () => {
  const a = renderCustomResourceChart({ name: 'c', description: 'd', manifests: [ISSUER] });
  const b = renderCustomResourceChart({ name: 'c', description: 'd', manifests: [ISSUER] });
  const c = renderCustomResourceChart({ name: 'c', description: 'd', manifests: [{ ...ISSUER, metadata: { ...ISSUER.metadata, labels: { a: 'b' } } }] });
  assert.equal(a.version, b.version);
  assert.notEqual(a.version, c.version);
  assert.match(a.version, /^0\.1\.0-h[0-9a-f]{12}$/);
});

test('two manifests with the same identity are rejected with both names', () => {
  assert.throws(
    () => renderCustomResourceChart({ name: 'c', description: 'd', manifests: [ISSUER, ISSUER] }),
    /c: two manifests define Issuer "x" in namespace "mlobs"/,
  );
});

test('an empty chart still renders (an environment with no custom resources yet)', () => {
  const dir = writeChart(renderCustomResourceChart({ name: 'empty', description: 'd', manifests: [] }).files);
  assert.deepEqual(helmTemplate({ chart: 'empty', chartDir: dir }), []);
});
