import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertValidCustomResource, validateCustomResource } from '../helpers/crd-contract';

const certificate = () => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'grafana-tls', namespace: 'mlobs', labels: { 'app.kubernetes.io/part-of': 'mlobs' } },
  spec: {
    secretName: 'grafana-tls',
    dnsNames: ['grafana.mlobs.svc', 'grafana.example.com'],
    duration: '2160h',
    renewBefore: '360h',
    privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
    issuerRef: { name: 'mlobs-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
  },
});

const GOOD: Record<string, unknown> = {
  Certificate: certificate(),
  'ClusterIssuer (self-signed)': {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name: 'mlobs-selfsigned' },
    spec: { selfSigned: {} },
  },
  'ClusterIssuer (ACME)': {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name: 'letsencrypt' },
    spec: {
      acme: {
        server: 'https://acme-v02.api.letsencrypt.org/directory',
        email: 'ops@example.com',
        privateKeySecretRef: { name: 'letsencrypt-account' },
        solvers: [{ http01: { ingress: { ingressClassName: 'nginx' } } }],
      },
    },
  },
  PrometheusRule: {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'gpu-alerts', namespace: 'mlobs', labels: { release: 'kps' } },
    spec: {
      groups: [
        {
          name: 'gpu',
          interval: '30s',
          rules: [
            { record: 'gpu:util:avg', expr: 'avg by (Hostname) (DCGM_FI_DEV_GPU_UTIL)' },
            {
              alert: 'GpuXidError',
              expr: 'DCGM_FI_DEV_XID_ERRORS > 0',
              for: '1m',
              labels: { severity: 'critical' },
              annotations: { summary: 'Xid error', description: 'GPU {{ $labels.gpu }}', runbook_url: 'https://runbooks/xid' },
            },
          ],
        },
      ],
    },
  },
  ServiceMonitor: {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: 'dcgm-exporter', namespace: 'mlobs' },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': 'dcgm-exporter' } },
      namespaceSelector: { matchNames: ['mlobs'] },
      endpoints: [{ port: 'metrics', interval: '15s', scrapeTimeout: '10s', honorLabels: true, targetPort: 9400 }],
    },
  },
  Elasticsearch: {
    apiVersion: 'elasticsearch.k8s.elastic.co/v1',
    kind: 'Elasticsearch',
    metadata: { name: 'logs', namespace: 'mlobs' },
    spec: {
      version: '8.15.3',
      http: { tls: { certificate: { secretName: 'es-http-tls' } } },
      nodeSets: [
        {
          name: 'hot',
          count: 3,
          // config and podTemplate are preserve-unknown-fields: anything goes inside
          config: { 'node.roles': ['master', 'data_hot'], 'node.store.allow_mmap': false },
          podTemplate: { spec: { containers: [{ name: 'elasticsearch', resources: { limits: { memory: '4Gi' } } }] } },
          volumeClaimTemplates: [
            {
              metadata: { name: 'elasticsearch-data' },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Gi' } } },
            },
          ],
        },
      ],
    },
  },
};

for (const [what, obj] of Object.entries(GOOD)) {
  test(`CRD contract: a good ${what} validates`, () => {
    assert.deepEqual(validateCustomResource(obj), []);
    assert.doesNotThrow(() => assertValidCustomResource(obj));
  });
}

test('CRD contract: a wrong type fails with kind, name, path and the problem', () => {
  const obj = certificate();
  (obj.spec.privateKey as Record<string, unknown>).size = '256';
  assert.deepEqual(validateCustomResource(obj), [
    'Certificate "grafana-tls" (cert-manager.io/v1): spec.privateKey.size: must be integer, got string "256"',
  ]);
});

test('CRD contract: a misspelled field fails (the API server would prune it silently)', () => {
  const obj: Record<string, unknown> = { ...certificate(), spec: { ...certificate().spec, dnsName: ['x'] } };
  assert.throws(
    () => assertValidCustomResource(obj),
    /Certificate "grafana-tls" \(cert-manager\.io\/v1\): spec: unknown field "dnsName" \(did you mean "dnsNames"\?\)/,
  );
  const rule = structuredClone(GOOD.PrometheusRule) as { spec: { groups: { rules: Record<string, unknown>[] }[] } };
  rule.spec.groups[0].rules[1].fro = '5m';
  assert.match(validateCustomResource(rule).join('\n'), /PrometheusRule "gpu-alerts" .*: spec\.groups\[0\]\.rules\[1\]: unknown field "fro" \(did you mean "for"\?\)/);
});

