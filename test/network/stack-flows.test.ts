/**
 * The NetworkPolicies of each environment (config/<env>.yaml): default deny, then each flow
 * the stack needs, present exactly when the config enables the components on both ends.
 * Flows are checked through a policy evaluator (helpers.ts), so a rule that exists but does
 * not let the traffic through (wrong selector, port or direction) fails here.
 */
import { test } from 'node:test';
import { RESPONDER_PORT } from '../../constructs/gpu/quarantine-responder.render';
import assert from 'node:assert/strict';
import { Testing, TerraformStack } from 'cdktf';
import { ObservabilityStack } from '../../constructs/observability-stack';
import { observabilityPropsFor } from '../../stacks/environment-props';
import type { KubeManifest } from '../../constructs/core/manifest';
import type { Workload } from '../../constructs/core/network';
import { parseEnvironment } from '../../config/load';
import type { EnvironmentInput } from '../../config/schema/environment';
import { validateBuiltinObject } from '../helpers/builtin-contract';
import { MINIMAL_INPUT, synthEnvironment } from '../helpers/synth';
import { ENVIRONMENTS, loadEnvironmentFile } from '../metrics/env-files';
import { isAllowed, policiesOf, type Endpoint, type Port } from './helpers';

const NS = { 'kubernetes.io/metadata.name': 'mlobs' };
const AGENTS_NS = { 'kubernetes.io/metadata.name': 'mlobs-agents' };
const INGRESS_NGINX = { 'kubernetes.io/metadata.name': 'ingress-nginx' };
const at = (w: Workload): Endpoint => ({ labels: w.podSelector, namespace: w.namespaceSelector ?? (w.namespace ? { 'kubernetes.io/metadata.name': w.namespace } : NS) });
const stranger: Endpoint = { labels: { app: 'someone-else' }, namespace: NS };
const outsider: Endpoint = { labels: { app: 'someone-else' }, namespace: { 'kubernetes.io/metadata.name': 'team-a' } };
const ingressController: Endpoint = { labels: { 'app.kubernetes.io/name': 'ingress-nginx' }, namespace: INGRESS_NGINX };
const apiServer: Endpoint = { labels: {}, namespace: {} };
const external = (): Endpoint => ({ labels: {}, namespace: {} });

interface Env {
  readonly obs: ObservabilityStack;
  readonly manifests: readonly KubeManifest[];
  allowed(from: Endpoint, to: Endpoint, port: Port): boolean;
}

function envOf(name: string, input?: EnvironmentInput): Env {
  const r = synthEnvironment(input ?? loadEnvironmentFile(name), name);
  const policies = policiesOf(r.customResources);
  return { obs: r.stack.observability, manifests: r.customResources, allowed: (f, t, p) => isAllowed(policies, NS, f, t, p) };
}

const envs = new Map<string, Env>(ENVIRONMENTS.map((e) => [e, envOf(e)]));
const get = (e: string): Env => envs.get(e) ?? assert.fail(`no environment ${e}`);

