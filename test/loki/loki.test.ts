/** Loki from config: values per environment, the rendered Loki config, retention pitfalls, credentials. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { parseEnvironment } from '../../config';
import { DEFAULT_LOKI_RELEASE_NAME } from '../../constructs/loki';
import { releaseValues, synthEnvironment, MINIMAL_INPUT } from '../helpers/synth';
import { assertValuesKeysExist } from '../helpers/helm-values-contract';
import { helmTemplate, type KubeObject } from '../helpers/helm-render';
import { loadEnvironmentFile } from '../metrics/env-files';

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const synth = (env: string) => synthEnvironment(loadEnvironmentFile(env), env);
const lokiValues = (env: string): Values => releaseValues(synth(env).tf, DEFAULT_LOKI_RELEASE_NAME) as Values;

/** The Loki config file the chart renders into its ConfigMap. */
function renderedLokiConfig(values: Values): { config: Values; objects: KubeObject[] } {
  const objects = helmTemplate({ chart: 'loki', values, releaseName: DEFAULT_LOKI_RELEASE_NAME, apiVersions: ['monitoring.coreos.com/v1'] });
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'loki');
  assert.ok(cm, 'ConfigMap loki');
  return { config: parse((cm as unknown as { data: Record<string, string> }).data['config.yaml'] as string) as Values, objects };
}

function configError(input: object): string {
  try {
    parseEnvironment('t', { ...MINIMAL_INPUT, ...input });
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail('expected a config error');
}

test('dev: monolithic single binary on its filesystem volume, tenant = environment name', () => {
  const v = lokiValues('dev');
  assertValuesKeysExist('loki', v);
  assert.equal(v.deploymentMode, 'Monolithic');
  assert.equal(v.loki.storage.type, 'filesystem');
  assert.equal(v.loki.schemaConfig.configs[0].object_store, 'filesystem');
  assert.equal(v.singleBinary.replicas, 1);
  assert.equal(v.singleBinary.persistence.size, '10Gi');
  assert.deepEqual([v.read.replicas, v.write.replicas, v.backend.replicas], [0, 0, 0]);
  assert.equal(v.loki.auth_enabled, true);
  const r = synth('dev');
  assert.equal(r.stack.observability.loki?.loki.endpoint.tenant, 'dev');
});

test('prod: scalable on S3 with workload identity, no keys, tenant ml-prod, 3 replicas per target', () => {
  const v = lokiValues('prod');
  assertValuesKeysExist('loki', v);
  assert.equal(v.deploymentMode, 'SimpleScalable');
  assert.equal(v.loki.storage.type, 's3');
  assert.deepEqual(v.loki.storage.bucketNames, { chunks: 'acme-ml-loki-prod', ruler: 'acme-ml-loki-prod', admin: 'acme-ml-loki-prod' });
  assert.equal(v.loki.storage.s3.accessKeyId, undefined);
  assert.equal(v.serviceAccount.annotations['eks.amazonaws.com/role-arn'], 'arn:aws:iam::123456789012:role/mlobs-loki-prod');
  assert.equal(v.singleBinary.replicas, 0);
  assert.deepEqual([v.read.replicas, v.write.replicas, v.backend.replicas], [3, 3, 3]);
  assert.equal(v.write.persistence.storageClass, 'premium-rwo');
  assert.equal(v.loki.commonConfig.replication_factor, 3);
  assert.equal(synth('prod').stack.observability.loki?.loki.endpoint.tenant, 'ml-prod');
});

test('staging: MinIO keys come from the Secret as env vars expanded by Loki, never as values', () => {
  const r = synth('staging');
  const v = releaseValues(r.tf, DEFAULT_LOKI_RELEASE_NAME) as Values;
  assert.equal(v.loki.storage.s3.accessKeyId, '${LOKI_S3_ACCESS_KEY_ID}');
  assert.equal(v.loki.storage.s3.endpoint, 'https://minio.storage.svc:9000');
  assert.equal(v.loki.storage.s3.s3ForcePathStyle, true);
  assert.deepEqual(v.defaults.extraEnv, [
    { name: 'LOKI_S3_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'loki-minio', key: 'access-key-id' } } },
    { name: 'LOKI_S3_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'loki-minio', key: 'secret-access-key' } } },
  ]);
  assert.ok(v.defaults.extraArgs.includes('-config.expand-env=true'));
  const { objects } = renderedLokiConfig(v);
  const write = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'loki-write') as unknown as Values;
  const c = write.spec.template.spec.containers[0];
  assert.ok(c.args.includes('-config.expand-env=true'));
  assert.ok(c.env.some((e: Values) => e.name === 'LOKI_S3_SECRET_ACCESS_KEY' && e.valueFrom.secretKeyRef.name === 'loki-minio'));
});

test('helm render: retention really applies (compactor retention, delete-request store, per-stream debug retention), tsdb v13', () => {
  for (const [env, period, debug, store] of [
    ['dev', '168h', '24h', 'filesystem'],
    ['staging', '336h', '48h', 's3'],
    ['prod', '744h', '72h', 's3'],
  ] as const) {
    const { config } = renderedLokiConfig(lokiValues(env));
    assert.equal(config.compactor.retention_enabled, true, env);
    assert.equal(config.compactor.delete_request_store, store, env);
    assert.equal(config.limits_config.retention_period, period, env);
    assert.deepEqual(config.limits_config.retention_stream, [{ selector: '{level="debug"}', priority: 1, period: debug }], env);
    assert.deepEqual(
      config.schema_config.configs.map((c: Values) => [c.store, c.schema, c.object_store]),
      [['tsdb', 'v13', store]],
      env,
    );
    assert.equal(config.auth_enabled, true, env);
  }
});

test('helm render: the gateway serves TLS from the cert-manager Secret on 443; PDBs in prod', () => {
  const r = synth('prod');
  const v = releaseValues(r.tf, DEFAULT_LOKI_RELEASE_NAME) as Values;
  const { objects } = renderedLokiConfig(v);
  const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'loki-gateway') as unknown as Values;
  assert.equal(svc.spec.ports[0].port, 443);
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'loki-gateway') as unknown as Values;
  assert.match(cm.data['nginx.conf'], /listen +8080 ssl;/);
  assert.match(cm.data['nginx.conf'], /ssl_certificate \/etc\/nginx\/tls\/tls\.crt;/);
  const dep = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'loki-gateway') as unknown as Values;
  assert.ok(dep.spec.template.spec.volumes.some((x: Values) => x.secret?.secretName === 'loki-gateway'));
  const cert = r.customResources.find((m) => m.kind === 'Certificate' && m.metadata.name === 'loki-gateway');
  assert.ok(cert, 'Certificate loki-gateway');
  assert.ok((cert.spec as { dnsNames: string[] }).dnsNames.includes('loki-gateway.mlobs.svc'));
  const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name).sort();
  assert.deepEqual(pdbs, ['loki-backend', 'loki-gateway', 'loki-read', 'loki-write']);
});

