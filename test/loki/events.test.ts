/**
 * Kubernetes events into Loki (constructs/loki/events.render.ts): the generated pipeline executed
 * stage by stage on event lines shaped as Alloy's kubernetes_events source writes them (JSON of a
 * Go map: keys sorted), the job read from the involved object exactly as the contract's reference
 * reads it; the chart rendered by helm: one replica, events-only RBAC, Pod Security restricted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventJob, EVENTS_SOURCE, JOB_OBJECT_KINDS } from '../../constructs/contracts/k8s-events';
import { DEFAULT_EVENTS, EVENTS_RBAC_RULE, EVENTS_RELEASE, renderEventsAlloyConfig, renderEventsAlloyValues } from '../../constructs/loki/events.render';
import { loadAlloyPipeline } from '../helpers/alloy-executor';
import { EVENT_OBJECT_CASES } from '../helpers/k8s-events';
import { findObject, findObjects, helmTemplate } from '../helpers/helm-render';
import { pinnedChartVersion } from '../helpers/helm-values-contract';
import { ConfigError, parseEnvironment } from '../../config';

const COMMON = { namespace: 'mlobs', agentsNamespace: 'mlobs-agents', clusterName: 't', environment: 't', labels: {}, monitorSelector: {} };
const LOKI = { url: 'http://loki-gateway.mlobs.svc:80', pushUrl: 'http://loki-gateway.mlobs.svc:80/loki/api/v1/push', tls: true, caSecretName: 'loki-gateway-tls' };
const PROPS = { common: COMMON, loki: LOKI, events: DEFAULT_EVENTS };

/** An event line as the source writes it with log_format json (a Go map marshalled: sorted keys). */
function eventLine(kind: string, name: string, reason: string, type = 'Warning'): string {
  const fields: Record<string, unknown> = { count: 3, eventRV: '812', kind, msg: `${reason} for ${name}`, name, objectAPIversion: 'v1', reason, reportingcontroller: 'kubelet', type };
  return JSON.stringify(Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))));
}

const SOURCE_LABELS = { namespace: 'team-a', job: 'loki.source.kubernetes_events', instance: 'loki.source.kubernetes_events.events' };

const CASES = EVENT_OBJECT_CASES;

test('the events pipeline labels the job exactly as the contract reads it from the involved object', () => {
  const pipeline = loadAlloyPipeline(renderEventsAlloyConfig(PROPS), 'events');
  const seen = new Set<string | undefined>();
  for (const [kind, name] of CASES) {
    const run = pipeline.run(eventLine(kind, name, 'BackOff'), SOURCE_LABELS);
    const expected = eventJob(kind, name);
    seen.add(expected);
    assert.equal(run.labels.job, expected, `${kind}/${name}`);
    assert.equal(run.labels.source, EVENTS_SOURCE);
    assert.equal(run.labels.type, 'Warning');
    assert.equal(run.labels.namespace, 'team-a');
    assert.equal(run.labels.instance, undefined, 'the component instance label is dropped');
    assert.equal(run.labels.mlobs_kind, undefined, 'the temporary kind label is dropped');
  }
  assert.ok(seen.has(undefined) && seen.size > 4, 'the cases cover attributed and unattributed events');
});

test('the contract: job kinds by name, training controllers\' pods by their naming, nothing else', () => {
  assert.equal(eventJob('Pod', 'llama-ft-worker-3'), 'llama-ft');
  assert.equal(eventJob('Pod', 'qwen-sft-node-0-1-x7k2p'), 'qwen-sft');
  assert.equal(eventJob('Pod', 'qwen-sft-model-initializer-0-0-ab12c'), 'qwen-sft');
  assert.equal(eventJob('PyTorchJob', 'llama-ft'), 'llama-ft');
  // a Deployment's pod and a plain batch Job's pod cannot be told apart by name: neither is attributed
  assert.equal(eventJob('Pod', 'inference-server-7d9f8c6b5-x2x9z'), undefined);
  assert.equal(eventJob('Pod', 'eval-job-abcde'), undefined);
  assert.equal(eventJob('Node', 'gpu-node-7'), undefined);
  assert.ok(JOB_OBJECT_KINDS.includes('Job'));
});

test('the events collector config: every namespace by default, the listed ones when given, the gateway CA with TLS', () => {
  const all = renderEventsAlloyConfig(PROPS);
  assert.doesNotMatch(all, /namespaces =/);
  assert.match(all, /log_format = "json"/);
  assert.match(all, /ca_file = "\/etc\/alloy\/loki-ca\/ca.crt"/);
  const some = renderEventsAlloyConfig({ ...PROPS, events: { enabled: true, namespaces: ['team-a', 'team-b'] } });
  assert.match(some, /namespaces = \["team-a", "team-b"\]/);
});

test('helm renders one replica with events-only RBAC, non-root, read-only root filesystem, Pod Security restricted', () => {
  const objs = helmTemplate({ chart: 'alloy', version: pinnedChartVersion('alloy'), releaseName: EVENTS_RELEASE, values: renderEventsAlloyValues(PROPS) });
  assert.equal(findObjects(objs, 'DaemonSet').length, 0, 'no DaemonSet: events would be sent once per node');
  const dep = findObject(objs, 'Deployment', EVENTS_RELEASE) as unknown as {
    spec: { replicas: number; template: { spec: { securityContext: Record<string, unknown>; containers: { name: string; securityContext?: Record<string, unknown> }[]; volumes: { name: string; hostPath?: unknown }[] } } };
  };
  assert.equal(dep.spec.replicas, 1);
  const pod = dep.spec.template.spec;
  assert.equal(pod.volumes.some((v) => v.hostPath !== undefined), false, 'no hostPath');
  for (const c of pod.containers) {
    const sc = { ...pod.securityContext, ...c.securityContext } as { runAsNonRoot?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] }; seccompProfile?: { type: string } };
    assert.equal(sc.runAsNonRoot, true, `${c.name}: runAsNonRoot`);
    assert.equal(sc.allowPrivilegeEscalation, false, `${c.name}: no escalation`);
    assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${c.name}: drops ALL`);
    assert.equal(sc.seccompProfile?.type, 'RuntimeDefault', `${c.name}: seccomp`);
  }
  const role = findObject(objs, 'ClusterRole', EVENTS_RELEASE) as unknown as { rules: unknown[] };
  assert.deepEqual(role.rules, [EVENTS_RBAC_RULE, EVENTS_RBAC_RULE].map((r) => ({ ...r, apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })));
});

test('config: logs.events.namespaces must be namespace names, listed once', () => {
  const base = { grafana: { adminCredentials: { secretName: 'g' } } };
  assert.deepEqual(parseEnvironment('qa', base).settings.logs.events, DEFAULT_EVENTS);
  for (const [namespaces, why] of [
    [['Team_A'], /namespace name/],
    [['a', 'a'], /twice/],
  ] as const) {
    try {
      parseEnvironment('qa', { ...base, logs: { events: { namespaces } } });
      assert.fail('accepted');
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, /logs\.events\.namespaces/);
      assert.match(e.message, why);
    }
  }
});
