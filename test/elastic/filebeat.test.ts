/** Filebeat (ECK Beat DaemonSet): config golden, inputs, multiline on the corpus, TLS to Logstash, read-only hostPaths, RBAC. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { compileFilebeatMultiline, groupLines } from '../../constructs/mllogs';
import { BEAT_DATA_VOLUME, CONTAINER_LOG_DIRS, eckBeatDataHostPath, FILEBEAT_CAPABILITIES, isJournalPath } from '../../constructs/elastic';
import { ELASTIC_STACK_VERSION } from '../../constructs/versions';
import type { KubeManifest } from '../../constructs/core/manifest';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { validateBuiltinObject } from '../helpers/builtin-contract';
import { MINIMAL_INPUT, synthEnvironment } from '../helpers/synth';
import { loadEnvironmentFile } from '../metrics/env-files';
import { multilineGroups, re2Engine } from '../mllogs/helpers';
import { assertElasticGolden } from './golden';
import { FILEBEAT_REPORT_PERIOD_SECONDS } from '../../constructs/contracts/logstash-monitoring';

const dev = synthEnvironment(loadEnvironmentFile('dev'), 'dev');
const prod = synthEnvironment(loadEnvironmentFile('prod'), 'prod');

type Input = { type: string; id: string; paths: string[]; parsers?: Record<string, Record<string, unknown>>[]; include_matches?: unknown; processors?: Record<string, unknown>[] };
type Container = { name: string; securityContext: { runAsUser: number; allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean; capabilities: { drop: string[]; add: string[] } }; volumeMounts: { name: string; mountPath: string; readOnly: boolean }[] };
type BeatSpec = {
  type: string;
  version: string;
  config: { 'filebeat.inputs': Input[]; processors: Record<string, Record<string, unknown>>[]; 'output.logstash': Record<string, unknown> };
  daemonSet: { podTemplate: { spec: { serviceAccountName: string; containers: Container[]; volumes: { name: string; hostPath?: { path: string; type: string }; secret?: { secretName: string; items: unknown[] } }[] } } };
};
const beatOf = (r: typeof dev): KubeManifest & { spec: BeatSpec } => {
  const found = r.customResources.filter((o) => o.kind === 'Beat' && (o.spec as { type?: string }).type === 'filebeat');
  assert.equal(found.length, 1);
  return found[0] as KubeManifest & { spec: BeatSpec };
};

test('the Filebeat configuration matches its golden file (dev and prod)', () => {
  assertElasticGolden('filebeat-dev.yaml', stringify(beatOf(dev).spec.config));
  assertElasticGolden('filebeat-prod.yaml', stringify(beatOf(prod).spec.config));
});

test('the Beat validates against its pinned CRD: filebeat, pinned version, a DaemonSet', () => {
  for (const r of [dev, prod]) {
    const b = beatOf(r);
    assertValidCustomResource(b);
    assert.equal(b.spec.type, 'filebeat');
    assert.equal(b.spec.version, ELASTIC_STACK_VERSION);
    assert.ok(b.spec.daemonSet.podTemplate, 'deployed as a DaemonSet');
  }
});

test('container logs: filestream on /var/log/containers, container parser then the catalog multiline, Kubernetes metadata', () => {
  const input = beatOf(dev).spec.config['filebeat.inputs'].find((i) => i.id === 'mlobs-containers');
  assert.ok(input);
  assert.equal(input.type, 'filestream');
  assert.deepEqual(input.paths, ['/var/log/containers/*.log']);
  assert.deepEqual(input.parsers?.map((p) => Object.keys(p)[0]), ['container', 'multiline']);
  assert.deepEqual(input.parsers?.[1]?.multiline, { ...compileFilebeatMultiline() });
  assert.deepEqual(input.processors?.map((p) => Object.keys(p)[0]), ['add_kubernetes_metadata', 'rate_limit'], 'metadata first (the limit counts per pod uid and container)');
});

test("the multiline pattern read back from the config groups every corpus traceback into one event (RE2, Filebeat's regex family)", () => {
  const input = beatOf(dev).spec.config['filebeat.inputs'].find((i) => i.id === 'mlobs-containers');
  const ml = input?.parsers?.[1]?.multiline as { pattern: string; negate: boolean; match: string };
  assert.equal(ml.negate, false);
  assert.equal(ml.match, 'after');
  const engine = re2Engine();
  const re = engine.compilePlain(ml.pattern);
  const isContinuation = (line: string): boolean => {
    const input = engine.prepare(line);
    try {
      return re.exec(input) !== null;
    } finally {
      input.dispose();
    }
  };
  const groups = multilineGroups();
  assert.ok(groups.length >= 10);
  for (const g of groups) assert.equal(groupLines(g.lines, isContinuation).length, 1, `${g.id}: one event`);
});

test('the kernel log: filestream on the configured file, journald for a journal directory', () => {
  const kernel = (r: typeof dev) => beatOf(r).spec.config['filebeat.inputs'].find((i) => i.id === 'mlobs-kernel');
  assert.deepEqual({ type: kernel(dev)?.type, paths: kernel(dev)?.paths }, { type: 'filestream', paths: ['/var/log/kern.log'] });
  const j = synthEnvironment({ ...MINIMAL_INPUT, logs: { pipelines: ['elastic'] }, elastic: { filebeat: { kernelLogPath: '/var/log/journal' } } });
  assert.deepEqual(kernel(j)?.type, 'journald');
  assert.deepEqual(kernel(j)?.include_matches, { match: ['_TRANSPORT=kernel'] });
  assert.equal(beatOf(j).spec.daemonSet.podTemplate.spec.volumes.find((v) => v.name === 'kernel-log')?.hostPath?.type, 'Directory');
  assert.equal(isJournalPath('/run/log/journal/'), true);
  assert.equal(isJournalPath('/var/log/kern.log'), false);
});

test('JSON lines (starting with {) are decoded beside the raw line; every event carries the node name', () => {
  const procs = beatOf(dev).spec.config.processors;
  assert.deepEqual(procs[0], { add_fields: { target: 'mlobs', fields: { node: '${NODE_NAME}' } } });
  const d = procs[1]?.decode_json_fields as { when: unknown; fields: string[]; target: string };
  assert.deepEqual(d.when, { regexp: { message: '^\\{' } });
  assert.deepEqual(d.fields, ['message']);
  assert.equal(d.target, 'json', 'message keeps the raw line for the catalog filter');
});

test('output to Logstash over TLS with the CA of the beats certificate, from the trust bundle of the agents namespace (dev and prod); plain when the collectors hop is off', () => {
  for (const r of [dev, prod]) {
    const b = beatOf(r);
    assert.equal(b.metadata.namespace, 'mlobs-agents', 'Filebeat runs in the agents namespace');
    // the bundle is a Certificate there from the same CA as the beats certificate (the CA Issuer's ClusterIssuer twin)
    const bundle = r.customResources.find((o) => o.kind === 'Certificate' && o.metadata.namespace === 'mlobs-agents' && (o.spec as { secretName: string }).secretName === 'mlobs-trust');
    assert.ok(bundle, 'the trust bundle Certificate in the agents namespace');
    const beatsCert = r.customResources.find((o) => o.kind === 'Certificate' && o.metadata.name === 'mlobs-ls-beats-tls');
    const twin = r.customResources.find((o) => o.kind === 'ClusterIssuer' && o.metadata.name === (bundle.spec as { issuerRef: { name: string } }).issuerRef.name);
    const issuer = r.customResources.find((o) => o.kind === 'Issuer' && o.metadata.name === (beatsCert?.spec as { issuerRef: { name: string } }).issuerRef.name);
    assert.deepEqual(twin?.spec, issuer?.spec, 'one CA signs both');
    assert.deepEqual(b.spec.config['output.logstash'], {
      hosts: ['mlobs-ls-beats.mlobs.svc:5044'],
      'ssl.enabled': true,
      'ssl.verification_mode': 'full',
      'ssl.certificate_authorities': ['/usr/share/filebeat/logstash-ca/ca.crt'],
    });
    const ca = b.spec.daemonSet.podTemplate.spec.volumes.find((v) => v.name === 'logstash-ca');
    assert.deepEqual(ca?.secret, { secretName: 'mlobs-trust', items: [{ key: 'ca.crt', path: 'ca.crt' }] }, 'only ca.crt, never the key');
  }
  const r = synthEnvironment({ ...MINIMAL_INPUT, logs: { pipelines: ['elastic'] }, tls: { enabled: true, issuer: { kind: 'selfSigned' }, hops: { collectors: false } } });
  assert.deepEqual(beatOf(r).spec.config['output.logstash'], { hosts: ['mlobs-ls-beats.mlobs.svc:5044'], 'ssl.enabled': false });
});

test('privileges are explicit: every log hostPath read-only, root with only DAC_READ_SEARCH, no escalation, read-only root filesystem; the registry where ECK kept it', () => {
  const spec = beatOf(prod).spec.daemonSet.podTemplate.spec;
  const c = spec.containers.find((x) => x.name === 'filebeat');
  assert.ok(c);
  // ECK's own data volume (beat-data, read-write), given here so the registry stays at the path of the
  // stack namespace after the move to the agents namespace: offsets kept, no line sent twice
  const data = spec.volumes.find((v) => v.name === BEAT_DATA_VOLUME);
  assert.deepEqual(data?.hostPath, { path: eckBeatDataHostPath('mlobs', 'mlobs', 'filebeat'), type: 'DirectoryOrCreate' });
  assert.equal(data?.hostPath?.path, '/var/lib/mlobs/mlobs/filebeat-data');
  assert.equal(c.volumeMounts.find((m) => m.name === BEAT_DATA_VOLUME), undefined, 'ECK mounts it (no mount of ours)');
  const hostPathVolumes = spec.volumes.filter((v) => v.hostPath && v.name !== BEAT_DATA_VOLUME).map((v) => v.name);
  assert.deepEqual(spec.volumes.filter((v) => v.hostPath && v.name !== BEAT_DATA_VOLUME).map((v) => v.hostPath?.path), [...CONTAINER_LOG_DIRS, '/var/log/kern.log']);
  for (const name of hostPathVolumes) assert.equal(c.volumeMounts.find((m) => m.name === name)?.readOnly, true, `${name} is mounted read-only`);
  assert.deepEqual(c.securityContext, { runAsUser: 0, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: [...FILEBEAT_CAPABILITIES] } });
});

test('RBAC for Kubernetes metadata: read-only on pods, namespaces, nodes; valid built-in objects', () => {
  const sa = beatOf(dev).spec.daemonSet.podTemplate.spec.serviceAccountName;
  const role = dev.customResources.find((o) => o.kind === 'ClusterRole' && o.metadata.name === `mlobs-agents-${sa}`);
  assert.deepEqual((role as { rules?: unknown } | undefined)?.rules, [{ apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] }]);
  const binding = dev.customResources.find((o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === `mlobs-agents-${sa}`);
  assert.ok(binding);
  assert.deepEqual((binding as unknown as { subjects: unknown[] }).subjects, [{ kind: 'ServiceAccount', name: sa, namespace: 'mlobs-agents' }]);
  assert.ok(dev.customResources.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === sa && o.metadata.namespace === 'mlobs-agents'));
  for (const o of [role, binding]) assert.deepEqual(validateBuiltinObject(o as KubeManifest), []);
});

test('every container and pod-file line passes a per-stream rate limit with the Loki collectors\' rate and burst', () => {
  type Input = { id: string; processors?: Record<string, { limit?: string; fields?: string[]; algorithm?: { token_bucket?: { burst_multiplier?: number } } }>[] };
  const limitOf = (r: typeof dev, id: string) => {
    const inputs = (beatOf(r).spec.config as unknown as { 'filebeat.inputs': Input[] })['filebeat.inputs'];
    const input = inputs.find((i) => i.id === id) ?? assert.fail(`input ${id}`);
    return (input.processors ?? []).map((p) => p.rate_limit).find((x) => x !== undefined);
  };
  for (const [r, id] of [[dev, 'mlobs-containers'], [dev, 'mlobs-pod-files'], [prod, 'mlobs-containers']] as const) {
    const limit = limitOf(r, id) ?? assert.fail(`${id}: no rate_limit`);
    const s = r.env.settings.logs.volume.perStream;
    assert.equal(limit.limit, `${s.linesPerSecond}/s`, id);
    assert.deepEqual(limit.fields, ['kubernetes.pod.uid', 'kubernetes.container.name'], id);
    // the token bucket's depth (limit x burst_multiplier) is the collectors' burst
    assert.equal(s.linesPerSecond * (limit.algorithm?.token_bucket?.burst_multiplier ?? 1), s.burstLines, id);
  }
  const custom = synthEnvironment({ ...MINIMAL_INPUT, logs: { pipelines: ['elastic'], volume: { perStream: { linesPerSecond: 50, burstLines: 500 } } } } as never, 'custom');
  assert.equal(limitOf(custom, 'mlobs-containers')?.limit, '50/s');
  assert.equal(limitOf(custom, 'mlobs-containers')?.algorithm?.token_bucket?.burst_multiplier, 10);
});

test("Filebeat logs its own counters as JSON every 30s (what Logstash's Filebeat report filter reads)", () => {
  const config = beatOf(dev).spec.config as unknown as Record<string, unknown>;
  assert.equal(config['logging.json'], true);
  assert.equal(config['logging.metrics.enabled'], true);
  assert.equal(config['logging.metrics.period'], `${FILEBEAT_REPORT_PERIOD_SECONDS}s`);
  // the report filter looks for the Beat's container in the namespace the Beat runs in
  const pipeline = dev.stack.observability.elastic!.logstashPipeline;
  const c = beatOf(dev).spec.daemonSet.podTemplate.spec.containers[0]!;
  assert.ok(pipeline.includes(`[kubernetes][namespace] == "${beatOf(dev).metadata.namespace}" and [kubernetes][container][name] == "${c.name}"`));
});
