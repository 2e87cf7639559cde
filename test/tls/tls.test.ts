import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEnvironment } from '../../config';
import { commonConfigFor } from '../../constructs/core/common';
import { renderCertManagerValues } from '../../constructs/tls/cert-manager.values';
import { renderCertificate, renderIssuer, serviceDnsNames } from '../../constructs/tls/issuer.render';
import { assertValidCustomResource, validateCustomResource } from '../helpers/crd-contract';
import { assertValuesKeysExist } from '../helpers/helm-values-contract';
import { findObject, helmTemplate } from '../helpers/helm-render';

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
