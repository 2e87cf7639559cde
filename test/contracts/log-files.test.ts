/**
 * Log files inside pods (contracts/log-files.ts): the generated discovery of both Loki collectors
 * run through Prometheus relabelling on the targets Kubernetes discovery gives (one pod that opts
 * in with a sidecar, one that does not), the resulting paths matched against files as they lie
 * on a node, Filebeat's input and its pod-uid position, and every bad setting refused with its field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import YAML from 'yaml';
import {
  DEFAULT_LOG_FILES,
  FILEBEAT_KUBELET_PODS_DIR,
  FILES_ANNOTATION_META_LABEL,
  LOG_FILES_CONTAINER_ANNOTATION,
  logFilesProblems,
  volumeDirOnNode,
  type LogFilesSettings,
} from '../../constructs/contracts/log-files';
import { renderAlloyConfig, renderAlloyValues } from '../../constructs/loki';
import { renderPromtailConfig, renderPromtailValues } from '../../constructs/loki/promtail.render';
import { FILES_ANNOTATION_FIELD, renderFilebeat, renderFilebeatConfig } from '../../constructs/elastic/filebeat.render';
import { compileFilebeatMultiline } from '../../constructs/mllogs';
import { ConfigError, parseEnvironment } from '../../config';
import { parseRiver, type RiverBlock } from '../helpers/alloy-executor';
import { relabel, type RelabelRule } from '../helpers/relabel';

const COMMON = { namespace: 'mlobs', agentsNamespace: 'mlobs-agents', clusterName: 't', environment: 't', labels: {}, monitorSelector: {} };
const LOKI = { url: 'http://loki-gateway.mlobs.svc:80', pushUrl: 'http://loki-gateway.mlobs.svc:80/loki/api/v1/push', tls: false };
const FILES: LogFilesSettings = { ...DEFAULT_LOG_FILES, enabled: true, globs: ['/workspace/logs/*.log', '/workspace/logs/lightning_logs/**/*.log'] };
const UID = '3f6c1a2e-9b7d-4c1e-8a55-0d2f4e6b7a91';

/** Targets as Kubernetes pod discovery gives them: one per container (port-less here). */
function podTargets(pod: string, uid: string, containers: readonly string[], annotation?: string): Record<string, string>[] {
  return containers.map((c) => ({
    __meta_kubernetes_namespace: 'team-a',
    __meta_kubernetes_pod_name: pod,
    __meta_kubernetes_pod_uid: uid,
    __meta_kubernetes_pod_node_name: 'gpu-node-1',
    __meta_kubernetes_pod_container_name: c,
    __meta_kubernetes_pod_container_init: 'false',
    __meta_kubernetes_pod_label_app: 'trainer',
    '__meta_kubernetes_pod_label_training_kubeflow_org_job_name': 'llama-ft',
    ...(annotation !== undefined ? { [FILES_ANNOTATION_META_LABEL]: annotation } : {}),
  }));
}

const TARGETS = [...podTargets('llama-ft-worker-0', UID, ['trainer', 'istio-proxy'], 'trainer'), ...podTargets('notebook-0', 'aaaaaaaa-0000-0000-0000-000000000000', ['jupyter'])];

