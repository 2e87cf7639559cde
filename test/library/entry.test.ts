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
      'environmentSchema', 'renderPrometheusRule', 'CHARTS', 'NetworkFlows'];
    const missing = names.filter((n) => typeof m[n] === 'undefined');
    const namespaces = ['metrics', 'gpu', 'training', 'loki', 'elastic', 'tls', 'mllogs'].filter((n) => typeof m[n] !== 'object');
    process.stdout.write(JSON.stringify({ missing, namespaces, wrote: fs.readdirSync('.').filter((f) => !before.includes(f)) }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-entry-')), encoding: 'utf8' })) as { missing: string[]; namespaces: string[]; wrote: string[] };
  assert.deepEqual(out, { missing: [], namespaces: [], wrote: [] });
});

test('README example: a team composes ObservabilityStack into its own TerraformStack', () => {
  const lib = require(path.join(REPO_ROOT, 'dist', 'index.js')) as typeof import('../../index');
  const { Testing, TerraformStack } = require('cdktf') as typeof import('cdktf');
  const { KubernetesProvider } = require('@cdktf/provider-kubernetes/lib/provider') as typeof import('@cdktf/provider-kubernetes/lib/provider');
  const { HelmProvider } = require('@cdktf/provider-helm/lib/provider') as typeof import('@cdktf/provider-helm/lib/provider');
  const stack = new TerraformStack(Testing.app(), 'team-ml');
  new KubernetesProvider(stack, 'k8s', { configPath: '~/.kube/config' });
  new HelmProvider(stack, 'helm', { kubernetes: { configPath: '~/.kube/config' } });
  const env = lib.parseEnvironment('team-ml', { grafana: { adminCredentials: { secretName: 'grafana-admin' } }, logs: { pipelines: ['loki'] } });
  const obs = new lib.ObservabilityStack(stack, 'mlobs', lib.observabilityPropsFor(env.name, env.settings));
  const tf = JSON.parse(Testing.synth(stack)) as { resource: { helm_release: Record<string, { name: string }> } };
  const releases = Object.values(tf.resource.helm_release).map((r) => r.name);
  assert.ok(releases.includes('mlobs-resources'), releases.join(', '));
  assert.ok(obs.metrics, 'metrics component');
});
