/**
 * `gpu.remediation.mode: responder`: the schema's choices and errors; a synthesized environment
 * deploys the quarantine responder restricted-compliant, with RBAC of exactly nodes
 * get/list/patch and events create, a NetworkPolicy that admits only Alertmanager, and the
 * Alertmanager route and receiver (credentials_file) that `amtool` accepts and routes the fatal
 * GPU alerts through; the token never appears in the synthesized output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { parseEnvironment } from '../../config/load';
import type { EnvironmentInput } from '../../config/schema/environment';
import type { KubeManifest } from '../../constructs/core/manifest';
import { DEFAULT_ALERTMANAGER_SECRETS_DIR } from '../../constructs/metrics/alertmanager-config.render';
import { kubePrometheusStackWorkloads, KPS_PORTS } from '../../constructs/metrics/kube-prometheus-stack';
import { DEFAULT_RESPONDER_NAME, NODE_EVENT_NAMESPACE, RESPONDER_PORT, RESPONDER_TOKEN_FILE, responderPodLabels } from '../../constructs/gpu/quarantine-responder.render';
import { COMPILED_ROOT, readResponderFiles } from '../../constructs/gpu/quarantine-responder';
import { IMAGES } from '../../constructs/versions';
import { RESPONDER_RUNTIME_FILES } from '../../responder/files';
import { DEFAULT_FATAL_ALERT_NAMES } from '../../responder/policy';
import { validateBuiltinObject } from '../helpers/builtin-contract';
import { MINIMAL_INPUT, releaseValues, synthEnvironment } from '../helpers/synth';
import { requireTool, runTool } from '../metrics/tools';
import { isAllowed, policiesOf, type Endpoint } from '../network/helpers';

const TOKEN = { name: 'gpu-responder-token', key: 'token' };
const INPUT: EnvironmentInput = {
  ...MINIMAL_INPUT,
  alertmanager: {
    receivers: [
      { type: 'pagerduty', name: 'pager', routingKey: { name: 'am-pagerduty', key: 'routing-key' } },
      { type: 'slack', name: 'chat', apiUrl: { name: 'am-slack', key: 'url' }, channel: '#alerts' },
    ],
    routing: { critical: 'pager', warning: 'chat' },
  },
  gpu: { remediation: { mode: 'responder', responder: { dryRun: false, maxNodes: 3, tokenSecret: TOKEN } } },
} as EnvironmentInput;

const synth = synthEnvironment(INPUT);
const byKind = (kind: string): KubeManifest[] => synth.customResources.filter((m) => m.kind === kind && m.metadata.name.includes(DEFAULT_RESPONDER_NAME));
const one = (kind: string): KubeManifest => {
  const all = byKind(kind);
  assert.equal(all.length, 1, `one ${kind} of the responder`);
  return all[0] as KubeManifest;
};

interface Container {
  name: string;
  image: string;
  env: { name: string; value?: string; valueFrom?: unknown }[];
  securityContext: Record<string, unknown>;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  readinessProbe?: { httpGet?: { path: string } };
  livenessProbe?: { httpGet?: { path: string } };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string; items: { key: string; path: string }[] }; configMap?: { name: string; items: { key: string; path: string }[] } }[];
  hostNetwork?: boolean;
  hostPID?: boolean;
}
const podSpec = (): PodSpec => (one('Deployment').spec as { template: { spec: PodSpec } }).template.spec;
const env = (c: Container, name: string): string | undefined => c.env.find((e) => e.name === name)?.value;

test('schema: remediation defaults to none; responder settings default to a dry run, 2 nodes, 25%, one hour', () => {
  const e = parseEnvironment('t', MINIMAL_INPUT);
  assert.equal(e.settings.gpu.remediation.mode, 'none');
  assert.deepEqual(
    { ...e.settings.gpu.remediation.responder, resources: undefined },
    { dryRun: true, maxNodes: 2, maxPercent: 25, windowSeconds: 3600, resources: undefined },
  );
});

test('schema: responder mode requires the token Secret, refuses a literal token, and names the allowed modes', () => {
  const parse = (gpu: unknown) => () => parseEnvironment('t', { ...MINIMAL_INPUT, gpu }, 'config/t.yaml');
  assert.throws(parse({ remediation: { mode: 'responder' } }), /config\/t\.yaml: gpu\.remediation\.responder\.tokenSecret: is required in responder mode .*please set: gpu\.remediation\.responder\.tokenSecret: \{ name: mlobs-gpu-responder-token, key: token \}/);
  const literal = 'hunter2-literal-token';
  assert.throws(parse({ remediation: { mode: 'responder', responder: { tokenSecret: literal } } }), (e: Error) => {
    assert.match(e.message, /gpu\.remediation\.responder\.tokenSecret: must reference an existing Secret, not hold the credential/);
    assert.doesNotMatch(e.message, new RegExp(literal));
    return true;
  });
  assert.throws(parse({ remediation: { mode: 'responder', responder: { token: literal, tokenSecret: TOKEN } } }), /gpu\.remediation\.responder\.token: unknown key; allowed keys here: .*tokenSecret/);
  assert.throws(parse({ remediation: { mode: 'auto' } }), /gpu\.remediation\.mode: "auto" is not allowed; use one of "nvsentinel", "responder", "none"/);
  assert.throws(parse({ remediation: { mode: 'responder', responder: { tokenSecret: TOKEN, maxPercent: 0 } } }), /gpu\.remediation\.responder\.maxPercent: 0 must be more than 0/);
  assert.throws(parse({ remediation: { mode: 'responder', responder: { tokenSecret: TOKEN, windowSeconds: 1e9 } } }), /gpu\.remediation\.responder\.windowSeconds: .*must be at most 604800/);
});

test('nvsentinel and none modes are accepted and deploy no responder', () => {
  for (const mode of ['nvsentinel', 'none'] as const) {
    const r = synthEnvironment({ ...MINIMAL_INPUT, gpu: { remediation: { mode } } } as EnvironmentInput);
    assert.equal(r.stack.observability.gpuResponder, undefined, mode);
    assert.deepEqual(r.customResources.filter((m) => m.metadata.name.includes(DEFAULT_RESPONDER_NAME)).map((m) => m.kind), [], mode);
    const am = (releaseValues(r.tf, 'kube-prometheus-stack').alertmanager as { config: { receivers: { name: string }[] } }).config;
    assert.ok(!am.receivers.some((x) => x.name === DEFAULT_RESPONDER_NAME), mode);
  }
});

test('responder mode: every object is a valid built-in object, in the stack namespace', () => {
  const kinds = synth.customResources.filter((m) => m.metadata.name.includes(DEFAULT_RESPONDER_NAME)).map((m) => m.kind).sort();
  assert.deepEqual(kinds, ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'NetworkPolicy', 'Role', 'Role', 'RoleBinding', 'RoleBinding', 'Service', 'ServiceAccount']);
  for (const m of synth.customResources.filter((x) => x.metadata.name.includes(DEFAULT_RESPONDER_NAME))) {
    assert.deepEqual(validateBuiltinObject(m), [], `${m.kind}/${m.metadata.name}`);
    if (m.kind.startsWith('Cluster')) assert.equal(m.metadata.namespace, undefined, `${m.kind}/${m.metadata.name}`);
    // Only the node Events' Role (and its binding) lives outside the stack namespace.
    else assert.equal(m.metadata.namespace, m.kind.startsWith('Role') && m.metadata.name !== DEFAULT_RESPONDER_NAME ? NODE_EVENT_NAMESPACE : 'mlobs', `${m.kind}/${m.metadata.name}`);
  }
});

test('responder mode: the Deployment is Pod Security restricted, with resources, probes and the pinned image', () => {
  const spec = podSpec();
  assert.equal((one('Deployment').spec as { replicas: number }).replicas, 1);
  assert.equal(spec.hostNetwork, undefined);
  assert.equal(spec.hostPID, undefined);
  assert.equal(spec.securityContext.runAsNonRoot, true);
  assert.equal(typeof spec.securityContext.runAsUser, 'number');
  assert.notEqual(spec.securityContext.runAsUser, 0);
  assert.deepEqual(spec.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  assert.equal(spec.containers.length, 1);
  const c = spec.containers[0] as Container;
  assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
  assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, JSON.stringify(c.resources));
  assert.equal(c.readinessProbe?.httpGet?.path, '/healthz');
  assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
  // Exact tag and digest, from the one module of versions.
  assert.equal(c.image, `${IMAGES.gpuResponderNode.repository}:${IMAGES.gpuResponderNode.tag}@${IMAGES.gpuResponderNode.digest}`);
  assert.match(c.image, /^docker\.io\/library\/node:\d+\.\d+\.\d+-alpine[\d.]+@sha256:[0-9a-f]{64}$/);
  for (const m of c.volumeMounts) assert.equal(m.readOnly, true, m.name);
  // The safety settings of the environment reach the process.
  assert.equal(env(c, 'RESPONDER_DRY_RUN'), 'false');
  assert.equal(env(c, 'RESPONDER_MAX_NODES'), '3');
  assert.equal(env(c, 'RESPONDER_MAX_PERCENT'), '25');
  assert.equal(env(c, 'RESPONDER_WINDOW_SECONDS'), '3600');
  assert.equal(env(c, 'RESPONDER_GPU_NODE_SELECTOR'), 'nvidia.com/gpu.present=true');
  // Events of cluster-scoped objects (nodes) are accepted in `default` only.
  assert.equal(env(c, 'RESPONDER_EVENT_NAMESPACE'), 'default');
  assert.equal(env(c, 'RESPONDER_TOKEN_FILE'), RESPONDER_TOKEN_FILE);
  // The token comes from the Secret, mounted read-only as the file the process reads.
  const token = spec.volumes.find((v) => v.secret);
  assert.deepEqual(token?.secret?.secretName, TOKEN.name);
  assert.deepEqual(token?.secret?.items, [{ key: TOKEN.key, path: 'token' }]);
  assert.equal(path.posix.join(c.volumeMounts.find((m) => m.name === token?.name)?.mountPath ?? '', 'token'), RESPONDER_TOKEN_FILE);
});

test('dry run unless the environment says otherwise', () => {
  const r = synthEnvironment({ ...MINIMAL_INPUT, gpu: { remediation: { mode: 'responder', responder: { tokenSecret: TOKEN } } } } as EnvironmentInput);
  const d = r.customResources.find((m) => m.kind === 'Deployment' && m.metadata.name === DEFAULT_RESPONDER_NAME);
  const c = (d?.spec as { template: { spec: PodSpec } }).template.spec.containers[0] as Container;
  assert.equal(env(c, 'RESPONDER_DRY_RUN'), 'true');
});

test('responder mode: the ConfigMap carries exactly the compiled runtime files, mounted in their layout', () => {
  const cm = one('ConfigMap') as KubeManifest & { data: Record<string, string> };
  const files = readResponderFiles();
  assert.deepEqual(Object.keys(cm.data).sort(), RESPONDER_RUNTIME_FILES.map((f) => f.key).sort());
  for (const f of files) assert.equal(cm.data[f.key], fs.readFileSync(path.join(COMPILED_ROOT, f.path), 'utf8'), f.path);
  const vol = podSpec().volumes.find((v) => v.configMap);
  assert.deepEqual(vol?.configMap?.items, RESPONDER_RUNTIME_FILES.map((f) => ({ key: f.key, path: f.path })));
  assert.throws(() => readResponderFiles(path.join(os.tmpdir(), 'no-such-dist')), /GpuQuarantineResponder: the compiled responder file .*responder\/main\.js is missing; build the package \(npm run build\)/);
});

test('responder mode: RBAC is exactly nodes get/list/patch (cluster) and events create (node Events in default, its Pod\'s in the stack namespace), bound to its ServiceAccount only', () => {
  const sa = one('ServiceAccount');
  assert.equal(podSpec().serviceAccountName, sa.metadata.name);
  type Rbac = KubeManifest & { rules?: unknown[]; roleRef?: { kind: string; name: string }; subjects?: unknown[] };
  const rbac = synth.customResources.filter((m) => /Role(Binding)?$/.test(m.kind)) as Rbac[];
  const bindings = rbac.filter((m) => m.kind.endsWith('Binding') && JSON.stringify(m.subjects).includes(`"name":"${sa.metadata.name}"`));
  assert.equal(bindings.length, 3, 'one ClusterRoleBinding, two RoleBindings');
  for (const b of bindings) assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'mlobs' }]);
  // Every permission the account has, as (namespace or cluster) resource:verb.
  const granted = bindings.flatMap((b) => {
    const role = rbac.find((r) => r.kind === b.roleRef?.kind && r.metadata.name === b.roleRef?.name && (r.kind === 'ClusterRole' || r.metadata.namespace === b.metadata.namespace));
    assert.ok(role, `${b.kind}/${b.metadata.name} -> ${b.roleRef?.kind}/${b.roleRef?.name}`);
    return (role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]).flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${b.kind === 'ClusterRoleBinding' ? '*' : b.metadata.namespace}:${g}/${res}:${v}`))),
    );
  });
  assert.deepEqual(granted.sort(), ['*:/nodes:get', '*:/nodes:list', '*:/nodes:patch', 'default:/events:create', 'mlobs:/events:create'].sort());
});

test('responder mode: the NetworkPolicy admits only Alertmanager, on the responder port', () => {
  const NS = { 'kubernetes.io/metadata.name': 'mlobs' };
  const policies = policiesOf(synth.customResources);
  const w = kubePrometheusStackWorkloads();
  const responder: Endpoint = { labels: responderPodLabels(), namespace: NS };
  const at = (labels: Readonly<Record<string, string>>, ns = NS): Endpoint => ({ labels, namespace: ns });
  const port = { number: RESPONDER_PORT, name: 'http' };
  assert.ok(policies.some((p) => p.metadata.name === 'mlobs-gpu-responder'), 'a policy of the responder');
  assert.equal(isAllowed(policies, NS, at(w.alertmanager.podSelector), responder, port), true, 'Alertmanager -> responder');
  assert.equal(isAllowed(policies, NS, at(w.alertmanager.podSelector), responder, { number: 9999 }), false, 'another port');
  for (const [who, from] of [
    ['Prometheus', at(w.prometheus.podSelector)],
    ['Grafana', at(w.grafana.podSelector)],
    ['a pod of the namespace', at({ app: 'someone-else' })],
    ['a pod of another namespace', at({ app: 'someone-else' }, { 'kubernetes.io/metadata.name': 'team-a' })],
    ['Alertmanager-labelled pod in another namespace', at(w.alertmanager.podSelector, { 'kubernetes.io/metadata.name': 'team-a' })],
  ] as const) {
    assert.equal(isAllowed(policies, NS, from, responder, port), false, `${who} -> responder`);
  }
  // Alertmanager's own port is unaffected.
  assert.equal(isAllowed(policies, NS, at(w.prometheus.podSelector), at(w.alertmanager.podSelector), { number: KPS_PORTS.alertmanagerWeb }), true);
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-responder-am-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const SENTINEL = 'SENTINEL-responder-token-5b1e';

/** The deployed alertmanager.yaml with its Secret files and templates as fixtures under tmp. */
function writeDeployedConfig(): { file: string; config: Record<string, unknown> } {
  const am = releaseValues(synth.tf, 'kube-prometheus-stack').alertmanager as { config: Record<string, unknown>; templateFiles: Record<string, string> };
  const secrets = path.join(tmp, 'secrets');
  const templates = path.join(tmp, 'templates');
  fs.mkdirSync(templates, { recursive: true });
  for (const [n, t] of Object.entries(am.templateFiles)) fs.writeFileSync(path.join(templates, n), t);
  const text = stringify(am.config).split(DEFAULT_ALERTMANAGER_SECRETS_DIR).join(secrets).replace(/- \S+\/\*\.tmpl/, `- ${templates}/*.tmpl`);
  for (const m of text.matchAll(/_file: (\S+)/g)) {
    fs.mkdirSync(path.dirname(m[1] as string), { recursive: true });
    fs.writeFileSync(m[1] as string, `${SENTINEL}\n`);
  }
  const file = path.join(tmp, 'alertmanager.yaml');
  fs.writeFileSync(file, text);
  return { file, config: am.config };
}