/** The relabel rules of an Alloy `discovery.relabel` block. */
function alloyRules(block: RiverBlock): RelabelRule[] {
  return block.blocks
    .filter((b) => b.name === 'rule')
    .map((b) => Object.fromEntries([...b.attrs].map(([k, v]) => [k, /^["[]/.test(v) ? (JSON.parse(v) as unknown) : v])) as RelabelRule);
}

/** What a collector would tail: the surviving targets' labels (without meta labels). */
function survivors(rules: readonly RelabelRule[]): Record<string, string>[] {
  return TARGETS.map((t) => relabel(t, rules))
    .filter((t): t is Record<string, string> => t !== null)
    .map((t) => Object.fromEntries(Object.entries(t).filter(([k]) => !k.startsWith('__meta_') && !k.startsWith('__tmp_'))));
}

const EXPECTED_PATH = `/var/lib/kubelet/pods/${UID}/volumes/kubernetes.io~empty-dir/mlobs-logs/{*.log,lightning_logs/**/*.log}`;

test('Alloy: one target per opted-in pod, the annotated container, its labels and job, the volume path on the node', () => {
  const config = renderAlloyConfig({ common: COMMON, loki: LOKI, files: FILES });
  const top = parseRiver(config);
  const relabelBlock = top.find((b) => b.name === 'discovery.relabel' && b.label === 'pod_files');
  assert.ok(relabelBlock, 'a discovery.relabel "pod_files"');
  const out = survivors(alloyRules(relabelBlock));
  assert.deepEqual(out, [{ namespace: 'team-a', pod: 'llama-ft-worker-0', container: 'trainer', node: 'gpu-node-1', app: 'trainer', job: 'llama-ft', __path__: EXPECTED_PATH }]);
  const source = top.find((b) => b.name === 'loki.source.file' && b.label === 'pod_files');
  assert.equal(source?.attrs.get('forward_to'), '[loki.process.ml.receiver]', 'file lines join the catalog pipeline (no CRI stage)');
  assert.ok(!renderAlloyConfig({ common: COMMON, loki: LOKI }).includes('pod_files'), 'off by default');
});

test('Promtail: the same target, path and labels from its relabel_configs', () => {
  const config = YAML.parse(renderPromtailConfig({ common: COMMON, loki: LOKI, files: FILES })) as { scrape_configs: { job_name: string; relabel_configs: RelabelRule[] }[] };
  const job = config.scrape_configs.find((s) => s.job_name === 'pod-files');
  assert.ok(job, 'a pod-files scrape config');
  const out = survivors(job.relabel_configs);
  assert.deepEqual(out, [{ __host__: 'gpu-node-1', namespace: 'team-a', pod: 'llama-ft-worker-0', container: 'trainer', node: 'gpu-node-1', app: 'trainer', job: 'llama-ft', __path__: EXPECTED_PATH }]);
  const values = renderPromtailValues({ common: COMMON, loki: LOKI, files: FILES }) as { extraVolumeMounts: { name: string; mountPath: string; readOnly: boolean }[] };
  assert.deepEqual(
    values.extraVolumeMounts.filter((m) => m.name === 'kubelet-pods').map((m) => [m.mountPath, m.readOnly]),
    [['/var/lib/kubelet/pods', true]],
  );
});

test('the path matches the files of the volume and nothing else of the pod (secrets, tokens, other volumes)', () => {
  const dir = volumeDirOnNode(FILES, UID);
  const onNode = [
    [`${dir}/train.log`, true],
    [`${dir}/lightning_logs/version_0/events.log`, true],
    [`${dir}/lightning_logs/train.log`, true],
    [`${dir}/checkpoint.pt`, false],
    [`${dir}/sub/other.log`, false],
    [`/var/lib/kubelet/pods/${UID}/volumes/kubernetes.io~secret/hf-token/token`, false],
    [`/var/lib/kubelet/pods/${UID}/volumes/kubernetes.io~projected/kube-api-access-x/token`, false],
    [`/var/lib/kubelet/pods/${UID}/volumes/kubernetes.io~empty-dir/scratch/train.log`, false],
    [`/var/lib/kubelet/pods/other-uid/volumes/kubernetes.io~empty-dir/mlobs-logs/train.log`, false],
  ] as const;
  for (const [file, expected] of onNode) assert.equal(path.matchesGlob(file, EXPECTED_PATH), expected, file);
});

test('Alloy values mount the kubelet pod directory read-only with HostToContainer propagation, only when enabled', () => {
  type V = { alloy: { mounts: { extra: { name: string; mountPath: string; readOnly: boolean; mountPropagation?: string }[] } }; controller: { volumes: { extra: { name: string; hostPath?: { path: string } }[] } } };
  const on = renderAlloyValues({ common: COMMON, loki: LOKI, files: FILES }) as unknown as V;
  assert.deepEqual(on.alloy.mounts.extra.find((m) => m.name === 'kubelet-pods'), { name: 'kubelet-pods', mountPath: '/var/lib/kubelet/pods', readOnly: true, mountPropagation: 'HostToContainer' });
  assert.equal(on.controller.volumes.extra.find((v) => v.name === 'kubelet-pods')?.hostPath?.path, '/var/lib/kubelet/pods');
  const off = renderAlloyValues({ common: COMMON, loki: LOKI }) as unknown as V;
  assert.equal(off.alloy.mounts.extra.some((m) => m.name === 'kubelet-pods'), false);
});

test('Filebeat: a filestream input on the volumes, pod metadata by the uid in the path, pods without the annotation dropped', () => {
  const props = { name: 'mlobs', namespace: 'mlobs', labels: {}, version: '9.0.0', resources: { requests: { cpu: '100m', memory: '100Mi' }, limits: { memory: '200Mi' } }, multiline: compileFilebeatMultiline(), kernelLogPath: '/var/log/journal', logstashHost: 'ls:5044', files: FILES };
  const config = renderFilebeatConfig(props) as { 'filebeat.inputs': { id: string; paths: string[]; processors: Record<string, unknown>[] }[] };
  const input = config['filebeat.inputs'].find((i) => i.id === 'mlobs-pod-files');
  assert.ok(input);
  assert.deepEqual(input.paths, ['/var/lib/kubelet/pods/*/volumes/kubernetes.io~empty-dir/mlobs-logs/*.log', '/var/lib/kubelet/pods/*/volumes/kubernetes.io~empty-dir/mlobs-logs/lightning_logs/**/*.log']);
  // Filebeat's logs_path matcher (resource_type pod) takes the 6th '/'-separated segment as the uid
  assert.equal(volumeDirOnNode(FILES, UID).split('/')[5], UID);
  assert.ok(`${volumeDirOnNode(FILES, UID)}/`.startsWith(`${FILEBEAT_KUBELET_PODS_DIR}/`));
  assert.deepEqual(input.processors[1], { drop_event: { when: { not: { has_fields: [FILES_ANNOTATION_FIELD] } } } });
  assert.equal(FILES_ANNOTATION_FIELD, 'kubernetes.annotations.logs_mlobs_dev/container');
  const beat = renderFilebeat(props).beat as unknown as { spec: { daemonSet: { podTemplate: { spec: { volumes: { name: string; hostPath?: { path: string } }[]; containers: { volumeMounts: { name: string; readOnly: boolean }[] }[] } } } } };
  const pod = beat.spec.daemonSet.podTemplate.spec;
  assert.equal(pod.volumes.find((v) => v.name === 'kubelet-pods')?.hostPath?.path, '/var/lib/kubelet/pods');
  assert.equal(pod.containers[0]!.volumeMounts.find((m) => m.name === 'kubelet-pods')?.readOnly, true);
  assert.throws(() => renderFilebeat({ ...props, files: { ...FILES, kubeletRootDir: '/var/lib/k0s/kubelet' } }), /Filebeat reads pod uids only below \/var\/lib\/kubelet\/pods/);
});

test('bad settings are refused with the field: globs outside the allowed root, system mount paths, non-log patterns', () => {
  const problems = (s: Partial<LogFilesSettings>): string[] => logFilesProblems({ ...FILES, ...s }).map((p) => `${p.path.join('.')}: ${p.message}`);
  assert.deepEqual(problems({}), []);
  assert.match(problems({ globs: ['/etc/passwd.log'] })[0] ?? '', /^globs\.0: .*outside the allowed root \/workspace\/logs/);
  assert.match(problems({ globs: ['/workspace/logs/../../etc/x.log'] })[0] ?? '', /^globs\.0: .*normalised/);
  assert.match(problems({ globs: ['workspace/logs/*.log'] })[0] ?? '', /^globs\.0: .*absolute/);
  assert.match(problems({ globs: ['/workspace/logs/*.txt'] })[0] ?? '', /^globs\.0: .*\.log/);
  assert.match(problems({ globs: ['/workspace/logs/**'] })[0] ?? '', /^globs\.0: .*not "\*\*"/);
  assert.match(problems({ globs: ['/workspace/logs/{a,b}.log'] })[0] ?? '', /^globs\.0: .*segment/);
  assert.match(problems({ globs: [] })[0] ?? '', /^globs: at least one/);
  assert.match(problems({ mountPath: '/etc/app' })[0] ?? '', /^mountPath: .*under \/etc/);
  assert.match(problems({ mountPath: '/var/lib/kubelet/x', globs: ['/var/lib/kubelet/x/a.log'] })[0] ?? '', /^mountPath: .*under \/var\/lib\/kubelet/);
  assert.match(problems({ mountPath: '/' })[0] ?? '', /^mountPath: must not be "\/"/);
  assert.match(problems({ volume: 'Logs_Vol' })[0] ?? '', /^volume: .*DNS-1123/);
  assert.equal(LOG_FILES_CONTAINER_ANNOTATION, 'logs.mlobs.dev/container');
});

test('config: logs.files errors name file and field; the Elastic pipeline needs the default kubelet root', () => {
  const base = { grafana: { adminCredentials: { secretName: 'g' } } };
  const error = (logs: Record<string, unknown>): string => {
    try {
      parseEnvironment('qa', { ...base, logs });
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.message;
    }
    return assert.fail('accepted');
  };
  assert.match(error({ files: { enabled: true, globs: ['/root/.cache/x.log'] } }), /logs\.files\.globs\[0\].*outside the allowed root/s);
  assert.match(error({ files: { enabled: true, mountPath: '/proc/1' } }), /logs\.files\.mountPath.*under \/proc/s);
  assert.match(error({ pipelines: ['elastic'], files: { enabled: true, kubeletRootDir: '/var/lib/k0s/kubelet' } }), /logs\.files\.kubeletRootDir.*Filebeat/s);
  const ok = parseEnvironment('qa', { ...base, logs: { pipelines: ['loki'], files: { enabled: true, kubeletRootDir: '/var/lib/k0s/kubelet' } } });
  assert.equal(ok.settings.logs.files.kubeletRootDir, '/var/lib/k0s/kubelet');
});
