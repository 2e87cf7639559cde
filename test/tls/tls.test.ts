import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseEnvironment } from '../../config';
import { commonConfigFor } from '../../stacks/environment-props';
import { renderCertManagerValues } from '../../constructs/tls/cert-manager.values';
import { CERT_MANAGER_POD_MONITOR_NAME } from '../../constructs/tls/cert-manager-monitor.render';
import { renderCertificate, renderIssuer, serviceDnsNames } from '../../constructs/tls/issuer.render';
import { assertValidCustomResource, validateCustomResource } from '../helpers/crd-contract';
import { assertValuesKeysExist } from '../helpers/helm-values-contract';
import { findObject, helmTemplate } from '../helpers/helm-render';
import { Testing } from 'cdktf';
import { EnvironmentStack } from '../../stacks/environment-stack';
import { APP_CONTEXT } from '../../stacks/app';
import type { EnvironmentInput } from '../../config';

/** Builds (does not synthesize) a stack, so tests can still request certificates. */
function buildStack(input: EnvironmentInput) {
  const stack = new EnvironmentStack(Testing.app({ context: { ...APP_CONTEXT } }), parseEnvironment('t', input));
  return { stack, customResources: stack.observability.resources.resources };
}

const BASE = { grafana: { adminCredentials: { secretName: 'g' } } } as const;

function settingsWith(tls: object) {
  return parseEnvironment('t', { ...BASE, tls: { enabled: true, ...tls } }).settings;
}

const ISSUERS = {
  selfSigned: { kind: 'selfSigned' },
  clusterIssuer: { kind: 'clusterIssuer', name: 'corp-ca' },
  acme: {
    kind: 'acme',
    server: 'https://acme.example.com/directory',
    email: 'ops@example.com',
    externalAccountBinding: { keyId: 'kid-1', keySecretRef: { name: 'eab', key: 'hmac' } },
  },
} as const;

for (const [kind, issuer] of Object.entries(ISSUERS)) {
  test(`${kind}: issuer objects and a certificate validate against the pinned cert-manager CRDs`, () => {
    const s = settingsWith({ issuer });
    const common = commonConfigFor('t', s);
    const rendered = renderIssuer(s.tls.issuer as NonNullable<typeof s.tls.issuer>, s.tls, common);
    for (const m of rendered.manifests) assertValidCustomResource(m);
    const cert = renderCertificate({ name: 'grafana-tls', dnsNames: serviceDnsNames('grafana', 'mlobs') }, rendered.issuerRef, s.tls, common);
    assertValidCustomResource(cert);
    assert.deepEqual((cert.spec as { issuerRef: unknown }).issuerRef, rendered.issuerRef);
  });
}

test('self-signed: a root CA certificate signed by a bootstrap issuer, then a CA issuer using it', () => {
  const s = settingsWith({ issuer: ISSUERS.selfSigned });
  const r = renderIssuer(s.tls.issuer as NonNullable<typeof s.tls.issuer>, s.tls, commonConfigFor('t', s));
  const ca = r.manifests.find((m) => m.kind === 'Certificate');
  assert.equal((ca?.spec as { isCA: boolean }).isCA, true);
  const caIssuer = r.manifests.find((m) => m.kind === 'Issuer' && m.metadata.name === r.issuerRef.name);
  assert.equal((caIssuer?.spec as { ca: { secretName: string } }).ca.secretName, (ca?.spec as { secretName: string }).secretName);
});

test('ACME: the EAB key is referenced by Secret name and key only', () => {
  const s = settingsWith({ issuer: ISSUERS.acme });
  const r = renderIssuer(s.tls.issuer as NonNullable<typeof s.tls.issuer>, s.tls, commonConfigFor('t', s));
  const acme = (r.manifests[0]?.spec as { acme: { externalAccountBinding: unknown; solvers: unknown[] } }).acme;
  assert.deepEqual(acme.externalAccountBinding, { keyID: 'kid-1', keySecretRef: { name: 'eab', key: 'hmac' } });
  assert.deepEqual(acme.solvers, [{ http01: { ingress: { ingressClassName: 'nginx' } } }]);
});

test('the CRD contract catches a misspelled certificate field', () => {
  const s = settingsWith({ issuer: ISSUERS.selfSigned });
  const cert = renderCertificate({ name: 'x', dnsNames: ['x'] }, { name: 'i', kind: 'Issuer', group: 'cert-manager.io' }, s.tls, commonConfigFor('t', s));
  const broken = { ...cert, spec: { ...(cert.spec as object), dnsName: ['x'] } };
  assert.ok(validateCustomResource(broken).some((e) => /dnsName/.test(e)), 'typo must be reported');
});

test('a certificate needs at least one DNS name', () => {
  const s = settingsWith({ issuer: ISSUERS.selfSigned });
  assert.throws(() => renderCertificate({ name: 'x', dnsNames: [] }, { name: 'i', kind: 'Issuer', group: 'cert-manager.io' }, s.tls, commonConfigFor('t', s)), /certificate "x": needs at least one DNS name/);
});

