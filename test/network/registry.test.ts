import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_PORTS, KUBE_API_SERVER, NetworkFlows, podMonitorTarget, type Workload } from '../../constructs/core/network';
import { receiverDestinations } from '../../constructs/metrics/kube-prometheus-stack';
import { validateBuiltinObject } from '../helpers/builtin-contract';
import { isAllowed, policiesOf, type Endpoint } from './helpers';
import { synthEnvironment } from '../helpers/synth';
import { loadEnvironmentFile } from '../metrics/env-files';

const NS = { 'kubernetes.io/metadata.name': 'obs' };
const web: Workload = { name: 'web', podSelector: { app: 'web' } };
const db: Workload = { name: 'db', podSelector: { app: 'db' } };
const other: Workload = { name: 'other', podSelector: { app: 'other' } };
const pod = (w: Workload): Endpoint => ({ labels: w.podSelector, namespace: NS });

function registry(withFlow: boolean, restrictWeb = true): NetworkFlows {
  const n = new NetworkFlows({ namespace: 'obs', labels: { team: 'x' } });
  if (restrictWeb) n.restrictEgress(web);
  if (withFlow) n.allow(web, db, { port: 5432 }, 'web reads the database');
  n.allow(other, web, { port: 8080 }, 'other calls web');
  return n;
}

test('registry: default deny of ingress for the whole namespace comes first', () => {
  const [deny] = registry(true).render();
  assert.deepEqual(deny, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: 'mlobs-default-deny-ingress',
      namespace: 'obs',
      labels: { team: 'x' },
      annotations: { 'mlobs.dev/flows': 'Deny all ingress to pods of this namespace; the other policies allow only the flows the stack needs.' },
    },
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
  });
});

test('registry: one allow renders both sides, the ingress rule on the target and the egress rule on the restricted source', () => {
  const policies = registry(true).render();
  const byName = new Map(policies.map((p) => [p.metadata.name, p.spec as Record<string, unknown>]));
  assert.deepEqual(byName.get('mlobs-db'), {
    podSelector: { matchLabels: { app: 'db' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432, protocol: 'TCP' }] }],
  });
  assert.deepEqual(byName.get('mlobs-web')?.egress, [
    {
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    },
    { to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432, protocol: 'TCP' }] },
  ]);
  assert.deepEqual(byName.get('mlobs-web')?.policyTypes, ['Ingress', 'Egress']);
  const p = policiesOf(policies);
  assert.equal(isAllowed(p, NS, pod(web), pod(db), { number: 5432 }), true);
  assert.equal(isAllowed(p, NS, pod(web), pod(db), { number: 5433 }), false);
  assert.equal(isAllowed(p, NS, pod(db), pod(web), { number: 8080 }), false, 'db is not allowed to call web');
  assert.equal(isAllowed(p, NS, pod(web), pod(other), { number: 8080 }), false, 'web egress is restricted and has no flow to other');
});

test('registry: removing the allow removes both sides and nothing else', () => {
  const withFlow = registry(true).render();
  const without = registry(false).render();
  assert.equal(without.find((p) => p.metadata.name === 'mlobs-db'), undefined, 'db has no inbound flow left: no policy');
  const webWith = withFlow.find((p) => p.metadata.name === 'mlobs-web')?.spec as { egress: unknown[]; ingress: unknown[] };
  const webWithout = without.find((p) => p.metadata.name === 'mlobs-web')?.spec as { egress: unknown[]; ingress: unknown[] };
  assert.equal(webWith.egress.length, 2);
  assert.equal(webWithout.egress.length, 1, 'only DNS is left');
  assert.deepEqual(webWithout.ingress, webWith.ingress, 'the unrelated flow other → web is untouched');
  assert.equal(isAllowed(policiesOf(without), NS, pod(web), pod(db), { number: 5432 }), false);
});

test('registry: without restricted egress only the ingress side is written', () => {
  const policies = registry(true, false).render();
  const webPolicy = policies.find((p) => p.metadata.name === 'mlobs-web')?.spec as Record<string, unknown>;
  assert.deepEqual(webPolicy.policyTypes, ['Ingress']);
  assert.equal(webPolicy.egress, undefined);
  assert.equal(isAllowed(policiesOf(policies), NS, pod(web), pod(db), { number: 5432 }), true, 'open egress, ingress rule on db');
  assert.equal(isAllowed(policiesOf(policies), NS, pod(web), pod(other), { number: 8080 }), false, 'other has no inbound flow: the default deny holds');
});

