import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertValuesKeysExist, findUnknownValuesKeys, pinnedChartVersion } from '../helpers/helm-values-contract';

// Known-good values for every pinned chart: keys our constructs are expected to set.
const GOOD: Record<string, unknown> = {
  'kube-prometheus-stack': {
    crds: { enabled: true },
    defaultRules: { create: true },
    additionalPrometheusRulesMap: { gpu: { groups: [] } },
    prometheus: {
      prometheusSpec: {
        retention: '30d',
        retentionSize: '40GB',
        serviceMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        resources: { requests: { cpu: '500m', memory: '2Gi' } },
        additionalScrapeConfigs: [{ job_name: 'x', static_configs: [{ targets: ['a:1'] }] }],
      },
    },
    alertmanager: {
      config: { route: { receiver: 'null' }, receivers: [{ name: 'null' }] },
      alertmanagerSpec: { retention: '120h', useExistingSecret: false },
    },
    prometheusOperator: { admissionWebhooks: { certManager: { enabled: true } } },
    grafana: {
      enabled: true,
      adminUser: 'admin',
      admin: { existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' },
      additionalDataSources: [{ name: 'Loki', type: 'loki', url: 'http://loki:3100' }],
      sidecar: { dashboards: { enabled: true, label: 'grafana_dashboard', labelValue: '1', searchNamespace: 'ALL' } },
      persistence: { enabled: true, size: '10Gi' },
      'grafana.ini': { 'auth.anonymous': { enabled: false } },
    },
    'kube-state-metrics': { replicas: 1 },
    'prometheus-node-exporter': { hostRootFsMount: { enabled: false } },
  },
  'cert-manager': {
    crds: { enabled: true, keep: true },
    replicaCount: 2,
    global: { leaderElection: { namespace: 'mlobs' } },
    prometheus: { enabled: true, servicemonitor: { enabled: true } },
    resources: { requests: { cpu: '10m', memory: '32Mi' } },
    webhook: { replicaCount: 2 },
    extraArgs: ['--enable-certificate-owner-ref'],
  },
  loki: {
    deploymentMode: 'SingleBinary',
    singleBinary: { replicas: 1 },
    write: { replicas: 0 },
    read: { replicas: 0 },
    backend: { replicas: 0 },
    loki: {
      auth_enabled: false,
      useTestSchema: true,
      storage: { type: 's3', bucketNames: { chunks: 'chunks', ruler: 'ruler' } },
      limits_config: { retention_period: '744h' },
      compactor: { retention_enabled: true, delete_request_store: 's3' },
    },
    minio: { enabled: false },
    monitoring: { dashboards: { enabled: true }, serviceMonitor: { enabled: true } },
  },
  alloy: {
    alloy: {
      configMap: { create: true, content: 'logging { level = "info" }', name: 'alloy', key: 'config.alloy' },
      mounts: { varlog: true, dockercontainers: true, extra: [] },
    },
    controller: { type: 'daemonset' },
    crds: { create: false },
    serviceMonitor: { enabled: true, additionalLabels: { release: 'kps' }, interval: '30s' },
  },
  promtail: {
    config: { clients: [{ url: 'http://loki:3100/loki/api/v1/push' }], snippets: { pipelineStages: [{ cri: {} }] } },
    serviceMonitor: { enabled: true },
  },
  'eck-operator': {
    installCRDs: true,
    managedNamespaces: ['mlobs'],
    createClusterScopedResources: true,
    config: { metrics: { port: '8080', secureMode: { enabled: true } } },
    webhook: { enabled: true, manageCerts: false, certManagerCert: 'eck-webhook' },
    podMonitor: { enabled: false },
  },
  'dcgm-exporter': {
    serviceMonitor: {
      enabled: true,
      interval: '15s',
      scrapeTimeout: '10s',
      honorLabels: false,
      additionalLabels: { release: 'kps' },
      relabelings: [],
      metricRelabelings: [],
    },
    service: { enable: true },
    arguments: ['-f', '/etc/dcgm-exporter/dcp-metrics-included.csv'],
    runtimeClassName: 'nvidia',
    kubernetes: { enablePodLabels: true },
    tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
  },
};

for (const [chart, values] of Object.entries(GOOD)) {
  test(`values contract: known-good keys pass for ${chart}@${pinnedChartVersion(chart)}`, () => {
    assert.deepEqual(findUnknownValuesKeys(chart, values), []);
    assert.doesNotThrow(() => assertValuesKeysExist(chart, values));
  });
}

test('values contract: a misspelled key fails, naming chart@version, the key path and a suggestion', () => {
  const values = { prometheus: { prometheusSpec: { retentionn: '30d' } } };
  assert.deepEqual(findUnknownValuesKeys('kube-prometheus-stack', values), ['prometheus.prometheusSpec.retentionn']);
  assert.throws(
    () => assertValuesKeysExist('kube-prometheus-stack', values),
    /kube-prometheus-stack@88\.5\.3: unknown values key "prometheus\.prometheusSpec\.retentionn" \(did you mean "retention"\?\)$/m,
  );
});

test('values contract: every unknown key is reported at once, one line each', () => {
  const values = { lokii: {}, loki: { storge: { type: 's3' }, auth_enabled: false } };
  assert.throws(
    () => assertValuesKeysExist('loki', values),
    (e: Error) =>
      /^loki@18\.11\.0: unknown values key "lokii" \(did you mean "loki"\?\)$/m.test(e.message) &&
      /^loki@18\.11\.0: unknown values key "loki\.storge" \(did you mean "storage"\?\)$/m.test(e.message),
  );
});

test('values contract: subchart keys resolve against the subchart (grafana.*, kube-state-metrics.*)', () => {
  // persistence.size and "grafana.ini" exist only in the grafana subchart's values.yaml
  assert.deepEqual(findUnknownValuesKeys('kube-prometheus-stack', { grafana: { persistence: { size: '1Gi' } } }), []);
  assert.deepEqual(
    findUnknownValuesKeys('kube-prometheus-stack', {
      grafana: { persistance: { size: '1Gi' }, admin: { passwrodKey: 'p' } },
      'kube-state-metrics': { replicaz: 2 },
    }),
    ['grafana.persistance', 'grafana.admin.passwrodKey', 'kube-state-metrics.replicaz'],
  );
  assert.throws(
    () => assertValuesKeysExist('kube-prometheus-stack', { grafana: { persistance: {} } }),
    /kube-prometheus-stack@88\.5\.3: unknown values key "grafana\.persistance" \(did you mean "persistence"\?\)/,
  );
});

test('values contract: keys below free-form defaults ({} / [] / null) pass', () => {
  assert.deepEqual(
    findUnknownValuesKeys('kube-prometheus-stack', {
      commonLabels: { team: 'ml' },
      prometheus: { prometheusSpec: { storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: '50Gi' } } } } } } },
      alertmanager: { alertmanagerSpec: { storage: { volumeClaimTemplate: {} } } },
    }),
    [],
  );
  assert.deepEqual(findUnknownValuesKeys('loki', { loki: { limits_config: { anything_goes: 1 } } }), []);
  // grafana.ini is a non-empty map, but the chart ranges over it: free-form (rule 5)
  assert.deepEqual(findUnknownValuesKeys('kube-prometheus-stack', { grafana: { 'grafana.ini': { server: { root_url: 'x' } } } }), []);
});