for (const name of ENVIRONMENTS) {
  test(`${name}: default deny of ingress for the namespace, every policy valid against the API schema`, () => {
    const { manifests } = get(name);
    const policies = manifests.filter((m) => m.kind === 'NetworkPolicy');
    for (const ns of ['mlobs', 'mlobs-agents']) {
      const deny = policies.find((p) => p.metadata.name === 'mlobs-default-deny-ingress' && p.metadata.namespace === ns);
      assert.deepEqual(deny?.spec, { podSelector: {}, policyTypes: ['Ingress'] }, ns);
    }
    assert.ok(policies.length > 5, `only ${policies.length} policies`);
    for (const p of policies) {
      assert.ok(['mlobs', 'mlobs-agents'].includes(p.metadata.namespace ?? ''), `${p.metadata.name} in ${p.metadata.namespace}`);
      assert.deepEqual(validateBuiltinObject(p), []);
    }
    const keys = policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    assert.equal(new Set(keys).size, policies.length, 'policy names are unique per namespace');
  });

  test(`${name}: metrics flows (Prometheus → its targets and Alertmanager, Grafana → Prometheus/Alertmanager, API server → operator webhook)`, () => {
    const { obs, allowed } = get(name);
    const w = obs.metrics.workloads;
    assert.ok(allowed(at(w.prometheus), at(w.alertmanager), { number: 9093 }));
    assert.ok(allowed(at(w.prometheus), at(w.alertmanager), { number: 8080 }), 'config-reloader metrics');
    assert.ok(allowed(at(w.prometheus), at(w.prometheus), { number: 9090 }), 'self-scrape');
    assert.ok(allowed(at(w.prometheus), at(w.grafana), { number: 3000 }));
    assert.ok(allowed(at(w.prometheus), at(w.kubeStateMetrics), { number: 8080 }));
    assert.ok(allowed(at(w.grafana), at(w.prometheus), { number: 9090 }));
    assert.ok(allowed(at(w.grafana), at(w.alertmanager), { number: 9093 }));
    assert.ok(allowed(at(w.alertmanager), at(w.alertmanager), { number: 9094, protocol: 'UDP' }), 'gossip');
    assert.ok(allowed(apiServer, at(w.operator), { number: 10250 }));
    assert.ok(!allowed(stranger, at(w.prometheus), { number: 9090 }), 'a pod with no flow cannot query Prometheus');
    assert.ok(!allowed(at(w.grafana), at(w.prometheus), { number: 8080 }), 'only the recorded port');
    assert.ok(!allowed(outsider, at(w.grafana), { number: 3000 }), 'no other namespace reaches Grafana');
  });

  test(`${name}: Loki flows (collector → gateway, Grafana → gateway, ruler → Alertmanager, Loki ↔ Loki, Prometheus → Loki)`, () => {
    const { obs, allowed } = get(name);
    const loki = obs.loki ?? assert.fail('every environment runs Loki');
    const lw = loki.loki.workloads;
    assert.ok(allowed(at(loki.collectorWorkload), at(lw.gateway), { number: 8080 }));
    assert.ok(allowed(at(obs.metrics.workloads.grafana), at(lw.gateway), { number: 8080 }));
    assert.ok(allowed(at(lw.ruler), at(obs.metrics.workloads.alertmanager), { number: 9093 }));
    for (const port of [3100, 9095, 7946]) assert.ok(allowed(at(lw.all), at(lw.all), { number: port }), `Loki ↔ Loki on ${port}`);
    assert.ok(allowed(at(obs.metrics.workloads.prometheus), at(lw.all), { number: 3100 }));
    assert.ok(allowed(at(obs.metrics.workloads.prometheus), at(loki.collectorWorkload), { number: 12345, name: 'http-metrics' }), 'collector PodMonitor');
    assert.ok(!allowed(stranger, at(lw.gateway), { number: 8080 }), 'no one else pushes or queries');
  });
}

test('elastic flows exist exactly where the elastic pipeline is enabled (dev, prod; not staging)', () => {
  for (const name of ['dev', 'prod']) {
    const { obs, allowed } = get(name);
    const w = (obs.elastic ?? assert.fail(`${name} runs the elastic pipeline`)).workloads;
    const es = { number: 9200 };
    assert.ok(allowed(at(w.filebeat), at(w.logstash), { number: 5044 }), `${name}: Filebeat → Logstash`);
    assert.ok(allowed(at(w.logstash), at(w.elasticsearch), es), `${name}: Logstash → Elasticsearch`);
    assert.ok(allowed(at(w.kibana), at(w.elasticsearch), es), `${name}: Kibana → Elasticsearch`);
    assert.ok(allowed(at(w.setupJob), at(w.elasticsearch), es), `${name}: setup Job → Elasticsearch`);
    assert.ok(allowed(at(w.setupJob), at(w.kibana), { number: 5601 }), `${name}: setup Job → Kibana`);
    assert.ok(allowed(at(w.operator), at(w.elasticsearch), es), `${name}: ECK → Elasticsearch`);
    assert.ok(allowed(at(w.elasticsearch), at(w.elasticsearch), { number: 9300 }), `${name}: transport`);
    assert.ok(allowed(at(obs.metrics.workloads.grafana), at(w.elasticsearch), es), `${name}: Grafana → Elasticsearch`);
    assert.ok(allowed(apiServer, at(w.operator), { number: 9443 }), `${name}: API server → ECK webhook`);
    assert.ok(allowed(at(obs.metrics.workloads.prometheus), at(w.operator), { number: 9090 }), `${name}: Prometheus → ECK metrics`);
    assert.ok(
      allowed(at(obs.metrics.workloads.prometheus), { labels: { ...w.logstash.podSelector, 'mlobs.dev/event-metrics': 'mlobs-logstash' }, namespace: NS }, { number: 9198, name: 'event-metrics' }),
      `${name}: Prometheus → Logstash event counters (from its PodMonitor)`,
    );
    // Restricted egress: Logstash, Kibana and the setup Job reach only DNS and their flows.
    assert.ok(!allowed(at(w.logstash), at(w.kibana), { number: 5601 }), `${name}: Logstash has no flow to Kibana`);
    assert.ok(!allowed(at(w.kibana), external(), { number: 443 }), `${name}: Kibana cannot leave the cluster`);
    assert.ok(!allowed(stranger, at(w.elasticsearch), es), `${name}: no one else reaches Elasticsearch`);
    assert.ok(!allowed(at(w.filebeat), at(w.elasticsearch), es), `${name}: Filebeat goes through Logstash`);
  }
  const staging = get('staging').manifests.filter((m) => m.kind === 'NetworkPolicy').map((m) => m.metadata.name);
  for (const n of ['mlobs-logstash', 'mlobs-elasticsearch', 'mlobs-kibana', 'mlobs-es-setup', 'mlobs-elastic-operator', 'mlobs-filebeat']) {
    assert.ok(!staging.includes(n), `staging has no elastic pipeline, yet has ${n}`);
  }
});

