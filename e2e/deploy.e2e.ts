/**
 * End to end on a real control plane (etcd, kube-apiserver, controller-manager, scheduler at
 * Kubernetes 1.36.3 and kwok's fake nodes, all built from Go modules): the e2e environment
 * (both log pipelines, TLS from the self-signed issuer, the bundled GPU exporter) is synthesized,
 * every string is evaluated by OpenTofu, every release is installed by Helm 3.17.2 (the Helm the
 * pinned helm provider embeds) with the release's own settings, and the API server admits
 * everything. Then: what the server stores equals what mlobs rendered; an upgrade changes exactly
 * what `mlobs preview` announced; a rejected change rolls back; destroy removes everything.
 * Writes e2e-report.json at the repository root.
 *
 * Not the pinned Terraform providers: the Go module proxy refuses their commits (README, "Real
 * engines"), so `cdktf deploy` / `tofu apply` cannot run here; e2e/driver.ts applies the stack
 * as they would and says what is its own.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DEFAULT_ES_USERS, ES_USER_ROLES } from '../constructs/elastic/settings';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { diffEnvironment, type EnvironmentDiff, type ManifestObject } from '../cli/preview/diff';
import { readOutput } from '../cli/preview/synthesize';
import { templateText } from '../constructs/core/terraform-literal';
import { POD_SECURITY_VERSION, SECURITY_EXCEPTIONS, podSecurityLabels } from '../constructs/core/security-exceptions';
import { PROVIDERS } from '../constructs/versions';
import { REPO_ROOT } from '../test/helpers/paths';
import { engineBin } from '../test/helpers/engines';
import { initStopsOnlyAtProviders, tofu } from '../test/helpers/tofu';
import { LocalCluster } from './cluster';
import { applyStack, destroyStack, loadStack, releaseArgs, type ApplyStep, type LoadedStack } from './driver';
import { E2eProject, E2E_ENV } from './project';
import { Tools } from './tools';
import { requiredSecrets, type PodTemplateOwner } from './secret-refs';
import { runRemediation } from './remediation';

const NAMESPACE = 'mlobs';
/** The agents namespace (`<namespace>-agents` by default): node-exporter and the bundled dcgm-exporter. */
const AGENTS = 'mlobs-agents';
const REPORT = path.join(REPO_ROOT, 'e2e-report.json');

interface Report {
  [key: string]: unknown;
}
const report: Report = { environment: E2E_ENV, notRun: {} };
const notRun = report.notRun as Record<string, string>;
const PROVIDERS_REFUSED =
  'the pinned providers cannot be built here: the Go module proxy refuses hashicorp/terraform-provider-kubernetes and -helm at the pinned commits (README, "Real engines")';

let cluster: LocalCluster | undefined;
let tools: Tools;
let project: E2eProject;
let stack: LoadedStack;
const failed = (steps: readonly ApplyStep[]): string => steps.filter((s) => !s.ok).map((s) => `${s.address}:\n${s.output}`).join('\n');

after(() => {
  cluster?.stop();
  project?.remove();
  fs.writeFileSync(REPORT, `${JSON.stringify(report, null, 2)}\n`);
});

