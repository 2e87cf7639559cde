import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseEnvironment } from '../../config';
import type { EnvironmentInput } from '../../config/schema/environment';
import { DEFAULT_ECK_RELEASE_NAME, jvmHeapOption, renderEckOperatorValues } from '../../constructs/elastic';
import { ELASTIC_STACK_VERSION } from '../../constructs/versions';
import { DEFAULT_KPS_RELEASE_NAME } from '../../constructs/metrics/kube-prometheus-stack';
import type { KubeManifest } from '../../constructs/core/manifest';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { assertValuesKeysExist } from '../helpers/helm-values-contract';
import { findObject, helmTemplate } from '../helpers/helm-render';
import { MINIMAL_INPUT, releaseValues, synthEnvironment } from '../helpers/synth';
import { loadEnvironmentFile } from '../metrics/env-files';

const dev = synthEnvironment(loadEnvironmentFile('dev'), 'dev');
const prod = synthEnvironment(loadEnvironmentFile('prod'), 'prod');

type NodeSet = { name: string; count: number; config: Record<string, unknown>; podTemplate: { spec: { affinity: { podAntiAffinity: Record<string, unknown> }; containers: { env?: { name: string; value: string }[] }[] } }; volumeClaimTemplates: { spec: { storageClassName?: string; resources: { requests: { storage: string } } } }[] };
type EsSpec = { version: string; http: { tls: Record<string, unknown> }; podDisruptionBudget: Record<string, unknown>; nodeSets: NodeSet[] };