test('values contract: keys only templates read (documented in comments) pass', () => {
  // customMetrics is commented out in values.yaml, but templates read .Values.customMetrics
  assert.deepEqual(findUnknownValuesKeys('dcgm-exporter', { customMetrics: 'DCGM_FI_DEV_GPU_UTIL, gauge, util' }), []);
  assert.deepEqual(
    findUnknownValuesKeys('kube-prometheus-stack', { alertmanager: { alertmanagerSpec: { configSecret: 'am-config' } } }),
    [],
  );
  // the Service toggle is `enable`; `enabled` is neither in values.yaml nor read by a template
  assert.deepEqual(findUnknownValuesKeys('dcgm-exporter', { service: { enabled: true } }), ['service.enabled']);
});

test('values contract: values.schema.json declares keys; closed objects reject others', () => {
  assert.deepEqual(findUnknownValuesKeys('cert-manager', { global: { leaderElection: { namespace: 'x' } } }), []);
  assert.deepEqual(findUnknownValuesKeys('cert-manager', { global: { leaderElektion: {} }, webhook: { replicaCont: 1 } }), [
    'global.leaderElektion',
    'webhook.replicaCont',
  ]);
  // Loki's root schema says additionalProperties: true; top-level typos are still caught
  assert.deepEqual(findUnknownValuesKeys('loki', { deploymentMod: 'SingleBinary' }), ['deploymentMod']);
});

test('values contract: a scalar default does not accept child keys', () => {
  assert.deepEqual(findUnknownValuesKeys('kube-prometheus-stack', { prometheus: { prometheusSpec: { retention: { time: '30d' } } } }), [
    'prometheus.prometheusSpec.retention.time',
  ]);
});

test('values contract: opts.version selects another stored version (loki 6.55.0 alternative)', () => {
  assert.deepEqual(findUnknownValuesKeys('loki', { enterprise: { enabled: false } }), ['enterprise']);
  assert.deepEqual(findUnknownValuesKeys('loki', { enterprise: { enabled: false } }, { version: '6.55.0' }), []);
  assert.throws(() => findUnknownValuesKeys('loki', {}, { version: '9.9.9' }), /chart loki@9\.9\.9 is not in \.\.\/shared\/charts \(versions there: .*18\.11\.0/);
});

test('values contract: unknown chart and non-map values are errors', () => {
  assert.throws(() => findUnknownValuesKeys('lokii', {}), /chart "lokii" is not in charts\/pins\.json; pinned charts: .*loki/);
  assert.throws(() => findUnknownValuesKeys('loki', ['x']), /loki@18\.11\.0: values must be a map of keys, received a list/);
  assert.deepEqual(findUnknownValuesKeys('loki', undefined), []);
});