test('cert-manager values: every key exists in the pinned chart and the chart renders them', () => {
  const s = parseEnvironment('t', { ...BASE, certManager: { replicas: 2 } }).settings;
  const values = renderCertManagerValues({ common: commonConfigFor('t', s), replicas: 2, resources: s.certManager.resources });
  assertValuesKeysExist('cert-manager', values);
  const objs = helmTemplate({ chart: 'cert-manager', values, releaseName: 'cert-manager', namespace: 'mlobs' });
  const controller = findObject(objs, 'Deployment', 'cert-manager') as unknown as {
    spec: { replicas: number; template: { spec: { containers: { args: string[]; securityContext: Record<string, unknown> }[] } } };
  };
  assert.equal(controller.spec.replicas, 2);
  const c = controller.spec.template.spec.containers[0];
  assert.ok(c?.args.includes('--leader-election-namespace=mlobs'), c?.args.join(' '));
  assert.equal(c?.securityContext.readOnlyRootFilesystem, true);
  assert.ok(objs.some((o) => o.kind === 'CustomResourceDefinition' && o.metadata.name === 'certificates.cert-manager.io'), 'CRDs are part of the release');
  assert.ok(objs.some((o) => o.kind === 'PodDisruptionBudget'), 'PDBs when replicated');
});

test('ACME: in-cluster service names get a private CA, public names the ACME issuer', () => {
  const input = {
    ...BASE,
    tls: { enabled: true, issuer: { kind: 'acme', server: 'https://acme.example.com/directory', email: 'ops@example.com' } },
  } as const;
  const { stack, customResources } = buildStack(input);
  const tls = stack.observability.tls;
  assert.ok(tls);
  tls.certificateFor({ name: 'svc-tls', dnsNames: serviceDnsNames('svc', 'mlobs') });
  tls.certificateFor({ name: 'ui-tls', dnsNames: ['grafana.ml.example.com'] });
  const ref = (name: string) => (customResources.find((m) => m.kind === 'Certificate' && m.metadata.name === name)?.spec as { issuerRef: { name: string } }).issuerRef.name;
  assert.equal(ref('svc-tls'), 'mlobs-ca');
  assert.equal(ref('ui-tls'), 'mlobs-acme');
  assert.ok(customResources.some((m) => m.kind === 'Issuer' && m.metadata.name === 'mlobs-ca'), 'the private CA issuer is created');
  assert.throws(() => tls.certificateFor({ name: 'mixed', dnsNames: ['svc.mlobs.svc', 'svc.example.com'] }), /certificate "mixed": mixes in-cluster names \(svc\.mlobs\.svc\) with public names/);
});