function cr(objs: readonly KubeManifest[], kind: string): KubeManifest & { spec: Record<string, unknown> } {
  const found = objs.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind}, have ${objs.map((o) => o.kind).join(', ')}`);
  return found[0] as KubeManifest & { spec: Record<string, unknown> };
}
const esOf = (r: typeof dev) => cr(r.customResources, 'Elasticsearch').spec as unknown as EsSpec;

test('every ECK custom resource validates against its pinned CRD (dev and prod)', () => {
  for (const r of [dev, prod]) {
    const eck = r.customResources.filter((o) => o.apiVersion.includes('k8s.elastic.co'));
    assert.ok(eck.length >= 2, 'Elasticsearch and Kibana are shipped');
    for (const o of eck) assertValidCustomResource(o);
  }
});

test('the pinned Elastic Stack version on Elasticsearch and Kibana', () => {
  assert.match(ELASTIC_STACK_VERSION, /^9\.\d+\.\d+$/);
  assert.equal(esOf(prod).version, ELASTIC_STACK_VERSION);
  assert.equal(cr(prod.customResources, 'Kibana').spec.version, ELASTIC_STACK_VERSION);
});

test('dev: one node with every role, no PDB, heap from config, HTTP certificate from the tls issuer', () => {
  const es = esOf(dev);
  assert.deepEqual(es.nodeSets.map((n) => `${n.name}:${n.count}`), ['default:1']);
  assert.equal(es.nodeSets[0]?.config['node.roles'], undefined, 'single node keeps every role');
  assert.deepEqual(es.podDisruptionBudget, {}, 'a single node gets no PDB (it would block drains)');
  assert.deepEqual(es.nodeSets[0]?.podTemplate.spec.containers[0]?.env, [{ name: 'ES_JAVA_OPTS', value: '-Xms2048m -Xmx2048m' }]);
  assert.deepEqual(es.http.tls, { certificate: { secretName: 'mlobs-es-http-tls' } });
  const certs = dev.customResources.filter((o) => o.kind === 'Certificate').map((o) => (o.spec as { dnsNames?: string[] }).dnsNames ?? []);
  assert.ok(certs.some((d) => d.includes('mlobs-es-http.mlobs.svc')), 'a Certificate for the ES HTTP service');
  assert.ok(certs.some((d) => d.includes('mlobs-kb-http.mlobs.svc')), 'a Certificate for the Kibana HTTP service');
});

test('prod: hot/warm/cold node sets with node attributes, required anti-affinity, PDB, ECK CA', () => {
  const es = esOf(prod);
  assert.deepEqual(es.nodeSets.map((n) => `${n.name}:${n.count}:${String(n.config['node.attr.data'])}`), ['hot:3:hot', 'warm:2:warm', 'cold:1:cold']);
  assert.deepEqual(es.nodeSets.map((n) => n.config['node.roles']), [
    ['master', 'ingest', 'data_hot', 'data_content', 'remote_cluster_client'],
    ['data_warm'],
    ['data_cold'],
  ]);
  for (const n of es.nodeSets) {
    assert.ok(n.podTemplate.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution, `${n.name}: required anti-affinity`);
  }
  assert.deepEqual(es.nodeSets.map((n) => n.volumeClaimTemplates[0]?.spec.resources.requests.storage), ['500Gi', '1000Gi', '2000Gi']);
  assert.equal(es.nodeSets[0]?.volumeClaimTemplates[0]?.spec.storageClassName, 'premium-rwo');
  assert.equal((es.podDisruptionBudget.spec as { maxUnavailable: number }).maxUnavailable, 1);
  assert.deepEqual(es.http.tls, { selfSignedCertificate: { disabled: false } });
  assert.equal(cr(prod.customResources, 'Kibana').spec.count, 2);
});

test('Kibana connects to the Elasticsearch resource and serves TLS', () => {
  const kb = cr(dev.customResources, 'Kibana').spec as { elasticsearchRef: { name: string }; http: { tls: unknown } };
  assert.deepEqual(kb.elasticsearchRef, { name: 'mlobs' });
  assert.deepEqual(kb.http.tls, { certificate: { secretName: 'mlobs-kb-http-tls' } });
});

test('ECK operator: pinned release watching the stack namespace and the agents namespace (Filebeat), CRDs installed, PodMonitor for the stack Prometheus', () => {
  const v = releaseValues(prod.tf, DEFAULT_ECK_RELEASE_NAME);
  assert.deepEqual(v.managedNamespaces, ['mlobs', 'mlobs-agents']);
  assert.equal(v.installCRDs, true);
  assertValuesKeysExist('eck-operator', v);
  const objs = helmTemplate({ chart: 'eck-operator', values: v, releaseName: DEFAULT_ECK_RELEASE_NAME, namespace: 'mlobs' });
  const pm = findObject(objs, 'PodMonitor');
  assert.equal((pm.metadata as { labels: Record<string, string> }).labels['mlobs.dev/monitor'], 'mlobs');
  const sts = findObject(objs, 'StatefulSet') as unknown as { spec: { template: { spec: { containers: { ports?: { name: string; containerPort: number }[] }[] } } } };
  assert.ok(sts.spec.template.spec.containers[0]?.ports?.some((p) => p.name === 'metrics' && p.containerPort === 9090), 'metrics port exposed');
});

test('the operator release waits for kube-prometheus-stack (PodMonitor CRD) and the CR chart waits for the operator', () => {
  const releases = Object.entries(prod.tf.resource?.helm_release ?? {});
  const op = releases.find(([, r]) => r.name === DEFAULT_ECK_RELEASE_NAME);
  assert.ok(op);
  assert.ok((op[1].depends_on as string[]).some((d) => d.includes('helm_release.') && !d.includes(op[0])), 'operator depends on a release');
  const crChart = releases.find(([, r]) => r.name === 'mlobs-resources');
  assert.ok((crChart?.[1].depends_on as string[]).includes(`helm_release.${op[0]}`), "the CR chart waits for the operator (a bare reference: Terraform refuses `${...}` in depends_on)");
  assert.ok(releaseValues(prod.tf, DEFAULT_KPS_RELEASE_NAME));
});

test('no Elastic release or resource when logs.pipelines has no elastic', () => {
  const r = synthEnvironment({ ...MINIMAL_INPUT, logs: { pipelines: ['loki'] } });
  assert.equal(r.customResources.filter((o) => o.apiVersion.includes('k8s.elastic.co')).length, 0);
  assert.throws(() => releaseValues(r.tf, DEFAULT_ECK_RELEASE_NAME), /no helm_release named "elastic-operator"/);
});

test('operator values renderer: another namespace list', () => {
  const v = renderEckOperatorValues({
    common: { namespace: 'x', agentsNamespace: 'x-agents', clusterName: 'c', environment: 'e', labels: {}, monitorSelector: { a: 'b' } },
    resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } },
    managedNamespaces: ['x', 'y'],
  });
  assert.deepEqual(v.managedNamespaces, ['x', 'y']);
});

function configError(input: EnvironmentInput): string {
  try {
    parseEnvironment('test', input);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail('expected a ConfigError');
}

test('config: a warm phase without warm nodes, or warm nodes without a warm phase, is an error saying what to set', () => {
  const m1 = configError({ ...MINIMAL_INPUT, retention: { elasticsearch: { warm: { minAge: '7d' } } } });
  assert.match(m1, /elastic\.tiers\.warm.*retention\.elasticsearch\.warm moves indices to warm nodes, and there are none; please set: elastic\.tiers\.warm: \{ count: 1 \}/s);
  const m2 = configError({ ...MINIMAL_INPUT, elastic: { tiers: { cold: { count: 1 } } } });
  assert.match(m2, /elastic\.tiers\.cold declares cold nodes that no ILM phase would use; please set: retention\.elasticsearch\.cold: \{ minAge: 7d \}/);
});

test('config: issuer certificates need TLS (with ACME, the private CA signs them); a heap above half the limit is refused', () => {
  assert.match(configError({ ...MINIMAL_INPUT, elastic: { httpCertificate: 'issuer' } }), /"issuer" needs the tls component; please set: tls: \{ enabled: true/);
  const acme = synthEnvironment({
    ...MINIMAL_INPUT,
    logs: { pipelines: ['elastic'] },
    tls: { enabled: true, issuer: { kind: 'acme', server: 'https://acme.example/dir', email: 'a@example.com' } },
    elastic: { httpCertificate: 'issuer' },
  });
  const cert = acme.customResources.find((m) => m.kind === 'Certificate' && m.metadata.name === 'mlobs-es-http-tls');
  assert.equal((cert?.spec as { issuerRef: { name: string } }).issuerRef.name, 'mlobs-ca', 'in-cluster names from the private CA, not ACME');
  assert.match(configError({ ...MINIMAL_INPUT, elastic: { jvmHeap: '3Gi' } }), /"3Gi" is more than half the memory limit "4Gi"/);
});

test('jvmHeapOption converts quantities and rejects tiny heaps', () => {
  assert.equal(jvmHeapOption('1Gi'), '-Xms1024m -Xmx1024m');
  assert.equal(jvmHeapOption('512Mi'), '-Xms512m -Xmx512m');
  assert.throws(() => jvmHeapOption('100Mi'), /jvmHeap "100Mi" is below 256Mi/);
});

test('an environment name with "-" writes to a valid data stream (found by the 30-environment benchmark)', () => {
  const r = synthEnvironment({ ...MINIMAL_INPUT, logs: { pipelines: ['elastic'] } }, 'prod-eu');
  assert.equal(r.stack.observability.elastic?.dataStream, 'logs-ml-prod_eu');
  assert.match(configError({ ...MINIMAL_INPUT, elastic: { dataStream: { namespace: 'team-a' } } }), /elastic\.dataStream\.namespace: "team-a" is not a data stream name part; use lowercase letters, digits and "_" \(no "-"/);
});