test('dcgm-exporter is scraped where the stack deploys it (dev: bundled), and has no policy where the GPU Operator runs it', () => {
  const dev = get('dev');
  assert.ok(dev.allowed(at(dev.obs.metrics.workloads.prometheus), { labels: { 'app.kubernetes.io/name': 'dcgm-exporter', 'app.kubernetes.io/instance': 'dcgm-exporter' }, namespace: AGENTS_NS }, { number: 9400 }));
  assert.ok(!dev.allowed(stranger, { labels: { 'app.kubernetes.io/name': 'dcgm-exporter', 'app.kubernetes.io/instance': 'dcgm-exporter' }, namespace: AGENTS_NS }, { number: 9400 }), 'only Prometheus');
  const policy = dev.manifests.find((m) => m.kind === 'NetworkPolicy' && m.metadata.name === 'mlobs-dcgm-exporter');
  assert.equal(policy?.metadata.namespace, 'mlobs-agents', 'the exporter\'s policy is written in the agents namespace');
  assert.ok(!dev.allowed(stranger, { labels: { app: 'any' }, namespace: AGENTS_NS }, { number: 8080 }), 'the agents namespace denies ingress by default');
  for (const name of ['staging', 'prod']) {
    assert.ok(!get(name).manifests.some((m) => m.kind === 'NetworkPolicy' && m.metadata.name === 'mlobs-dcgm-exporter'), name);
  }
});

test('the ingress controller reaches Grafana only where Grafana has an Ingress (staging, prod), and the ACME solver only with an ACME issuer (prod)', () => {
  for (const [name, ui, acme] of [
    ['dev', false, false],
    ['staging', true, false],
    ['prod', true, true],
  ] as const) {
    const { obs, allowed } = get(name);
    assert.equal(allowed(ingressController, at(obs.metrics.workloads.grafana), { number: 3000 }), ui, `${name}: ingress → Grafana`);
    assert.equal(allowed(ingressController, { labels: { 'acme.cert-manager.io/http01-solver': 'true' }, namespace: NS }, { number: 8089 }), acme, `${name}: ingress → ACME solver`);
    assert.ok(!allowed(ingressController, at(obs.metrics.workloads.prometheus), { number: 9090 }), `${name}: Prometheus has no Ingress`);
  }
});

test('the API server reaches the cert-manager webhook wherever the stack installs cert-manager', () => {
  for (const name of ENVIRONMENTS) {
    const { obs, allowed } = get(name);
    const webhook = obs.tls?.webhookWorkload ?? assert.fail(`${name} installs cert-manager`);
    assert.ok(allowed(apiServer, at(webhook), { number: 10250 }), name);
  }
});

