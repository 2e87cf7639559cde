/**
 * Pod security of every workload of every environment in config/: each release rendered with
 * the real helm (pinned charts with the synthesized values, and the generated chart with the
 * ECK resources and built-in Jobs), each container of each workload checked for non-root,
 * read-only root filesystem, no privilege escalation, capabilities dropped, no host namespaces
 * or hostPath, and requests/limits; failures name environment, workload, container and field.
 * Only SECURITY_EXCEPTIONS (constructs/core/security-exceptions.ts) may exempt a field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CHARTS, type PinnedChart } from '../../constructs/versions';
import {
  SECURITY_EXCEPTIONS,
  podSecurityLabels,
  requiredPodSecurityLevel,
  validateSecurityExceptions,
  type SecurityException,
  type SecurityField,
} from '../../constructs/core/security-exceptions';
import { synthesizeAll } from '../../stacks/app';
import { commonConfigFor } from '../../stacks/environment-props';
import { stackWorkloads, type HelmRenderer, type Workload } from '../../cli/budget';
import { helmTemplate } from '../helpers/helm-render';
import { REPO_ROOT } from '../helpers/paths';
import { synthEnvironment, MINIMAL_INPUT } from '../helpers/synth';

const OUTDIR = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-podsec-')), 'cdktf.out');
const envs = synthesizeAll({ configDir: path.join(REPO_ROOT, 'config'), outdir: OUTDIR });
const PINNED = new Map(Object.values(CHARTS as Record<string, PinnedChart>).map((c) => [`${c.repository}|${c.chart}`, c]));

/** The test's renderer: the shared helm helper (cached, isolated homes). */
const RENDERER: HelmRenderer = {
  render(r, stackDir) {
    if (r.repository === undefined) return helmTemplate({ chart: r.name, chartDir: path.join(stackDir, r.chart), namespace: r.namespace });
    const pin = PINNED.get(`${r.repository}|${r.chart}`);
    assert.ok(pin, `release ${r.name} installs ${r.repository} ${r.chart}, which is not pinned`);
    return helmTemplate({ chart: pin.chart, values: r.values, releaseName: r.name, namespace: r.namespace });
  },
};

interface Finding {
  readonly workload: string;
  readonly container: string;
  readonly field: SecurityField;
  readonly detail: string;
}

/** Every way a container of a workload falls short of "restricted with resources". */
function findings(w: Workload): Finding[] {
  const out: Finding[] = [];
  const pod = w.pod;
  for (const c of pod.containers) {
    const f = (field: SecurityField, detail: string): void => {
      out.push({ workload: w.id, container: c.name, field, detail });
    };
    const sc = c.securityContext ?? {};
    const runAsUser = sc.runAsUser ?? pod.securityContext?.runAsUser;
    const nonRoot = sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
    if (nonRoot !== true || runAsUser === 0) f('runAsNonRoot', `runAsNonRoot=${String(nonRoot)} runAsUser=${String(runAsUser)}`);
    if (sc.readOnlyRootFilesystem !== true) f('readOnlyRootFilesystem', `readOnlyRootFilesystem=${String(sc.readOnlyRootFilesystem)}`);
    if (sc.allowPrivilegeEscalation !== false) f('allowPrivilegeEscalation', `allowPrivilegeEscalation=${String(sc.allowPrivilegeEscalation)}`);
    if (sc.privileged === true) f('privileged', 'privileged=true');
    const drop = sc.capabilities?.drop ?? [];
    const added = (sc.capabilities?.add ?? []).filter((x) => x !== 'NET_BIND_SERVICE');
    if (!drop.includes('ALL') || added.length > 0) f('capabilities', `drop=${JSON.stringify(drop)} add=${JSON.stringify(added)}`);
    const r = c.resources;
    const missing = [
      r?.requests?.cpu === undefined ? 'requests.cpu' : '',
      r?.requests?.memory === undefined ? 'requests.memory' : '',
      r?.limits?.memory === undefined ? 'limits.memory' : '',
    ].filter(Boolean);
    if (missing.length > 0) f('resources', `missing ${missing.join(', ')}`);
  }
  const p = (field: SecurityField, detail: string): void => {
    out.push({ workload: w.id, container: POD, field, detail });
  };
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) p('hostNamespaces', `hostNetwork=${pod.hostNetwork} hostPID=${pod.hostPID} hostIPC=${pod.hostIPC}`);
  for (const h of pod.hostPaths) p('hostPath', `${h.volume} -> ${h.path}${h.readOnly ? ' (read-only)' : ' (WRITABLE)'}`);
  return out;
}

/** The container name of pod-level findings (host namespaces, hostPath). */
const POD = '(pod)';

function exceptionFor(list: readonly SecurityException[], f: Finding): SecurityException | undefined {
  return list.find(
    (e) => e.workload === f.workload && (f.container === POD || e.containers === undefined || e.containers.includes(f.container)) && e.exempt.includes(f.field),
  );
}

const used = new Set<SecurityException>();
const allWorkloads = new Map<string, Workload[]>();