test('self-signed and existing ClusterIssuer sign in-cluster names themselves (no extra CA)', () => {
  const { stack, customResources } = buildStack({ ...BASE, tls: { enabled: true, issuer: { kind: 'clusterIssuer', name: 'corp-ca' } } });
  stack.observability.tls?.certificateFor({ name: 'svc-tls', dnsNames: serviceDnsNames('svc', 'mlobs') });
  const cert = customResources.find((m) => m.metadata.name === 'svc-tls');
  assert.deepEqual((cert?.spec as { issuerRef: unknown }).issuerRef, { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
  assert.equal(customResources.filter((m) => m.kind === 'Issuer').length, 0);
});

test('a certificate can ask for a PKCS#8 key (Logstash beats input), and it validates against the CRD', () => {
  const s = settingsWith({ issuer: ISSUERS.selfSigned });
  const ref = { name: 'i', kind: 'Issuer', group: 'cert-manager.io' } as const;
  const cert = renderCertificate({ name: 'ls', dnsNames: ['ls'], keyEncoding: 'PKCS8' }, ref, s.tls, commonConfigFor('t', s));
  assert.equal((cert.spec as { privateKey: { encoding?: string } }).privateKey.encoding, 'PKCS8');
  assertValidCustomResource(cert);
  const plain = renderCertificate({ name: 'x', dnsNames: ['x'] }, ref, s.tls, commonConfigFor('t', s));
  assert.equal((plain.spec as { privateKey: { encoding?: string } }).privateKey.encoding, undefined);
});

test('the stack scrapes the cert-manager it installs: a PodMonitor on the controller pods\' metrics port, valid against its CRD; none for an existing cert-manager', () => {
  const { customResources } = buildStack({ ...BASE, tls: { enabled: true, issuer: { kind: 'selfSigned' } } });
  const monitors = customResources.filter((m) => m.kind === 'PodMonitor' && m.metadata.name === CERT_MANAGER_POD_MONITOR_NAME);
  assert.equal(monitors.length, 1);
  const pm = monitors[0]!;
  assertValidCustomResource(pm);
  assert.equal(pm.metadata.labels?.['mlobs.dev/monitor'], 'mlobs');
  const spec = pm.spec as { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string; honorLabels: boolean }[] };
  assert.deepEqual(spec.podMetricsEndpoints.map((e) => [e.port, e.honorLabels]), [['http-metrics', true]]);
  // The selector and port name match the controller pods the pinned chart renders (and only them).
  const s = parseEnvironment('t', BASE).settings;
  const objs = helmTemplate({ chart: 'cert-manager', values: renderCertManagerValues({ common: commonConfigFor('t', s), replicas: 1, resources: s.certManager.resources }), releaseName: 'cert-manager', namespace: 'mlobs' });
  const selected = objs.filter((o) => o.kind === 'Deployment').filter((d) => {
    const labels = (d as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template.metadata.labels;
    return Object.entries(spec.selector.matchLabels).every(([k, v]) => labels[k] === v);
  });
  assert.deepEqual(selected.map((d) => d.metadata.name), ['cert-manager']);
  const ports = (selected[0] as unknown as { spec: { template: { spec: { containers: { ports?: { name: string; containerPort: number }[] }[] } } } }).spec.template.spec.containers.flatMap((c) => c.ports ?? []);
  assert.deepEqual(ports.filter((p) => p.name === 'http-metrics').map((p) => p.containerPort), [9402]);

  const existing = buildStack({ ...BASE, tls: { enabled: true, issuer: { kind: 'clusterIssuer', name: 'corp-ca' } }, certManager: { install: false } });
  assert.equal(existing.customResources.filter((m) => m.kind === 'PodMonitor' && m.metadata.name === CERT_MANAGER_POD_MONITOR_NAME).length, 0);
});

test('the agents namespace trusts the stack CA: a ClusterIssuer twin of the CA (its Secret in the stack namespace, cert-manager\'s cluster resource namespace) signs a trust Certificate there', () => {
  const { stack, customResources } = buildStack({ ...BASE, tls: { enabled: true, issuer: { kind: 'selfSigned' } } });
  const tls = stack.observability.tls!;
  const a = tls.trustBundleIn('mlobs-agents');
  assert.deepEqual(tls.trustBundleIn('mlobs-agents'), a, 'one bundle per namespace');
  const twins = customResources.filter((m) => m.kind === 'ClusterIssuer');
  assert.equal(twins.length, 1);
  assert.deepEqual(twins[0]!.spec, { ca: { secretName: 'mlobs-ca' } }, 'the same CA Secret as the stack\'s CA Issuer');
  assert.equal(twins[0]!.metadata.name, 'mlobs-mlobs-ca', 'named after the stack namespace (cluster-scoped)');
  const caIssuer = customResources.find((m) => m.kind === 'Issuer' && m.metadata.name === 'mlobs-ca');
  assert.deepEqual(caIssuer?.spec, twins[0]!.spec);
  const bundle = customResources.find((m) => m.kind === 'Certificate' && m.metadata.namespace === 'mlobs-agents');
  assert.ok(bundle);
  assertValidCustomResource(bundle);
  assertValidCustomResource(twins[0]);
  assert.equal((bundle.spec as { secretName: string }).secretName, a.secretName);
  assert.deepEqual((bundle.spec as { issuerRef: unknown }).issuerRef, { name: 'mlobs-mlobs-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
  // the default stack asks for it: the collectors run in the agents namespace and verify the Loki gateway
  const loki = stack.observability.loki!;
  assert.equal(loki.collectorWorkload.namespace, 'mlobs-agents');
  // an existing ClusterIssuer signs the bundle itself; no twin
  const corp = buildStack({ ...BASE, tls: { enabled: true, issuer: { kind: 'clusterIssuer', name: 'corp-ca' } } });
  assert.equal(corp.customResources.filter((m) => m.kind === 'ClusterIssuer').length, 0);
  const corpBundle = corp.customResources.find((m) => m.kind === 'Certificate' && m.metadata.namespace === 'mlobs-agents');
  assert.deepEqual((corpBundle?.spec as { issuerRef: unknown }).issuerRef, { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
});

test('an existing cert-manager with the stack\'s own CA cannot sign in the agents namespace: a config error naming the field and the ways out', () => {
  assert.throws(
    () => parseEnvironment('t', { ...BASE, tls: { enabled: true, issuer: { kind: 'selfSigned' } }, certManager: { install: false } }),
    (e: unknown) => e instanceof ConfigError && /certManager\.install/.test(e.message) && /kind: clusterIssuer/.test(e.message) && /mlobs-agents/.test(e.message),
  );
  // no hop to verify (the collectors hop and the Loki hop off): nothing to trust, no error
  assert.doesNotThrow(() => parseEnvironment('t', { ...BASE, tls: { enabled: true, issuer: { kind: 'selfSigned' }, hops: { collectors: false, loki: false } }, certManager: { install: false } }));
});