test("Alertmanager's egress: DNS, its peers and its receivers' ports, derived from alertmanager.receivers", () => {
  const prod = get('prod');
  const am = at(prod.obs.metrics.workloads.alertmanager);
  assert.ok(prod.allowed(am, external(), { number: 443 }), 'Slack and PagerDuty over HTTPS');
  assert.ok(prod.allowed(am, external(), { number: 587 }), 'the email smarthost port');
  const responder = prod.obs.gpuResponder?.workload ?? assert.fail('prod runs the quarantine responder');
  assert.ok(prod.allowed(am, at(responder), { number: RESPONDER_PORT }), 'the quarantine responder');
  const inCluster = envOf('in-cluster-webhook', {
    ...MINIMAL_INPUT,
    alertmanager: { receivers: [{ type: 'webhook', name: 'remediator', url: 'http://gpu-remediator.ml-platform.svc:8080/alerts' }], routing: { critical: 'remediator' } },
  });
  const inClusterAm = at(inCluster.obs.metrics.workloads.alertmanager);
  assert.ok(inCluster.allowed(inClusterAm, { labels: { app: 'gpu-remediator' }, namespace: { 'kubernetes.io/metadata.name': 'ml-platform' } }, { number: 8080 }), 'the in-cluster webhook namespace');
  assert.ok(!inCluster.allowed(inClusterAm, { labels: { app: 'x' }, namespace: { 'kubernetes.io/metadata.name': 'other' } }, { number: 8080 }), 'only the webhook\'s namespace');
  assert.ok(!prod.allowed(am, external(), { number: 22 }), 'nothing else');
  assert.ok(prod.allowed(am, { labels: { 'k8s-app': 'kube-dns' }, namespace: { 'kubernetes.io/metadata.name': 'kube-system' } }, { number: 53, protocol: 'UDP' }), 'DNS');
  const dev = get('dev');
  assert.ok(!dev.allowed(at(dev.obs.metrics.workloads.alertmanager), external(), { number: 443 }), 'dev has no receivers: no way out');
  const secretUrl = envOf('secret-webhook', {
    ...MINIMAL_INPUT,
    alertmanager: { receivers: [{ type: 'webhook', name: 'hook', urlSecret: { name: 'hook', key: 'url' } }], routing: { critical: 'hook' } },
  } as EnvironmentInput);
  assert.ok(secretUrl.allowed(at(secretUrl.obs.metrics.workloads.alertmanager), external(), { number: 8443 }), 'a URL kept in a Secret cannot be known: egress stays open');
});

test('the collector flow follows logs.collector (Promtail pushes to the gateway, Alloy has no policy)', () => {
  const e = envOf('promtail', { ...MINIMAL_INPUT, logs: { pipelines: ['loki'], collector: 'promtail' } } as EnvironmentInput);
  const loki = e.obs.loki ?? assert.fail('loki');
  assert.deepEqual(loki.collectorWorkload.podSelector, { 'app.kubernetes.io/name': 'promtail', 'app.kubernetes.io/instance': 'promtail' });
  assert.ok(e.allowed(at(loki.collectorWorkload), at(loki.loki.workloads.gateway), { number: 8080 }));
  assert.ok(e.allowed(at(e.obs.metrics.workloads.prometheus), at(loki.collectorWorkload), { number: 3101, name: 'http-metrics' }));
  assert.ok(!e.manifests.some((m) => m.kind === 'NetworkPolicy' && m.metadata.name === 'mlobs-alloy'));
});

test('ObservabilityStack network props: policies off writes none (flows are still recorded); the ingress controller is configurable', () => {
  const env = parseEnvironment('lib', { ...MINIMAL_INPUT, grafana: { adminCredentials: { secretName: 'g' }, ingress: { host: 'g.example.com' } } } as EnvironmentInput);
  const build = (network: ConstructorParameters<typeof ObservabilityStack>[2]['network']) => {
    const stack = new TerraformStack(Testing.app(), 'lib');
    return new ObservabilityStack(stack, 'mlobs', { ...observabilityPropsFor('lib', env.settings), ...(network ? { network } : {}) });
  };
  const off = build({ policies: false });
  assert.equal(off.resources.resources.filter((m) => m.kind === 'NetworkPolicy').length, 0);
  assert.ok(off.network.flows.length > 10);
  const traefik = { name: 'traefik', podSelector: { 'app.kubernetes.io/name': 'traefik' }, namespaceSelector: { 'kubernetes.io/metadata.name': 'traefik' } };
  const custom = build({ ingressController: traefik });
  const policies = policiesOf(custom.resources.resources);
  const grafana = at(custom.metrics.workloads.grafana);
  assert.ok(isAllowed(policies, NS, at(traefik), grafana, { number: 3000 }));
  assert.ok(!isAllowed(policies, NS, ingressController, grafana, { number: 3000 }), 'the default ingress-nginx is no longer allowed');
  assert.throws(() => custom.network.allow(traefik, custom.metrics.workloads.prometheus, { port: 9090 }, 'late'), /already rendered by lib\/mlobs \(ObservabilityStack\)/);
});
