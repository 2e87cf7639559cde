/**
 * The responder's configuration from the environment: defaults (dry run on), every problem
 * reported at once, the fatal classification can only be narrowed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULT_EVENT_NAMESPACE, DEFAULT_GPU_NODE_SELECTOR, DEFAULT_PORT, parseConfig } from '../../responder/main';
import { DEFAULT_FATAL_ALERTS, DEFAULT_MAX_NODES, DEFAULT_MAX_PERCENT, DEFAULT_WINDOW_SECONDS } from '../../responder/policy';
import { DEFAULT_MAX_BODY_BYTES } from '../../responder/server';
import { tempFile } from './helpers';

const tokenFile = tempFile('token', 'abc\n');
const base = { RESPONDER_TOKEN_FILE: tokenFile, KUBERNETES_SERVICE_HOST: '10.96.0.1' };

function problems(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    parseConfig(env);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  assert.fail('expected a ConfigError');
}

test('defaults: dry run, the named limits, the stack\'s GPU selector, every fatal alert', () => {
  const c = parseConfig(base);
  assert.equal(c.policy.dryRun, true);
  assert.equal(c.policy.maxNodes, DEFAULT_MAX_NODES);
  assert.equal(c.policy.maxPercent, DEFAULT_MAX_PERCENT);
  assert.equal(c.policy.windowSeconds, DEFAULT_WINDOW_SECONDS);
  assert.deepEqual(c.policy.fatalAlerts, DEFAULT_FATAL_ALERTS);
  assert.equal(c.policy.nodeLabel, 'node');
  assert.equal(c.port, DEFAULT_PORT);
  assert.equal(c.gpuNodeSelector, DEFAULT_GPU_NODE_SELECTOR);
  assert.equal(c.eventNamespace, DEFAULT_EVENT_NAMESPACE);
  assert.equal(c.maxBodyBytes, DEFAULT_MAX_BODY_BYTES);
  assert.equal(c.podRef, undefined);
  assert.equal(c.kubeApi, undefined);
});

test('explicit settings', () => {
  const c = parseConfig({
    ...base,
    RESPONDER_DRY_RUN: 'false',
    RESPONDER_MAX_NODES: '5',
    RESPONDER_MAX_PERCENT: '12.5',
    RESPONDER_WINDOW_SECONDS: '600',
    PORT: '9000',
    RESPONDER_FATAL_ALERTS: 'GpuFellOffBus, GpuRowRemapFailure',
    RESPONDER_GPU_NODE_SELECTOR: 'pool=gpu',
    RESPONDER_NODE_LABEL: 'kubernetes_node',
    POD_NAME: 'resp-1',
    POD_NAMESPACE: 'mlobs',
    RESPONDER_KUBE_API_URL: 'https://api.example:6443/',
    RESPONDER_KUBE_TOKEN_FILE: tokenFile,
  });
  assert.equal(c.policy.dryRun, false);
  assert.equal(c.policy.maxNodes, 5);
  assert.equal(c.policy.maxPercent, 12.5);
  assert.equal(c.policy.windowSeconds, 600);
  assert.equal(c.port, 9000);
  assert.deepEqual(c.policy.fatalAlerts.map((f) => f.alert), ['GpuFellOffBus', 'GpuRowRemapFailure']);
  assert.equal(c.gpuNodeSelector, 'pool=gpu');
  assert.equal(c.policy.nodeLabel, 'kubernetes_node');
  assert.deepEqual(c.podRef, { name: 'resp-1', namespace: 'mlobs' });
  assert.deepEqual(c.kubeApi, { url: 'https://api.example:6443', tokenFile, caFile: undefined });
});

test('every invalid setting is reported, with its name, in one error', () => {
  const p = problems({
    RESPONDER_TOKEN_FILE: '/nonexistent/token',
    RESPONDER_DRY_RUN: 'yes',
    RESPONDER_MAX_NODES: '-1',
    RESPONDER_MAX_PERCENT: '150',
    RESPONDER_WINDOW_SECONDS: '1h',
    PORT: '70000',
    RESPONDER_FATAL_ALERTS: 'GpuFellOffBus,GpuTemperatureHigh',
    RESPONDER_GPU_NODE_SELECTOR: 'a in (b)',
    RESPONDER_NODE_LABEL: 'bad-label',
    RESPONDER_EVENT_NAMESPACE: 'Bad_NS',
  });
  const joined = p.join('\n');
  for (const k of ['RESPONDER_TOKEN_FILE', 'RESPONDER_DRY_RUN', 'RESPONDER_MAX_NODES', 'RESPONDER_MAX_PERCENT', 'RESPONDER_WINDOW_SECONDS', 'PORT', 'RESPONDER_FATAL_ALERTS', 'RESPONDER_GPU_NODE_SELECTOR', 'RESPONDER_NODE_LABEL', 'RESPONDER_EVENT_NAMESPACE', 'KUBERNETES_SERVICE_HOST']) {
    assert.match(joined, new RegExp(k), k);
  }
  assert.match(joined, /GpuTemperatureHigh not in the fatal classification/);
  assert.match(problems({ ...base, RESPONDER_MAX_PERCENT: '0' }).join(), /greater than 0/);
  assert.match(problems({ ...base, RESPONDER_TOKEN_FILE: tempFile('t', '  \n') }).join(), /empty/);
  assert.match(problems({ ...base, RESPONDER_KUBE_API_URL: 'http://x:1' }).join(), /RESPONDER_KUBE_TOKEN_FILE is required/);
  assert.match(problems({ ...base, RESPONDER_DRY_RUN: 'False' }).join(), /expected "true" or "false"/);
});