test('the local cluster comes up: three Ready nodes, one GPU node, a default StorageClass, PodSecurity on, webhooks off', () => {
  const start = Date.now();
  cluster = LocalCluster.start();
  report.clusterStartSeconds = (Date.now() - start) / 1000;
  tools = new Tools(cluster.kubeconfig);
  const version = JSON.parse(tools.kubectlOk(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string } };
  report.kubernetesVersion = version.serverVersion.gitVersion;
  assert.match(version.serverVersion.gitVersion, /^v1\.3[4-9]\.\d+$/);
  const nodes = tools.getJson<{ items: { metadata: { name: string; labels: Record<string, string> }; status: { allocatable: Record<string, string>; conditions: { type: string; status: string }[] } }[] }>(['nodes']);
  assert.equal(nodes.items.length, 3);
  for (const n of nodes.items) assert.equal(n.status.conditions.find((c) => c.type === 'Ready')?.status, 'True', n.metadata.name);
  const gpu = nodes.items.filter((n) => n.metadata.labels['nvidia.com/gpu.present'] === 'true');
  assert.deepEqual(gpu.map((n) => n.status.allocatable['nvidia.com/gpu']), ['8']);
  const classes = tools.getJson<{ items: { metadata: { name: string; annotations?: Record<string, string> } }[] }>(['storageclass']);
  assert.ok(classes.items.some((c) => c.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true'));
  // The admission plugins: PodSecurity refuses a privileged pod in a restricted namespace.
  tools.kubectlOk(['create', 'namespace', 'psa-probe']);
  tools.kubectlOk(['label', 'namespace', 'psa-probe', 'pod-security.kubernetes.io/enforce=restricted']);
  // The ServiceAccount admission plugin refuses pods until the controller-manager has made the
  // namespace's default ServiceAccount: wait for it, so the refusal below is PodSecurity's.
  tools.kubectlOk(['wait', '--for=create', 'serviceaccount/default', '-n', 'psa-probe', '--timeout=60s']);
  const probe = tools.kubectl(['-n', 'psa-probe', 'run', 'probe', '--image=x', '--privileged']);
  assert.notEqual(probe.status, 0);
  assert.match(probe.stderr, /violates PodSecurity "restricted/);
  tools.kubectlOk(['delete', 'namespace', 'psa-probe', '--wait=false']);
});

test('OpenTofu 1.10+ reads the synthesized stack; its init stops only at the providers the proxy refuses', () => {
  project = new E2eProject(cluster!.kubeconfig);
  project.synth();
  const v = tofu(project.stackDir, ['version', '-json']);
  report.tofuVersion = (JSON.parse(v.stdout) as { terraform_version: string }).terraform_version;
  report.providers = Object.fromEntries(Object.values(PROVIDERS).map((p) => [p.source, p.version]));
  // A filesystem mirror holding what could be built (nothing): init (local backend included) must
  // accept the configuration and stop only at the missing providers.
  assert.match(initStopsOnlyAtProviders(project.stackDir, true), /hashicorp\/(kubernetes|helm)/);
  report.tofuInit = 'fails: providers hashicorp/kubernetes 2.38.0 and hashicorp/helm 3.0.2 not in the mirror (not buildable here)';
  for (const k of ['applyWithTofu', 'replanChanges']) notRun[k] = PROVIDERS_REFUSED;
  // The field the issue asks for, present and null: a re-plan needs the providers (see notRun).
  report.replanChanges = null;
  stack = loadStack(project.stackDir);
  assert.ok(stack.resources.length >= 10, `${stack.resources.length} resources`);
});

/**
 * The Secrets a user provides (named in the environment file), created once the namespace exists:
 * their keys, each given a random value per run (never a literal, never on a command line).
 */
const USER_SECRETS: Readonly<Record<string, readonly string[]>> = { 'grafana-admin': ['admin-user', 'admin-password'], 'gpu-responder-token': ['token'] };
/** The stack's own Elasticsearch users (ECK file realm): basic-auth Secrets with the roles the README names. */
const ES_USER_SECRETS: Readonly<Record<string, { readonly username: string; readonly roles: readonly string[] }>> = {
  [DEFAULT_ES_USERS.grafanaUser]: { username: 'mlobs-grafana', roles: ES_USER_ROLES.grafana },
  [DEFAULT_ES_USERS.setupUser]: { username: 'mlobs-setup', roles: ES_USER_ROLES.setup },
  [DEFAULT_ES_USERS.monitorUser]: { username: 'mlobs-monitor', roles: ES_USER_ROLES.monitor },
};

test('apply on an empty cluster: every resource in dependency order, every release deployed', { timeout: 900_000 }, () => {
  const start = Date.now();
  const steps = applyStack(tools, stack, undefined, (r) => {
    if (r.type !== 'kubernetes_namespace_v1') return;
    for (const [name, keys] of Object.entries(USER_SECRETS)) {
      const data = Object.fromEntries(keys.map((k) => [k, randomBytes(18).toString('base64url')]));
      tools.kubectlOk(['apply', '-f', '-'], 120_000, JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NAMESPACE }, stringData: data }));
    }
    for (const [name, u] of Object.entries(ES_USER_SECRETS)) {
      const stringData = { username: u.username, password: randomBytes(18).toString('base64url'), roles: u.roles.join(',') };
      tools.kubectlOk(['apply', '-f', '-'], 120_000, JSON.stringify({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/basic-auth', metadata: { name, namespace: NAMESPACE }, stringData }));
    }
  });
  report.applySeconds = (Date.now() - start) / 1000;
  report.applySteps = steps.map((s) => ({ address: s.address, action: s.action, ok: s.ok, seconds: Math.round(s.seconds * 10) / 10 }));
  report.applyOk = steps.length === stack.resources.length && steps.every((s) => s.ok);
  assert.equal(failed(steps), '');
  assert.equal(steps.length, stack.resources.length);
  const releases = JSON.parse(tools.helm(['list', '-A', '-a', '-o', 'json']).stdout) as { name: string; namespace: string; status: string }[];
  const expected = stack.resources.filter((r) => r.type === 'helm_release').map((r) => `${releaseArgs(r).namespace}/${releaseArgs(r).name}`).sort();
  assert.deepEqual(releases.map((r) => `${r.namespace}/${r.name}`).sort(), expected);
  assert.ok(expected.includes(`${AGENTS}/dcgm-exporter`), 'the bundled dcgm-exporter is released into the agents namespace');
  for (const r of releases) assert.equal(r.status, 'deployed', r.name);
  report.releases = releases.length;
});

test('what the server stores equals what mlobs rendered: ConfigMaps byte for byte, every release\'s values, every custom resource', () => {
  // ConfigMaps: the data Terraform would send (the escaped JSON read as literal text) is stored exactly.
  const raw = JSON.parse(fs.readFileSync(path.join(project.stackDir, 'cdk.tf.json'), 'utf8')) as { resource: Record<string, Record<string, Record<string, unknown>>> };
  let configMaps = 0;
  for (const body of Object.values(raw.resource.kubernetes_config_map_v1 ?? {})) {
    const meta = body.metadata as { name: string; namespace: string };
    const stored = tools.getJson<{ data: Record<string, string> }>(['configmap', templateText(meta.name), '-n', templateText(meta.namespace)]);
    const rendered = Object.fromEntries(Object.entries(body.data as Record<string, string>).map(([k, v]) => [k, templateText(v)]));
    assert.deepEqual(stored.data, rendered, meta.name);
    configMaps++;
  }
  assert.ok(configMaps >= 3);
  // The Alloy configuration keeps its Go-template references (Terraform would have eaten `${1}`).
  const alloy = tools.getJson<{ data: Record<string, string> }>(['configmap', 'alloy-config', '-n', AGENTS]);
  assert.match(Object.values(alloy.data).join('\n'), /\$\{3\}-01-\$\{1\}T\$\{2\}/);
  // Releases: `helm get values` equals the values the stack rendered.
  for (const body of Object.values(raw.resource.helm_release)) {
    const name = templateText(body.name as string);
    const values = (body.values as string[] | undefined) ?? [];
    const rendered = values.length ? (parse(templateText(values[0] as string), { version: '1.1' }) as unknown) : {};
    const stored = JSON.parse(tools.helm(['get', 'values', name, '-n', templateText(body.namespace as string), '-o', 'json']).stdout) as unknown;
    assert.deepEqual(stored ?? {}, rendered ?? {}, name);
  }
  // Custom resources of the generated chart: each exists, and every field we rendered is stored as rendered.
  const manifests = readOutput(project.outdir)[E2E_ENV]?.manifests ?? [];
  assert.ok(manifests.length >= 10, `${manifests.length} manifests`);
  let stored = 0;
  for (const m of manifests) {
    const group = m.apiVersion.includes('/') ? m.apiVersion.split('/')[0] : '';
    const resource = group ? `${m.kind.toLowerCase()}.${group}` : m.kind.toLowerCase();
    const obj = tools.getJson<Record<string, unknown>>([resource, m.metadata.name, '-n', m.metadata.namespace ?? NAMESPACE]);
    assertSubset(obj, m, `${m.kind}/${m.metadata.name}`);
    stored++;
  }
  report.customResources = stored;
  report.configMaps = configMaps;
});

/** Every field of `rendered` is in `stored` with the same value (the server may add defaults). */
function assertSubset(stored: unknown, rendered: unknown, at: string): void {
  if (rendered !== null && typeof rendered === 'object' && !Array.isArray(rendered)) {
    assert.ok(stored !== null && typeof stored === 'object' && !Array.isArray(stored), `${at}: not an object on the server`);
    for (const [k, v] of Object.entries(rendered)) {
      if (at.split('/').length === 2 && k === 'metadata') {
        const meta = v as ManifestObject['metadata'] & { labels?: Record<string, string>; annotations?: Record<string, string> };
        assertSubset((stored as Record<string, unknown>).metadata, { name: meta.name, ...(meta.labels ? { labels: meta.labels } : {}) }, `${at}.metadata`);
        continue;
      }
      assertSubset((stored as Record<string, unknown>)[k], v, `${at}.${k}`);
    }
  } else if (Array.isArray(rendered)) {
    assert.ok(Array.isArray(stored) && stored.length === rendered.length, `${at}: list differs on the server`);
    rendered.forEach((v, i) => assertSubset((stored as unknown[])[i], v, `${at}[${i}]`));
  } else {
    assert.deepEqual(stored, rendered, at);
  }
}

test('each namespace enforces its Pod Security labels (agents: privileged) and every workload\'s pods were admitted and are ready', () => {
  type Workload = { kind: string; metadata: { name: string }; spec: { replicas?: number }; status: { readyReplicas?: number; numberReady?: number; desiredNumberScheduled?: number } };
  type Pod = { metadata: { name: string }; spec: { nodeName?: string; hostNetwork?: boolean }; status: { phase: string } };
  const admitted: Record<string, number> = {};
  const podsIn: Record<string, Pod[]> = {};
  const workloadsIn: Record<string, Workload[]> = {};
  for (const [name, where] of [[NAMESPACE, 'stack'], [AGENTS, 'agents']] as const) {
    const ns = tools.getJson<{ metadata: { labels: Record<string, string> } }>(['namespace', name]);
    for (const [k, v] of Object.entries(podSecurityLabels(where))) assert.equal(ns.metadata.labels[k], v, `${name}: ${k}`);
    const workloads = tools.getJson<{ items: Workload[] }>(['deployments,statefulsets,daemonsets', '-n', name]).items;
    for (const w of workloads) {
      const want = w.kind === 'DaemonSet' ? w.status.desiredNumberScheduled : (w.spec.replicas ?? 1);
      const ready = w.kind === 'DaemonSet' ? w.status.numberReady : w.status.readyReplicas;
      assert.ok((want ?? 0) > 0, `${name}: ${w.kind}/${w.metadata.name} wants no pod`);
      assert.equal(ready ?? 0, want, `${name}: ${w.kind}/${w.metadata.name}`);
    }
    workloadsIn[name] = workloads;
    podsIn[name] = tools.getJson<{ items: Pod[] }>(['pods', '-n', name]).items;
    admitted[name] = podsIn[name].length;
  }
  assert.ok((workloadsIn[NAMESPACE] ?? []).length >= 10, `${(workloadsIn[NAMESPACE] ?? []).length} workloads`);
  report.podsAdmitted = admitted;
  // The host agents run in the agents namespace, admitted there under `privileged`.
  assert.equal(podSecurityLabels('agents')['pod-security.kubernetes.io/enforce'], 'privileged');
  // (Filebeat is an ECK Beat: no operator runs here to create its DaemonSet; its custom resource is checked above)
  assert.deepEqual((workloadsIn[AGENTS] ?? []).map((w) => `${w.kind}/${w.metadata.name}`).sort(), ['DaemonSet/alloy', 'DaemonSet/dcgm-exporter', 'DaemonSet/kube-prometheus-stack-prometheus-node-exporter']);
  // The stack namespace enforces restricted: every pod there was admitted under it.
  assert.equal(podSecurityLabels('stack')['pod-security.kubernetes.io/enforce'], 'restricted');
  const agentPods = podsIn[AGENTS] ?? [];
  assert.equal(agentPods.filter((p) => p.metadata.name.startsWith('kube-prometheus-stack-prometheus-node-exporter')).length, 3, 'node-exporter on every node');
  assert.ok(agentPods.some((p) => p.spec.hostNetwork === true), 'a host-network pod admitted in the agents namespace');
  // The GPU exporter runs on the GPU node only.
  const dcgm = agentPods.filter((p) => p.metadata.name.startsWith('dcgm-exporter'));
  assert.deepEqual(dcgm.map((p) => p.spec.nodeName), ['mlobs-gpu-0']);
  assert.deepEqual((podsIn[NAMESPACE] ?? []).filter((p) => /node-exporter|dcgm-exporter|^alloy-(?!events)/.test(p.metadata.name)).map((p) => p.metadata.name), [], 'no host agent left in the stack namespace');
  assert.equal(agentPods.filter((p) => /^alloy-/.test(p.metadata.name)).length, 3, 'the log collector on every node, in the agents namespace');
  // PersistentVolumeClaims (Loki) are bound.
  const pvcs = tools.getJson<{ items: { metadata: { name: string }; status: { phase: string } }[] }>(['pvc', '-n', NAMESPACE]).items;
  assert.ok(pvcs.length >= 1);
  for (const c of pvcs) assert.equal(c.status.phase, 'Bound', c.metadata.name);
  // Every Secret a pod needs exists, or is made by a part of the stack that cannot run here
  // (cert-manager for Certificates, ECK for its clusters, the chart's certgen hook): a reference
  // to a Secret that nobody creates is a pod that never starts.
  // Both namespaces: a Secret is looked up in the namespace of the pod that mounts it (`<namespace>/<name>` below).
  const required = new Map<string, string[]>();
  for (const ns of [NAMESPACE, AGENTS]) {
    const owners = tools.getJson<{ items: PodTemplateOwner[] }>(['deployments,statefulsets,daemonsets,jobs,cronjobs', '-n', ns]).items;
    for (const [name, who] of requiredSecrets(owners)) required.set(`${ns}/${name}`, who);
  }
  const present = new Set([NAMESPACE, AGENTS].flatMap((ns) => tools.getJson<{ items: { metadata: { name: string } }[] }>(['secrets', '-n', ns]).items.map((x) => `${ns}/${x.metadata.name}`)));
  const manifests = readOutput(project.outdir)[E2E_ENV]?.manifests ?? [];
  const certificates = new Set(manifests.filter((m) => m.kind === 'Certificate').map((m) => `${m.metadata.namespace ?? NAMESPACE}/${String((m.spec as { secretName?: string } | undefined)?.secretName)}`));
  const elastic = manifests.filter((m) => m.kind === 'Elasticsearch' || m.kind === 'Kibana').map((m) => `${m.metadata.namespace ?? NAMESPACE}/${m.metadata.name}`);
  // Secrets the chart's hook Jobs write (kube-webhook-certgen `--secret-name=...`; the Jobs are deleted after success).
  const hookSecrets = new Set([...tools.helm(['get', 'hooks', 'kube-prometheus-stack', '-n', NAMESPACE]).stdout.matchAll(/--secret-name=([a-z0-9.-]+)/g)].map((m) => `${NAMESPACE}/${m[1]}`));
  const unresolved: string[] = [];
  const producedBy: Record<string, string> = {};
  for (const [name, who] of required) {
    if (present.has(name)) producedBy[name] = 'present';
    else if (certificates.has(name)) producedBy[name] = 'cert-manager Certificate';
    else if (elastic.some((e) => name.startsWith(`${e}-es-`) || name.startsWith(`${e}-kb-`))) producedBy[name] = 'ECK';
    else if (hookSecrets.has(name)) producedBy[name] = "kube-prometheus-stack's certgen hook Job";
    else unresolved.push(`${name} (needed by ${who.join(', ')})`);
  }
  assert.deepEqual(unresolved, [], 'Secrets referenced by pods that nothing creates');
  for (const name of Object.keys(USER_SECRETS)) assert.equal(producedBy[`${NAMESPACE}/${name}`], 'present', `user Secret ${name}`);
  // The collector in the agents namespace trusts the Loki gateway through the trust bundle Certificate there.
  assert.equal(producedBy[`${AGENTS}/mlobs-trust`], 'cert-manager Certificate');
  report.secretReferences = producedBy;
  const policies = tools.getJson<{ items: unknown[] }>(['networkpolicies', '-n', NAMESPACE]).items;
  assert.ok(policies.length >= 5, `${policies.length} NetworkPolicies`);
  const agentPolicies = tools.getJson<{ items: { metadata: { name: string } }[] }>(['networkpolicies', '-n', AGENTS]).items.map((p) => p.metadata.name).sort();
  // the scraped agents: the log collector (its PodMonitor) and dcgm-exporter
  assert.deepEqual(agentPolicies, ['mlobs-alloy', 'mlobs-dcgm-exporter', 'mlobs-default-deny-ingress']);
  report.networkPolicies = { [NAMESPACE]: policies.length, [AGENTS]: agentPolicies.length };
});

/** A temporary namespace that enforces `restricted`, for the API server's own verdict on each pod. */
const PSA_PROBE_NAMESPACE = 'mlobs-psa-restricted-probe';

test('the API server admits every pod of the stack namespace under Pod Security restricted (which it enforces), and refuses the log collector of the agents namespace', () => {
  type Owner = { kind: string; name: string; controller?: boolean };
  type Pod = { metadata: { name: string; ownerReferences?: Owner[] }; spec: Record<string, unknown> };
  // Workloads the exceptions table keeps in the stack namespace beyond restricted: the only ones
  // allowed to be refused below. Anything else refused is a pod the stack namespace could not
  // admit if it enforced restricted.
  const beyond = new Set(SECURITY_EXCEPTIONS.filter((e) => e.namespace === 'stack' && e.requires !== 'restricted').map((e) => e.workload));
  const ownerOf = (p: Pod): string => {
    const ref = p.metadata.ownerReferences?.find((o) => o.controller) ?? p.metadata.ownerReferences?.[0];
    if (!ref) return `Pod/${p.metadata.name}`;
    if (ref.kind !== 'ReplicaSet') return `${ref.kind}/${ref.name}`;
    const rs = tools.getJson<{ metadata: { ownerReferences?: Owner[] } }>(['replicaset', ref.name, '-n', NAMESPACE]);
    const dep = rs.metadata.ownerReferences?.find((o) => o.controller);
    return dep ? `${dep.kind}/${dep.name}` : `ReplicaSet/${ref.name}`;
  };
  tools.kubectlOk(['create', 'namespace', PSA_PROBE_NAMESPACE]);
  try {
    tools.kubectlOk(['label', 'namespace', PSA_PROBE_NAMESPACE, 'pod-security.kubernetes.io/enforce=restricted', `pod-security.kubernetes.io/enforce-version=${POD_SECURITY_VERSION}`]);
    // The ServiceAccount admission plugin refuses pods until the namespace has its default account.
    tools.kubectlOk(['wait', '--for=create', 'serviceaccount/default', '-n', PSA_PROBE_NAMESPACE, '--timeout=60s']);
    const pods = tools.getJson<{ items: Pod[] }>(['pods', '-n', NAMESPACE]).items;
    assert.ok(pods.length >= 10, `${pods.length} pods in ${NAMESPACE}`);
    // The control: the log collector's pods of the agents namespace (hostPath, root) must be refused.
    const collectors = tools.getJson<{ items: Pod[] }>(['pods', '-n', AGENTS, '-l', 'app.kubernetes.io/name=alloy']).items;
    assert.ok(collectors.length >= 1, 'the Alloy pods in the agents namespace');
    const admitted: string[] = [];
    const refused: Record<string, string> = {};
    for (const p of [...pods, ...collectors]) {
      // The pod as it runs (the API server's defaults included), in the probe namespace: only
      // what Pod Security does not look at is dropped (node, priority, the ServiceAccount of the stack namespace).
      const { nodeName: _node, serviceAccountName: _sa, serviceAccount: _legacy, priority: _priority, ...spec } = p.spec;
      const probe = { apiVersion: 'v1', kind: 'Pod', metadata: { name: p.metadata.name, namespace: PSA_PROBE_NAMESPACE }, spec };
      const r = tools.kubectl(['create', '--dry-run=server', '-f', '-', '-o', 'name'], 60_000, JSON.stringify(probe));
      if (r.status === 0) admitted.push(p.metadata.name);
      else {
        assert.match(r.stderr, /violates PodSecurity "restricted/, `${p.metadata.name}: refused for another reason:\n${r.stderr}`);
        refused[p.metadata.name] = `${ownerOf(p)}: ${r.stderr.replace(/^.*violates PodSecurity "restricted:[^"]*": /s, '').trim()}`;
      }
    }
    report.stackNamespaceRestricted = { admitted: admitted.length, refused };
    assert.deepEqual([...beyond], [], 'no exception keeps a workload beyond restricted in the stack namespace');
    const stackPods = new Set(pods.map((p) => p.metadata.name));
    const unexpected = Object.entries(refused).filter(([pod, why]) => stackPods.has(pod) && !beyond.has(why.slice(0, why.indexOf(':')))).map(([pod, why]) => `${pod} (${why})`);
    assert.deepEqual(unexpected, [], 'pods of the stack namespace that restricted refuses, with no exception there that needs more');
    // The check is real: the collector (hostPath, root) is refused, every pod of the stack namespace admitted.
    for (const c of collectors) assert.match(refused[c.metadata.name] ?? '', /^DaemonSet\/alloy:/, `${c.metadata.name} (hostPath, root) is refused under restricted`);
    assert.ok(admitted.length >= 8, `${admitted.length} pods admitted under restricted`);
  } finally {
    tools.kubectl(['delete', 'namespace', PSA_PROBE_NAMESPACE, '--wait=true'], 120_000);
  }
});

test('GPU remediation: the real Alertmanager 0.34 with the deployed route posts a fatal Xid for the GPU node and the responder cordons and taints it; a burst beyond the limit acts on no more nodes and says why; a request without the token is refused', { timeout: 300_000 }, async () => {
  const kpsValues = JSON.parse(tools.helm(['get', 'values', 'kube-prometheus-stack', '-n', NAMESPACE, '-o', 'json']).stdout) as Parameters<typeof runRemediation>[0]['kpsValues'];
  const r = await runRemediation({ tools, namespace: NAMESPACE, kpsValues, gpuNode: 'mlobs-gpu-0', burstNodes: ['mlobs-gpu-burst-1', 'mlobs-gpu-burst-2'] });
  report.remediation = r;
  assert.deepEqual(r.cordoned, ['mlobs-gpu-0']);
  assert.deepEqual(Object.keys(r.rateLimited).sort(), ['mlobs-gpu-burst-1', 'mlobs-gpu-burst-2']);
  for (const why of Object.values(r.rateLimited)) assert.match(why, /^rate-limited-count: .*\(limit 1\)/);
  assert.deepEqual(r.unauthenticatedRejected, { noToken: 401, wrongToken: 401, nodesUnchanged: true });
  // Released after the test, as an operator would: the rest of the run sees the node schedulable again.
  const gpu = tools.getJson<{ spec: { unschedulable?: boolean; taints?: { key: string }[] } }>(['node', 'mlobs-gpu-0']);
  assert.notEqual(gpu.spec.unschedulable, true);
  assert.ok(!(gpu.spec.taints ?? []).some((t) => t.key === 'mlobs.dev/gpu-quarantine'));
});

/** Addresses whose objects on the cluster changed between two snapshots. */
function snapshot(s: LoadedStack): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of s.resources) {
    if (r.type === 'helm_release') {
      const a = releaseArgs(r);
      out.set(r.address, tools.helm(['get', 'manifest', a.name, '-n', a.namespace]).stdout + tools.helm(['get', 'values', a.name, '-n', a.namespace, '-o', 'json']).stdout);
    } else {
      const o = r.body.metadata as { name: string; namespace?: string };
      const kind = r.type === 'kubernetes_namespace_v1' ? 'namespace' : 'configmap';
      const obj = tools.getJson<{ metadata: { labels?: unknown; annotations?: unknown }; data?: unknown }>([kind, o.name, ...(o.namespace ? ['-n', o.namespace] : [])]);
      out.set(r.address, JSON.stringify([obj.metadata.labels, obj.data]));
    }
  }
  return out;
}

test('an upgrade (Prometheus retention 7d -> 14d) changes on the cluster exactly what mlobs preview announced', { timeout: 900_000 }, () => {
  const before = readOutput(project.outdir);
  const cluster0 = snapshot(stack);
  project.synth((doc) => doc.setIn(['retention', 'prometheus', 'time'], '14d'));
  const diff: EnvironmentDiff = diffEnvironment(E2E_ENV, before[E2E_ENV], readOutput(project.outdir)[E2E_ENV]);
  const announced = diff.resources.map((r) => r.address).sort();
  assert.ok(announced.length > 0, 'the preview shows a change');
  stack = loadStack(project.stackDir);
  const start = Date.now();
  const steps = applyStack(tools, stack);
  report.upgradeSeconds = (Date.now() - start) / 1000;
  assert.equal(failed(steps), '');
  const cluster1 = snapshot(stack);
  const changed = [...cluster1.keys()].filter((a) => cluster0.get(a) !== cluster1.get(a)).sort();
  report.upgradeChanged = changed;
  report.upgradeAnnounced = announced;
  report.upgradeMatchesPreview = JSON.stringify(changed) === JSON.stringify(announced);
  assert.deepEqual(changed, announced);
  const prom = JSON.parse(tools.helm(['get', 'values', 'kube-prometheus-stack', '-n', NAMESPACE, '-o', 'json']).stdout) as { prometheus: { prometheusSpec: { retention: string } } };
  assert.equal(prom.prometheus.prometheusSpec.retention, '14d');
  const cr = tools.getJson<{ spec: { retention: string } }>(['prometheus.monitoring.coreos.com', '-n', NAMESPACE]) as unknown as { items: { spec: { retention: string } }[] };
  assert.deepEqual(cr.items.map((p) => p.spec.retention), ['14d']);
});

test('a change the API server rejects fails the release, which rolls back to the deployed revision', { timeout: 900_000 }, () => {
  const metrics = stack.resources.find((r) => r.type === 'helm_release' && releaseArgs(r).name === 'kube-prometheus-stack');
  assert.ok(metrics);
  const status0 = JSON.parse(tools.helm(['status', 'kube-prometheus-stack', '-n', NAMESPACE, '-o', 'json']).stdout) as { version: number };
  const values0 = tools.helm(['get', 'values', 'kube-prometheus-stack', '-n', NAMESPACE, '-o', 'json']).stdout;
  // The Prometheus CRD's schema refuses this retention (pattern): the API server rejects the upgrade.
  const bad = { ...metrics, body: { ...metrics.body, values: [...((metrics.body.values as string[]) ?? []), 'prometheus:\n  prometheusSpec:\n    retention: "two weeks"\n'] } };
  const broken: LoadedStack = { ...stack, resources: stack.resources.map((r) => (r === metrics ? bad : r)) };
  const steps = applyStack(tools, broken, new Set([metrics.address]));
  assert.equal(steps.length, 1);
  assert.equal(steps[0]?.ok, false, 'the upgrade must fail');
  assert.match(steps[0]?.output ?? '', /retention|spec\.retention|Invalid value/i);
  assert.match(steps[0]?.output ?? '', /roll(ed|ing)? back/i);
  const status1 = JSON.parse(tools.helm(['status', 'kube-prometheus-stack', '-n', NAMESPACE, '-o', 'json']).stdout) as { version: number; info: { status: string } };
  assert.equal(status1.info.status, 'deployed');
  assert.ok(status1.version > status0.version, 'the rollback is a new revision');
  assert.equal(tools.helm(['get', 'values', 'kube-prometheus-stack', '-n', NAMESPACE, '-o', 'json']).stdout, values0);
  const cr = tools.getJson<{ items: { spec: { retention: string } }[] }>(['prometheus.monitoring.coreos.com', '-n', NAMESPACE]);
  assert.deepEqual(cr.items.map((p) => p.spec.retention), ['14d']);
  report.rollbackOk = true;
});

test('destroy removes every release and the namespace without hanging, and the cluster stops with nothing left behind', { timeout: 600_000 }, () => {
  const start = Date.now();
  const steps = destroyStack(tools, stack);
  report.destroySeconds = (Date.now() - start) / 1000;
  assert.equal(failed(steps), '');
  for (const name of [NAMESPACE, AGENTS]) {
    const ns = tools.kubectl(['get', 'namespace', name]);
    assert.notEqual(ns.status, 0, name);
    assert.match(ns.stderr, /NotFound|not found/);
  }
  assert.equal(JSON.parse(tools.helm(['list', '-A', '-a', '-o', 'json']).stdout).length, 0);
  report.destroyOk = true;
  const c = cluster!;
  assert.ok(c.processes().length >= 5, 'the components were running');
  c.stop();
  assert.deepEqual(c.processes(), []);
  assert.equal(fs.existsSync(c.dir), false);
  assert.ok(fs.existsSync(engineBin('kubectl')));
});