test('without TLS the gateway is plain HTTP on 80 and no certificate is requested', () => {
  const r = synthEnvironment({ ...MINIMAL_INPUT, logs: { pipelines: ['loki'] } });
  const v = releaseValues(r.tf, DEFAULT_LOKI_RELEASE_NAME) as Values;
  assert.equal(v.gateway.service.port, 80);
  assert.equal(v.gateway.nginxConfig, undefined);
  assert.equal(r.stack.observability.loki?.loki.endpoint.url, 'http://loki-gateway.mlobs.svc:80');
});

test('no Loki release when logs.pipelines has no loki', () => {
  const r = synthEnvironment({ ...MINIMAL_INPUT, logs: { pipelines: [] } });
  assert.throws(() => releaseValues(r.tf, DEFAULT_LOKI_RELEASE_NAME), /no helm_release named "loki"/);
});

test('schema: scalable without object storage is an error that shows the config to write', () => {
  assert.match(configError({ loki: { deploymentMode: 'scalable' } }), /loki\.objectStorage: is required when loki\.deploymentMode is "scalable".*please set: loki\.objectStorage: \{ backend: s3/);
});

test('schema: debug retention must be shorter than the retention period, and both at least 24h', () => {
  assert.match(
    configError({ retention: { loki: { period: '72h' } }, loki: { debugRetention: '72h' } }),
    /loki\.debugRetention: "72h" must be shorter than retention\.loki\.period "72h"/,
  );
  assert.match(configError({ retention: { loki: { period: '12h' } } }), /retention\.loki\.period: "12h" is shorter than Loki's minimum retention \(24h/);
  assert.match(configError({ loki: { debugRetention: '6h' } }), /loki\.debugRetention: "6h" is shorter than Loki's minimum retention/);
});

test('schema: a tenant without auth, and several filesystem replicas, are contradictions', () => {
  assert.match(configError({ loki: { authEnabled: false, tenant: 'x' } }), /loki\.tenant: "x" is ignored when loki\.authEnabled is false.*please set: loki\.authEnabled: true/);
  assert.match(configError({ loki: { replicas: 2 } }), /loki\.replicas: 2 replicas of a monolithic Loki on a filesystem volume.*please set: loki\.replicas: 1/);
});

test('schema: credentials are Secret references or workload identity, never literal strings', () => {
  const msg = configError({
    loki: { deploymentMode: 'scalable', objectStorage: { backend: 's3', bucket: 'b-loki', region: 'eu-west-1', credentials: { type: 'secret', accessKeyId: 'AKIA', secretAccessKey: 'x' } } },
  });
  assert.match(msg, /loki\.objectStorage\.credentials\.accessKeyId/);
});

test('valuesOverrides cannot switch compactor retention off', async () => {
  const { Testing } = await import('cdktf');
  const { Loki } = await import('../../constructs/loki');
  const env = parseEnvironment('t', MINIMAL_INPUT);
  const common = { namespace: 'mlobs', agentsNamespace: 'mlobs-agents', clusterName: 't', environment: 't', labels: {}, monitorSelector: {} };
  assert.throws(
    () =>
      new Loki(Testing.app(), 'l', {
        common,
        loki: { ...env.settings.loki, retentionPeriod: '744h' },
        valuesOverrides: { loki: { compactor: { retention_enabled: false } } },
      }),
    /switch off compactor retention.*retention\.loki\.period would never apply/,
  );
});