test('responder mode: Alertmanager routes the fatal GPU alerts to the responder first (continue), with the token from the mounted Secret', () => {
  const values = releaseValues(synth.tf, 'kube-prometheus-stack').alertmanager as { config: { route: { routes: Record<string, unknown>[] }; receivers: Record<string, unknown>[] }; alertmanagerSpec: { secrets: string[] } };
  const first = values.config.route.routes[0];
  assert.deepEqual(first?.receiver, DEFAULT_RESPONDER_NAME);
  assert.equal(first?.continue, true);
  assert.deepEqual(first?.matchers, [`alertname=~${JSON.stringify(DEFAULT_FATAL_ALERT_NAMES.join('|'))}`]);
  const receiver = values.config.receivers.find((r) => r.name === DEFAULT_RESPONDER_NAME);
  assert.deepEqual(receiver, {
    name: DEFAULT_RESPONDER_NAME,
    webhook_configs: [
      {
        url: `http://${DEFAULT_RESPONDER_NAME}.mlobs.svc:${RESPONDER_PORT}/webhook`,
        send_resolved: false,
        max_alerts: 0,
        http_config: { authorization: { type: 'Bearer', credentials_file: `${DEFAULT_ALERTMANAGER_SECRETS_DIR}/${TOKEN.name}/${TOKEN.key}` } },
      },
    ],
  });
  // alertmanagerSpec.secrets mounts the token Secret where credentials_file reads it.
  assert.ok(values.alertmanagerSpec.secrets.includes(TOKEN.name), values.alertmanagerSpec.secrets.join(', '));
  // The Service the URL names exists and selects the responder's pods on its port.
  const svc = one('Service') as KubeManifest & { spec: { selector: Record<string, string>; ports: { port: number }[] } };
  assert.equal(svc.metadata.name, DEFAULT_RESPONDER_NAME);
  assert.deepEqual(svc.spec.selector, responderPodLabels());
  assert.deepEqual(svc.spec.ports.map((p) => p.port), [RESPONDER_PORT]);
});