test('CRD contract: an unserved or unknown apiVersion fails, naming the served versions', () => {
  assert.deepEqual(validateCustomResource({ ...(GOOD.Elasticsearch as object), apiVersion: 'elasticsearch.k8s.elastic.co/v1alpha1' }), [
    'Elasticsearch "logs" (elasticsearch.k8s.elastic.co/v1alpha1): version "v1alpha1" of elasticsearches.elasticsearch.k8s.elastic.co exists but is not served in the pinned CRD; served versions: v1, v1beta1',
  ]);
  assert.match(
    validateCustomResource({ ...certificate(), apiVersion: 'cert-manager.io/v1alpha2' }).join(),
    /Certificate "grafana-tls" \(cert-manager\.io\/v1alpha2\): version "v1alpha2" of certificates\.cert-manager\.io does not exist in the pinned CRD; served versions: v1$/,
  );
});

test('CRD contract: enum, required fields and metadata are checked', () => {
  const obj = certificate();
  (obj.spec.privateKey as Record<string, unknown>).algorithm = 'DSA';
  delete (obj.spec as Record<string, unknown>).secretName;
  (obj.metadata as Record<string, unknown>).labls = {};
  delete (obj.metadata as Record<string, unknown>).name;
  const errors = validateCustomResource(obj).join('\n');
  assert.match(errors, /spec\.privateKey\.algorithm: must be one of "RSA", "ECDSA", "Ed25519", got string "DSA"/);
  assert.match(errors, /Certificate "<no name>" .*: spec: missing required field "secretName"/);
  assert.match(errors, /metadata: missing required field "name"/);
  assert.match(errors, /metadata: unknown field "labls" \(did you mean "labels"\?\)/);
});

test('CRD contract: a cluster-scoped kind with a namespace fails', () => {
  const issuer = { ...(GOOD['ClusterIssuer (self-signed)'] as object), metadata: { name: 'ca', namespace: 'mlobs' } };
  assert.deepEqual(validateCustomResource(issuer), [
    'ClusterIssuer "ca" (cert-manager.io/v1): metadata.namespace: ClusterIssuer is cluster-scoped; remove metadata.namespace',
  ]);
});

test('CRD contract: x-kubernetes-list-type map keys must be unique; int-or-string takes both', () => {
  const rule = structuredClone(GOOD.PrometheusRule) as { spec: { groups: unknown[] } };
  rule.spec.groups.push({ name: 'gpu', rules: [] });
  assert.match(validateCustomResource(rule).join(), /spec\.groups: duplicate list-map key name=\["gpu"\]/);
  const sm = structuredClone(GOOD.ServiceMonitor) as { spec: { endpoints: Record<string, unknown>[] } };
  sm.spec.endpoints[0].targetPort = 'metrics';
  assert.deepEqual(validateCustomResource(sm), []);
  sm.spec.endpoints[0].targetPort = true;
  assert.match(validateCustomResource(sm).join(), /spec\.endpoints\[0\]\.targetPort: must match a schema in anyOf \(got boolean true\)/);
});

test('CRD contract: unknown group or kind and malformed objects are reported', () => {
  assert.match(validateCustomResource({ apiVersion: 'example.com/v1', kind: 'X', metadata: { name: 'a' } }).join(), /no pinned CRDs for API group "example\.com".*cert-manager\.io/);
  assert.match(
    validateCustomResource({ apiVersion: 'cert-manager.io/v1', kind: 'Certifcate', metadata: { name: 'a' } }).join(),
    /no pinned CRD for kind "Certifcate" in API group "cert-manager\.io" \(kinds: Certificate, CertificateRequest, ClusterIssuer, Issuer\)/,
  );
  assert.deepEqual(validateCustomResource('nope'), ['custom resource must be an object, got string "nope"']);
  assert.match(validateCustomResource({ kind: 'Certificate' }).join(), /apiVersion must be "<group>\/<version>"/);
});
