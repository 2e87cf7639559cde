import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { CHARTS, IMAGES, type PinnedChart } from '../../constructs/versions';
import { REPO_ROOT, sharedPath } from '../helpers/paths';

interface Pin {
  readonly chart: string;
  readonly version: string;
  readonly repository: string;
  readonly appVersion: string;
  readonly alternative?: boolean;
  readonly deprecated?: boolean;
  readonly subchartOf?: string;
  readonly valuesPrefix?: string;
  readonly image?: string;
}

const PINS = JSON.parse(fs.readFileSync(sharedPath('charts', 'pins.json'), 'utf8')) as Pin[];

test('versions.ts pins exactly the charts of ../shared/charts/pins.json (alternatives only where the project adopts them)', () => {
  const adopted = new Set(
    Object.values(CHARTS as Record<string, PinnedChart>)
      .filter((c) => c.adoptedAlternative)
      .map((c) => `${c.chart}@${c.version}`),
  );
  for (const a of adopted) assert.ok(PINS.some((p) => p.alternative && `${p.chart}@${p.version}` === a), `${a} is adopted from an alternative that ../shared does not vendor`);
  const ours = Object.values(CHARTS as Record<string, PinnedChart>)
    .map((c) => ({
      chart: c.chart,
      version: c.version,
      repository: c.repository,
      appVersion: c.appVersion,
      ...(c.subchartOf ? { subchartOf: c.subchartOf.chart, valuesPrefix: c.subchartOf.valuesPrefix } : {}),
      ...(c.deprecated ? { deprecated: true } : {}),
    }))
    .sort((a, b) => a.chart.localeCompare(b.chart));
  const theirs = PINS.filter((p) => !p.alternative || adopted.has(`${p.chart}@${p.version}`))
    .map((p) => ({
      chart: p.chart,
      version: p.version,
      repository: p.repository,
      appVersion: p.appVersion,
      ...(p.subchartOf ? { subchartOf: p.subchartOf, valuesPrefix: p.valuesPrefix } : {}),
      ...(p.deprecated ? { deprecated: true } : {}),
    }))
    .sort((a, b) => a.chart.localeCompare(b.chart));
  assert.deepEqual(ours, theirs);
});

test('image tags match the pins', () => {
  const dcgm = PINS.find((p) => p.chart === 'dcgm-exporter');
  assert.equal(`${IMAGES.dcgmExporter.repository}:${IMAGES.dcgmExporter.tag}`, dcgm?.image);
});

test('each pinned version is the version in the vendored Chart.yaml', () => {
  for (const c of Object.values(CHARTS as Record<string, PinnedChart>)) {
    const chartYaml = parse(fs.readFileSync(sharedPath('charts', c.chart, c.version, 'Chart.yaml'), 'utf8')) as { version: string; name: string };
    assert.equal(chartYaml.name, c.chart);
    // cert-manager's Chart.yaml in git carries v0.0.0 placeholders (see PROVENANCE.md).
    if (chartYaml.version !== 'v0.0.0') assert.equal(chartYaml.version, c.version, c.chart);
  }
});

test('no construct or renderer hard-codes a chart version', () => {
  const versions = Object.values(CHARTS as Record<string, PinnedChart>).map((c) => c.version);
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !p.endsWith(path.join('constructs', 'versions.ts'))) {
        const text = fs.readFileSync(p, 'utf8');
        for (const v of versions) if (text.includes(`'${v}'`) || text.includes(`"${v}"`)) offenders.push(`${path.relative(REPO_ROOT, p)}: ${v}`);
      }
    }
  };
  walk(path.join(REPO_ROOT, 'constructs'));
  walk(path.join(REPO_ROOT, 'stacks'));
  assert.deepEqual(offenders, []);
});