test('registry: the same flow recorded twice is one rule; ports of one peer merge and sort', () => {
  const n = new NetworkFlows({ namespace: 'obs' });
  n.allow(web, db, { port: 5432 }, 'a').allow(web, db, { port: 5432 }, 'a').allow(web, db, [{ port: 9187 }, { port: 53, protocol: 'UDP' }], 'b');
  assert.equal(n.flows.length, 2);
  const spec = n.render().find((p) => p.metadata.name === 'mlobs-db')?.spec as { ingress: unknown[] };
  assert.deepEqual(spec.ingress, [
    {
      from: [{ podSelector: { matchLabels: { app: 'web' } } }],
      ports: [
        { port: 5432, protocol: 'TCP' },
        { port: 9187, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
    },
  ]);
});

test('registry: anywhere has no from, ALL_PORTS has no ports, other namespaces carry a namespaceSelector', () => {
  const ingressNs: Workload = { name: 'ingress', podSelector: {}, namespaceSelector: { 'kubernetes.io/metadata.name': 'ingress-nginx' } };
  const n = new NetworkFlows({ namespace: 'obs' });
  n.allow(KUBE_API_SERVER, web, { port: 9443 }, 'webhook').allow(ingressNs, web, { port: 3000 }, 'ui').allow(other, web, ALL_PORTS, 'all');
  n.restrictEgress(web).allow(web, { anywhere: true, name: 'receivers' }, { port: 443 }, 'notify');
  const spec = n.render().find((p) => p.metadata.name === 'mlobs-web')?.spec as { ingress: unknown[]; egress: unknown[] };
  assert.deepEqual(spec.ingress, [
    { ports: [{ port: 9443, protocol: 'TCP' }] },
    { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } }, podSelector: {} }], ports: [{ port: 3000, protocol: 'TCP' }] },
    { from: [{ podSelector: { matchLabels: { app: 'other' } } }] },
  ]);
  assert.deepEqual(spec.egress[1], { ports: [{ port: 443, protocol: 'TCP' }] });
  for (const p of n.render()) assert.deepEqual(validateBuiltinObject(p), []);
});

test('registry: errors name the problem and the fix', () => {
  const n = new NetworkFlows({ namespace: 'obs' });
  n.allow(web, db, { port: 1 }, 'x');
  assert.throws(() => n.allow({ name: 'web', podSelector: { app: 'web2' } }, db, { port: 1 }, 'x'), /workload "web" is recorded with two selectors: \{"app":"web"\} and \{"app":"web2"\}; give each set of pods its own name/);
  assert.throws(() => n.allow(web, db, [], 'empty'), /network flow web -> db \("empty"\): needs at least one port, or ALL_PORTS/);
  assert.throws(() => n.restrictEgress({ name: 'x', podSelector: {}, namespaceSelector: {} }), /workload "x" is not in namespace obs: its egress is not this stack's to restrict/);
  n.render('the test');
  assert.throws(() => n.allow(web, other, { port: 1 }, 'late'), /cannot allow web -> other: the NetworkPolicies were already rendered by the test; record flows before that/);
});

test('registry: workloadFor reuses the workload recorded with the same selector', () => {
  const n = new NetworkFlows({ namespace: 'obs' });
  n.allow(web, db, { port: 1 }, 'x');
  assert.equal(n.workloadFor({ app: 'web' }, other), web);
  assert.equal(n.workloadFor({ app: 'nope' }, other), other);
});

test('podMonitorTarget: pods and port names of a PodMonitor in the namespace; none for other namespaces', () => {
  const pm = (namespaceSelector: unknown) => ({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: 'alloy', namespace: 'obs' },
    spec: { selector: { matchLabels: { app: 'alloy' } }, namespaceSelector, podMetricsEndpoints: [{ port: 'http-metrics' }] },
  });
  assert.deepEqual(podMonitorTarget(pm({ matchNames: ['obs'] }), 'obs'), { workload: { name: 'metrics-alloy', podSelector: { app: 'alloy' } }, ports: [{ port: 'http-metrics' }] });
  assert.deepEqual(podMonitorTarget(pm(undefined), 'obs')?.ports, [{ port: 'http-metrics' }]);
  assert.equal(podMonitorTarget(pm({ any: true }), 'obs'), undefined);
  assert.equal(podMonitorTarget(pm({ matchNames: ['elsewhere'] }), 'obs'), undefined);
});

test('receiverDestinations: ports from the receivers; in-cluster webhooks by namespace; unknown when a URL is secret', () => {
  const ref = { name: 's', key: 'k' };
  assert.deepEqual(
    receiverDestinations([
      { type: 'slack', name: 'a', apiUrl: ref, channel: '#x', sendResolved: true },
      { type: 'pagerduty', name: 'b', routingKey: ref, sendResolved: true },
      { type: 'email', name: 'c', to: 'a@b.c', from: 'a@b.c', smarthost: 'smtp.example.com:587', requireTls: true, sendResolved: false },
      { type: 'webhook', name: 'd', url: 'http://remediator.ml-platform.svc:8080/alerts', maxAlerts: 0, sendResolved: true },
      { type: 'webhook', name: 'e', url: 'https://hooks.example.com/x', maxAlerts: 0, sendResolved: true },
    ]),
    { external: [{ port: 443 }, { port: 587 }], namespaces: ['ml-platform'] },
  );
  assert.deepEqual(receiverDestinations([]), { external: [], namespaces: [] });
  assert.equal(receiverDestinations([{ type: 'webhook', name: 'd', urlSecret: ref, maxAlerts: 0, sendResolved: true }]), undefined);
});

test('no selector is written as an empty matchLabels (the API server stores {} and would read back differently)', () => {
  for (const env of ['dev', 'staging', 'prod'] as const) {
    const r = synthEnvironment(loadEnvironmentFile(env), env);
    const policies = JSON.stringify(r.customResources.filter((m) => m.kind === 'NetworkPolicy'));
    assert.ok(policies.length > 100, env);
    assert.doesNotMatch(policies, /"matchLabels":\{\}/, env);
  }
});