for (const env of envs) {
  test(`${env.name}: every container of every workload is restricted with requests and limits, or a named exception`, () => {
    const workloads = stackWorkloads(path.join(OUTDIR, 'stacks', env.name), RENDERER);
    allWorkloads.set(env.name, workloads);
    assert.ok(workloads.length >= 5, `found only ${workloads.length} workloads`);
    const bad: string[] = [];
    for (const w of workloads) {
      for (const f of findings(w)) {
        const e = exceptionFor(SECURITY_EXCEPTIONS, f);
        if (e) used.add(e);
        else bad.push(`${env.name} ${f.workload} container ${f.container}: ${f.field} (${f.detail})`);
      }
    }
    assert.deepEqual(bad, [], `violations (fix the values, or add a named exception with a reason to constructs/core/security-exceptions.ts):\n${bad.join('\n')}`);
  });

  test(`${env.name}: hostPath volumes are mounted read-only`, () => {
    const workloads = allWorkloads.get(env.name) ?? stackWorkloads(path.join(OUTDIR, 'stacks', env.name), RENDERER);
    const writable = workloads.flatMap((w) => w.pod.hostPaths.filter((h) => !h.readOnly).map((h) => `${w.id}: ${h.volume} (${h.path})`));
    assert.deepEqual(writable, []);
  });
}

test('every exception matches a workload of some environment (no stale entries)', () => {
  for (const env of envs) if (!allWorkloads.has(env.name)) allWorkloads.set(env.name, stackWorkloads(path.join(OUTDIR, 'stacks', env.name), RENDERER));
  for (const [, workloads] of allWorkloads) for (const w of workloads) for (const f of findings(w)) { const e = exceptionFor(SECURITY_EXCEPTIONS, f); if (e) used.add(e); }
  const stale = SECURITY_EXCEPTIONS.filter((e) => !used.has(e)).map((e) => `${e.workload} (${e.exempt.join(', ')})`);
  assert.deepEqual(stale, []);
});

test('an exception without a reason is refused, naming the workload', () => {
  assert.throws(
    () => validateSecurityExceptions([{ workload: 'DaemonSet/alloy', namespace: 'stack', exempt: ['hostPath'], requires: 'privileged', reason: '' }]),
    /security exception #0 \(DaemonSet\/alloy\): reason is missing or too short \(""\)/,
  );
  assert.throws(
    () => validateSecurityExceptions([{ workload: 'DaemonSet/alloy', namespace: 'stack', exempt: [], requires: 'privileged', reason: 'reads the node logs through hostPath' }]),
    /exempt is empty/,
  );
  assert.throws(
    () => validateSecurityExceptions([{ workload: 'alloy', namespace: 'stack', exempt: ['hostPath'], requires: 'privileged', reason: 'reads the node logs through hostPath' }]),
    /workload must be Kind\/name/,
  );
});

test('each namespace enforces the lowest level its exceptions need and warns/audits at restricted', () => {
  const x = { workload: 'DaemonSet/x', exempt: ['hostPath'], requires: 'baseline', reason: 'a reason long enough to count' } as const;
  assert.equal(requiredPodSecurityLevel('stack', []), 'restricted');
  assert.equal(requiredPodSecurityLevel('agents', [{ ...x, namespace: 'agents' }]), 'baseline');
  assert.equal(requiredPodSecurityLevel('stack', [{ ...x, namespace: 'agents' }]), 'restricted', 'an agents exception does not lower the stack namespace');
  assert.equal(requiredPodSecurityLevel('agents'), 'privileged');
  const { tf } = synthEnvironment(MINIMAL_INPUT);
  type Ns = { metadata: { name: string; labels: Record<string, string> }[] | { name: string; labels: Record<string, string> } };
  const metas = Object.values((tf.resource?.kubernetes_namespace_v1 ?? {}) as Record<string, Ns>).map((n) => (Array.isArray(n.metadata) ? n.metadata[0]! : n.metadata));
  assert.deepEqual(metas.map((m) => m.name).sort(), ['mlobs', 'mlobs-agents'], 'the stack creates its namespace and the agents namespace');
  for (const [name, where] of [['mlobs', 'stack'], ['mlobs-agents', 'agents']] as const) {
    const meta = metas.find((m) => m.name === name)!;
    for (const [k, v] of Object.entries(podSecurityLabels(where))) assert.equal(meta.labels[k], v, `namespace ${name} label ${k}`);
    assert.equal(meta.labels['pod-security.kubernetes.io/enforce'], requiredPodSecurityLevel(where));
    assert.equal(meta.labels['pod-security.kubernetes.io/warn'], 'restricted');
    assert.equal(meta.labels['pod-security.kubernetes.io/audit'], 'restricted');
  }
});

