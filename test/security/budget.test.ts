/**
 * `mlobs budget`: the arithmetic on a small fixture, and dev held within 4 vCPU / 8 GiB of
 * requests (replicated workloads plus one node's DaemonSets: dev is a one-node cluster).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import * as path from 'node:path';
import { budgetOf, formatBudgetTable, parseQuantity, podAmounts, workloadsOf, type Budget, type RenderedObject } from '../../cli/budget';
import { main } from '../../cli/main';
import { REPO_ROOT } from '../helpers/paths';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

const res = (cpu: string, mem: string, limMem: string, limCpu?: string): Record<string, unknown> => ({
  requests: { cpu, memory: mem },
  limits: { memory: limMem, ...(limCpu ? { cpu: limCpu } : {}) },
});

/** Two replicas of two containers, a DaemonSet, an Elasticsearch with two node sets, a Prometheus CR, a Job. */
const FIXTURE: RenderedObject[] = [
  {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'ns' },
    spec: {
      replicas: 2,
      template: {
        spec: {
          initContainers: [{ name: 'init', resources: res('2', '64Mi', '64Mi') }],
          containers: [
            { name: 'a', resources: res('250m', '256Mi', '512Mi', '1') },
            { name: 'b', resources: res('0.25', '256Mi', '512Mi') },
          ],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { resources: { requests: { storage: '10Gi' } } } }],
    },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'ns' },
    spec: { template: { spec: { containers: [{ name: 'agent', resources: res('100m', '128Mi', '256Mi') }] } } },
  },
  {
    apiVersion: 'elasticsearch.k8s.elastic.co/v1',
    kind: 'Elasticsearch',
    metadata: { name: 'es', namespace: 'ns' },
    spec: {
      nodeSets: [
        { name: 'hot', count: 3, podTemplate: { spec: { containers: [{ name: 'elasticsearch', resources: res('1', '4Gi', '4Gi') }] } }, volumeClaimTemplates: [{ metadata: { name: 'elasticsearch-data' }, spec: { resources: { requests: { storage: '100Gi' } } } }] },
        { name: 'warm', count: 1, podTemplate: { spec: { containers: [{ name: 'elasticsearch', resources: res('500m', '2Gi', '2Gi') }] } }, volumeClaimTemplates: [{ metadata: { name: 'elasticsearch-data' }, spec: { resources: { requests: { storage: '1Ti' } } } }] },
      ],
    },
  },
  {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'Prometheus',
    metadata: { name: 'prom', namespace: 'ns' },
    spec: { replicas: 2, resources: res('500m', '2Gi', '4Gi'), storage: { volumeClaimTemplate: { spec: { resources: { requests: { storage: '50Gi' } } } } } },
  },
  {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'setup', namespace: 'ns' },
    spec: { template: { spec: { containers: [{ name: 'apply', resources: res('50m', '64Mi', '128Mi') }] } } },
  },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ignored' } },
];

test('quantities: CPU in cores, memory and storage in bytes', () => {
  assert.equal(parseQuantity('250m', 'x'), 0.25);
  assert.equal(parseQuantity('1.5', 'x'), 1.5);
  assert.equal(parseQuantity(2, 'x'), 2);
  assert.equal(parseQuantity('512Mi', 'x'), 512 * MiB);
  assert.equal(parseQuantity('1Ti', 'x'), 1024 * GiB);
  assert.equal(parseQuantity('1G', 'x'), 1e9);
  assert.equal(parseQuantity('1e3', 'x'), 1000);
  assert.throws(() => parseQuantity('2 GB', 'Deployment/x container y requests.memory'), /Deployment\/x container y requests.memory: "2 GB" is not a Kubernetes quantity/);
});

test('workloads: kinds, replicas, node sets and schedules from rendered objects', () => {
  const w = workloadsOf('r', FIXTURE);
  assert.deepEqual(
    w.map((x) => [x.id, x.schedule, x.replicas]),
    [
      ['StatefulSet/db', 'replicated', 2],
      ['DaemonSet/agent', 'per-node', 1],
      ['Elasticsearch/es/hot', 'replicated', 3],
      ['Elasticsearch/es/warm', 'replicated', 1],
      ['Prometheus/prom', 'replicated', 2],
      ['Job/setup', 'job', 1],
    ],
  );
});