test('responder mode: amtool check-config accepts the deployed configuration and routes fatal alerts to the responder and the pager', () => {
  const amtool = requireTool('amtool');
  const { file } = writeDeployedConfig();
  const check = runTool(amtool, ['check-config', file]);
  assert.equal(check.status, 0, `${check.stdout}\n${check.stderr}`);
  const routes = (labels: Record<string, string>): string[] => {
    const r = runTool(amtool, ['config', 'routes', 'test', `--config.file=${file}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split(',').map((s) => s.trim()).sort();
  };
  for (const alertname of ['GpuFellOffBus', 'GpuXidDoubleBitEcc', 'GpuEccUncorrectableErrors', 'GpuRowRemapFailure']) {
    assert.ok(DEFAULT_FATAL_ALERT_NAMES.includes(alertname), alertname);
    assert.deepEqual(routes({ alertname, severity: 'critical', node: 'gpu-1' }), [DEFAULT_RESPONDER_NAME, 'pager'].sort(), alertname);
  }
  // Not fatal: humans only.
  assert.deepEqual(routes({ alertname: 'GpuTemperatureHigh', severity: 'warning', node: 'gpu-1' }), ['chat']);
  assert.deepEqual(routes({ alertname: 'GpuLost', severity: 'critical', node: 'gpu-1' }), ['pager']);
});

test('responder mode: the token never appears in the synthesized output; only its Secret name and key', () => {
  // The token lives only in the user's Secret; synthesized JSON names the Secret, never a credential value.
  assert.ok(!synth.json.includes(SENTINEL));
  const values = JSON.stringify(releaseValues(synth.tf, 'kube-prometheus-stack'));
  assert.doesNotMatch(values, /"credentials":/, 'Alertmanager reads the token from a file, never inline');
  assert.match(values, /"credentials_file":"\/etc\/alertmanager\/secrets\/gpu-responder-token\/token"/);
  for (const m of synth.customResources.filter((x) => x.metadata.name.includes(DEFAULT_RESPONDER_NAME))) {
    assert.notEqual(m.kind, 'Secret');
    // The script (ConfigMap data) reads a token; the objects themselves carry none.
    const { data: _script, ...rest } = m as KubeManifest & { data?: unknown };
    assert.doesNotMatch(JSON.stringify(rest), /Bearer|stringData|"token":/, `${m.kind}/${m.metadata.name}`);
  }
});

test('a user receiver named like the responder is refused with the name to change', () => {
  assert.throws(
    () =>
      synthEnvironment({
        ...INPUT,
        alertmanager: { receivers: [{ type: 'webhook', name: DEFAULT_RESPONDER_NAME, url: 'https://example.com/x' }], routing: { critical: DEFAULT_RESPONDER_NAME } },
      } as EnvironmentInput),
    /addRemediationWebhook: a receiver named "mlobs-gpu-responder" already exists; rename the alertmanager receiver/,
  );
});