test('every excepted workload runs in the namespace its exception names (whose enforce level admits it)', () => {
  for (const env of envs) if (!allWorkloads.has(env.name)) allWorkloads.set(env.name, stackWorkloads(path.join(OUTDIR, 'stacks', env.name), RENDERER));
  const misplaced: string[] = [];
  let checked = 0;
  for (const env of envs) {
    const common = commonConfigFor(env.name, env.settings);
    const nsOf = { stack: common.namespace, agents: common.agentsNamespace };
    for (const w of allWorkloads.get(env.name) ?? []) {
      for (const f of findings(w)) {
        const e = exceptionFor(SECURITY_EXCEPTIONS, f);
        if (!e) continue;
        checked++;
        if (w.namespace !== nsOf[e.namespace]) misplaced.push(`${env.name} ${w.id}: runs in "${w.namespace}", its exception says ${e.namespace} ("${nsOf[e.namespace]}")`);
      }
    }
  }
  assert.ok(checked > 0);
  assert.deepEqual([...new Set(misplaced)], []);
});

/**
 * What Pod Security `restricted` (the v1.32 standards) refuses in a pod, as far as the rendered
 * template shows it: host namespaces, hostPath volumes, privileged containers, privilege
 * escalation, capabilities beyond NET_BIND_SERVICE or not dropping ALL, runAsNonRoot not true
 * (container, else pod), uid 0, and no RuntimeDefault/Localhost seccomp profile (container, else pod).
 */
function restrictedViolations(w: Workload): string[] {
  const pod = w.pod;
  const podSc = pod.securityContext ?? {};
  const out: string[] = [];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) out.push('host namespaces');
  if (pod.hostPaths.length > 0) out.push(`hostPath volumes (${pod.hostPaths.map((h) => h.volume).join(', ')})`);
  for (const c of pod.containers) {
    const sc = c.securityContext ?? {};
    if (sc.privileged === true) out.push(`${c.name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${c.name}: allowPrivilegeEscalation != false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${c.name}: capabilities not dropping ALL`);
    const added = (sc.capabilities?.add ?? []).filter((x) => x !== 'NET_BIND_SERVICE');
    if (added.length > 0) out.push(`${c.name}: capabilities added ${added.join(', ')}`);
    if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) out.push(`${c.name}: runAsNonRoot != true`);
    if ((sc.runAsUser ?? podSc.runAsUser) === 0) out.push(`${c.name}: runAsUser=0`);
    const seccomp = (sc.seccompProfile ?? podSc.seccompProfile)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${c.name}: seccompProfile ${String(seccomp)}`);
  }
  return out;
}

test('restrictedViolations flags what Pod Security restricted refuses (a pod without a seccomp profile, a hostPath)', () => {
  const ok: Workload = {
    release: 'r', id: 'Deployment/x', kind: 'Deployment', name: 'x', namespace: 'mlobs', schedule: 'replicated', replicas: 1, storage: [],
    pod: {
      hostNetwork: false, hostPID: false, hostIPC: false, hostPaths: [],
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'c', init: false, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
  };
  assert.deepEqual(restrictedViolations(ok), []);
  assert.deepEqual(restrictedViolations({ ...ok, pod: { ...ok.pod, securityContext: { runAsNonRoot: true } } }), ['c: seccompProfile undefined']);
  assert.deepEqual(restrictedViolations({ ...ok, pod: { ...ok.pod, hostPaths: [{ volume: 'logs', path: '/var/log', readOnly: true }] } }), ['hostPath volumes (logs)']);
});

for (const env of envs) {
  test(`${env.name}: every pod of the stack namespace meets Pod Security restricted, except workloads whose exception there needs more (and the namespace enforces exactly that)`, () => {
    const workloads = allWorkloads.get(env.name) ?? stackWorkloads(path.join(OUTDIR, 'stacks', env.name), RENDERER);
    allWorkloads.set(env.name, workloads);
    const common = commonConfigFor(env.name, env.settings);
    const stack = workloads.filter((w) => w.namespace === common.namespace);
    assert.ok(stack.length >= 5, `only ${stack.length} workloads in ${common.namespace}`);
    const refused: string[] = [];
    const beyond = new Set<SecurityException>();
    for (const w of stack) {
      const v = restrictedViolations(w);
      if (v.length === 0) continue;
      const e = SECURITY_EXCEPTIONS.find((x) => x.workload === w.id && x.namespace === 'stack' && x.requires !== 'restricted');
      if (e) beyond.add(e);
      else refused.push(`${env.name} ${w.id}: ${v.join('; ')}`);
    }
    assert.deepEqual(refused, [], `pods of the stack namespace that restricted would refuse (fix the values, or move the workload to the agents namespace with a named exception):\n${refused.join('\n')}`);
    // The namespace's enforce level is what its refused-by-restricted workloads need, no more.
    const need = requiredPodSecurityLevel('stack', [...beyond]);
    assert.ok(['restricted', 'baseline', 'privileged'].indexOf(requiredPodSecurityLevel('stack')) >= ['restricted', 'baseline', 'privileged'].indexOf(need));
  });
}

test('README "Security" lists every exception with its reason', () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Security');
  assert.ok(start >= 0, 'README has a "## Security" section');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1) === -1 ? undefined : readme.indexOf('\n## ', start + 1));
  for (const e of SECURITY_EXCEPTIONS) {
    assert.ok(section.includes(`\`${e.workload}\``), `README Security section names ${e.workload}`);
    assert.ok(section.includes(e.reason), `README Security section gives the reason for ${e.workload}`);
  }
});