test('a pod counts init containers as the scheduler does: max(sum of containers, largest init)', () => {
  const db = workloadsOf('r', FIXTURE)[0];
  const a = podAmounts(db);
  assert.equal(a.cpuRequests, 2); // init 2 > 0.25 + 0.25
  assert.equal(a.memoryRequests, 512 * MiB); // 256Mi + 256Mi > init 64Mi
  assert.equal(a.cpuLimits, 1);
  assert.equal(a.memoryLimits, 1024 * MiB);
  assert.equal(a.storage, 10 * GiB);
});

test('totals: replicated times replicas, DaemonSets per node, Jobs apart', () => {
  const b = budgetOf('fixture', workloadsOf('r', FIXTURE));
  // db 2 x (2 cpu, 512Mi, 10Gi) + es hot 3 x (1, 4Gi, 100Gi) + es warm (0.5, 2Gi, 1Ti) + prom 2 x (0.5, 2Gi, 50Gi)
  assert.equal(b.replicated.cpuRequests, 4 + 3 + 0.5 + 1);
  assert.equal(b.replicated.memoryRequests, 1 * GiB + 12 * GiB + 2 * GiB + 4 * GiB);
  assert.equal(b.replicated.memoryLimits, 2 * GiB + 12 * GiB + 2 * GiB + 8 * GiB);
  assert.equal(b.replicated.cpuLimits, 2);
  assert.equal(b.replicated.storage, 20 * GiB + 300 * GiB + 1024 * GiB + 100 * GiB);
  assert.deepEqual(b.perNode, { cpuRequests: 0.1, cpuLimits: 0, memoryRequests: 128 * MiB, memoryLimits: 256 * MiB, storage: 0 });
  assert.equal(b.jobs.cpuRequests, 0.05);
  const table = formatBudgetTable(b);
  assert.match(table, /^Elasticsearch\/es\/hot\s+r\s+3\s+3\s+-\s+12\.00\s+12\.00\s+300\.00$/m);
  assert.match(table, /^= replicated total\s+8\.5\s+2\s+19\.00\s+24\.00\s+1444\.00$/m);
  assert.match(table, /^= per node \(DaemonSets\) total\s+x nodes\s+0\.1\s+-\s+0\.13\s+0\.25\s+-$/m);
});

async function runCli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main(args, { stdin: new PassThrough(), stdout, stderr });
  return { code, out, err };
}

test('dev fits 4 vCPU / 8 GiB of requests (replicated workloads plus one node of DaemonSets)', async () => {
  const { code, out, err } = await runCli(['budget', 'dev', '--config-dir', path.join(REPO_ROOT, 'config'), '--format', 'json']);
  assert.equal(code, 0, err);
  const b = JSON.parse(out) as Budget;
  assert.equal(b.environment, 'dev');
  const kinds = new Set(b.rows.map((r) => r.workload.split('/')[0]));
  for (const k of ['Prometheus', 'Elasticsearch', 'StatefulSet', 'DaemonSet', 'Beat']) assert.ok(kinds.has(k), `dev budget counts ${k} workloads`);
  assert.deepEqual(b.rows.filter((r) => r.unsetRequests.length > 0).map((r) => r.workload), [], 'every container has a memory request');
  const cpu = b.replicated.cpuRequests + b.perNode.cpuRequests;
  const mem = b.replicated.memoryRequests + b.perNode.memoryRequests;
  assert.ok(cpu <= 4, `dev requests ${cpu} vCPU, more than 4`);
  assert.ok(mem <= 8 * GiB, `dev requests ${(mem / GiB).toFixed(2)} GiB, more than 8`);
  assert.ok(b.replicated.storage > 0, 'storage is counted');
});

test('budget: a clear error for an unknown environment and for a missing helm', async () => {
  const unknown = await runCli(['budget', 'nope', '--config-dir', path.join(REPO_ROOT, 'config')]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /no environment "nope" in .*config; have: dev, prod, staging/);
  const saved = process.env.MLOBS_HELM;
  process.env.MLOBS_HELM = '/nonexistent/helm';
  try {
    const noHelm = await runCli(['budget', 'dev', '--config-dir', path.join(REPO_ROOT, 'config')]);
    assert.equal(noHelm.code, 1);
    assert.match(noHelm.err, /MLOBS_HELM is "\/nonexistent\/helm", which does not exist/);
  } finally {
    if (saved === undefined) delete process.env.MLOBS_HELM;
    else process.env.MLOBS_HELM = saved;
  }
});
