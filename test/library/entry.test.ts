import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/paths';

test('the package entry exports the constructs and config API, with no side effects on import', () => {
  // A fresh process from an empty directory: importing must not read config/ or write cdktf.out.
  const script = `
    const fs = require('fs');
    const before = fs.readdirSync('.');
    const m = require(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'index.js'))});
    const names = ['ObservabilityStack', 'EnvironmentStack', 'KubePrometheusStack', 'GpuMonitoring', 'TrainingMonitoring',
      'LokiPipeline', 'ElasticPipeline', 'Tls', 'PinnedRelease', 'CustomResourceChart', 'parseEnvironment', 'loadEnvironments',
      'environmentSchema', 'renderPrometheusRule', 'CHARTS'];
    const missing = names.filter((n) => typeof m[n] === 'undefined');
    const namespaces = ['metrics', 'gpu', 'training', 'loki', 'elastic', 'tls', 'mllogs'].filter((n) => typeof m[n] !== 'object');
    process.stdout.write(JSON.stringify({ missing, namespaces, wrote: fs.readdirSync('.').filter((f) => !before.includes(f)) }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-entry-')), encoding: 'utf8' })) as { missing: string[]; namespaces: string[]; wrote: string[] };
  assert.deepEqual(out, { missing: [], namespaces: [], wrote: [] });
});
