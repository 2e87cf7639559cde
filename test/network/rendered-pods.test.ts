/**
 * NetworkPolicies against the pods the environment really runs: every chart of the
 * synthesized stack is rendered with the real helm (pinned charts with the stack's values, and
 * the generated chart), and
 * - every podSelector of every policy (and of every same-namespace peer) selects at least one
 *   pod of that environment, and each numeric or named port a policy admits exists on a pod it
 *   selects;
 * - Prometheus may reach every endpoint that a ServiceMonitor or PodMonitor of the namespace
 *   scrapes (Service → selected pods → target port), and the API server every webhook.
 *
 * Pods that no chart renders are taken from what their operator documents or guarantees:
 * Prometheus/Alertmanager pods carry the labels the chart's own Services select them by (the
 * Prometheus Operator sets them); ECK pods the labels ECK documents for each Elasticsearch,
 * Kibana, Logstash and Beat resource (plus the resource's podTemplate labels); cert-manager's
 * HTTP-01 solver pods `acme.cert-manager.io/http01-solver: "true"` when an ACME issuer exists.
 * Their ports are not checked (no template to read them from).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { CHARTS, type PinnedChart } from '../../constructs/versions';
import { synthesizeAll } from '../../stacks/app';
import { eckPods } from '../../constructs/elastic/names';
import { helmTemplate, type KubeObject } from '../helpers/helm-render';
import { REPO_ROOT } from '../helpers/paths';
import type { TerraformJson } from '../helpers/synth';
import { isAllowed, matches, type Labels, type PolicySpec } from './helpers';

const OUTDIR = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-netpods-')), 'cdktf.out');
const envs = synthesizeAll({ configDir: path.join(REPO_ROOT, 'config'), outdir: OUTDIR });
const PINNED = new Map(Object.values(CHARTS as Record<string, PinnedChart>).map((c) => [`${c.repository}|${c.chart}`, c]));

interface ContainerPort {
  readonly containerPort: number;
  readonly name?: string;
  readonly protocol?: string;
}
interface Pod {
  readonly source: string;
  /** The namespace the pod runs in. */
  readonly namespace: string;
  readonly labels: Labels;
  /** Undefined for operator-managed pods (no template to read ports from). */
  readonly ports?: readonly ContainerPort[];
  readonly hostNetwork: boolean;
}
interface PodSpecLike {
  hostNetwork?: boolean;
  containers?: { ports?: ContainerPort[] }[];
}
interface Rendered {
  /** The stack's namespace. */
  readonly namespace: string;
  /** Every namespace the stack owns (its own and the agents namespace). */
  readonly namespaces: readonly string[];
  readonly objects: readonly KubeObject[];
  readonly pods: readonly Pod[];
  readonly policies: readonly (KubeObject & { spec: PolicySpec })[];
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);
const spec = (o: KubeObject): Record<string, unknown> => (o.spec ?? {}) as Record<string, unknown>;

function renderEnvironment(name: string): Rendered {
  const stackDir = path.join(OUTDIR, 'stacks', name);
  const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as TerraformJson;
  const objects: KubeObject[] = [];
  let namespace = '';
  // Objects without metadata.namespace are in their release's namespace.
  const inRelease = (list: readonly KubeObject[], ns: string): KubeObject[] => list.map((o) => (o.metadata.namespace ? o : { ...o, metadata: { ...o.metadata, namespace: ns } }));
  for (const r of Object.values(tf.resource?.helm_release ?? {})) {
    const releaseNs = String(r.namespace);
    if (r.repository === undefined) {
      namespace = releaseNs;
      objects.push(...inRelease(helmTemplate({ chart: String(r.name), chartDir: path.join(stackDir, String(r.chart)), namespace: releaseNs }), releaseNs));
      continue;
    }
    const pin = PINNED.get(`${String(r.repository)}|${String(r.chart)}`) ?? assert.fail(`unpinned chart ${String(r.chart)}`);
    const values = parse(((r.values as string[] | undefined) ?? [''])[0] ?? '', { version: '1.1' }) as unknown;
    objects.push(...inRelease(helmTemplate({ chart: pin.chart, values, releaseName: String(r.name), namespace: releaseNs, apiVersions: ['monitoring.coreos.com/v1'] }), releaseNs));
  }
  const namespaces = Object.values(tf.resource?.kubernetes_namespace_v1 ?? {}).map((n) => {
    const m = n.metadata as { name: string } | { name: string }[];
    return Array.isArray(m) ? String(m[0]?.name) : String(m.name);
  });
  const pods: Pod[] = [];
  for (const o of objects) {
    const s = spec(o);
    const template = s.template as { metadata?: { labels?: Labels }; spec?: PodSpecLike } | undefined;
    if (WORKLOAD_KINDS.has(o.kind) && template) {
      pods.push({
        source: `${o.kind}/${o.metadata.name}`,
        namespace: o.metadata.namespace ?? namespace,
        labels: template.metadata?.labels ?? {},
        ports: (template.spec?.containers ?? []).flatMap((c) => c.ports ?? []),
        hostNetwork: template.spec?.hostNetwork === true,
      });
    }
  }
  // Operator-managed pods (see the file comment).
  for (const svc of objects.filter((o) => o.kind === 'Service')) {
    const sel = (spec(svc).selector ?? {}) as Labels;
    if ('operator.prometheus.io/name' in sel || 'alertmanager' in sel) pods.push({ source: `pods of Service/${svc.metadata.name} (Prometheus Operator)`, namespace: svc.metadata.namespace ?? namespace, labels: sel, hostNetwork: false });
  }
  const eck: Record<string, (n: string) => { podSelector: Labels }> = { Elasticsearch: eckPods.elasticsearch, Kibana: eckPods.kibana, Logstash: eckPods.logstash, Beat: eckPods.beat };
  for (const o of objects) {
    const labelsOf = eck[o.kind];
    if (!labelsOf || !o.apiVersion.includes('k8s.elastic.co')) continue;
    const s = spec(o) as { podTemplate?: { metadata?: { labels?: Labels } }; daemonSet?: { podTemplate?: { metadata?: { labels?: Labels } } } };
    const extra = s.podTemplate?.metadata?.labels ?? s.daemonSet?.podTemplate?.metadata?.labels ?? {};
    pods.push({ source: `pods of ${o.kind}/${o.metadata.name} (ECK)`, namespace: o.metadata.namespace ?? namespace, labels: { ...labelsOf(o.metadata.name).podSelector, 'common.k8s.elastic.co/type': o.kind.toLowerCase(), ...extra }, hostNetwork: false });
  }
  if (objects.some((o) => (o.kind === 'Issuer' || o.kind === 'ClusterIssuer') && (spec(o) as { acme?: unknown }).acme)) {
    pods.push({ source: 'cert-manager HTTP-01 solver pods', namespace, labels: { 'acme.cert-manager.io/http01-solver': 'true' }, hostNetwork: false });
  }
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as (KubeObject & { spec: PolicySpec })[];
  return { namespace, namespaces, objects, pods, policies };
}

const NS_LABELS = (ns: string): Labels => ({ 'kubernetes.io/metadata.name': ns });

/** The pods behind a Service port: each selected pod with the container port the Service targets. */
function serviceBackends(r: Rendered, svc: KubeObject, portName: string | number): { pod: Pod; port: ContainerPort }[] {
  const s = spec(svc) as { selector?: Labels; ports?: { name?: string; port: number; targetPort?: number | string }[] };
  const sp = s.ports?.find((p) => p.name === portName || p.port === portName);
  if (!sp || !s.selector) return [];
  const target = sp.targetPort ?? sp.port;
  return r.pods
    .filter((p) => p.namespace === (svc.metadata.namespace ?? r.namespace) && !p.hostNetwork && p.ports && matches({ matchLabels: s.selector }, p.labels))
    .flatMap((pod) => (pod.ports ?? []).filter((c) => c.containerPort === target || c.name === target).map((port) => ({ pod, port })));
}

for (const env of envs) {
  let cached: Rendered | undefined;
  const rendered = (): Rendered => (cached ??= renderEnvironment(env.name));

  test(`${env.name}: every policy's podSelector, and every same-namespace peer, selects a pod this environment runs; admitted ports exist on it`, () => {
    const r = rendered();
    assert.ok(r.policies.length > 5, 'the generated chart carries the policies');
    const problems: string[] = [];
    for (const p of r.policies) {
      const policyNs = p.metadata.namespace ?? r.namespace;
      assert.ok(r.namespaces.includes(policyNs), `${p.metadata.name}: in ${policyNs}, a namespace the stack does not own`);
      const selected = (sel: { matchLabels?: Labels } | undefined, ns = policyNs): Pod[] => r.pods.filter((x) => x.namespace === ns && !x.hostNetwork && matches(sel, x.labels));
      const own = p.spec.podSelector;
      if (Object.keys(own.matchLabels ?? {}).length === 0) continue; // the default deny selects every pod
      const targets = selected(own);
      if (targets.length === 0) problems.push(`${p.metadata.name}: podSelector ${JSON.stringify(own.matchLabels)} selects no pod`);
      const rules = [...(p.spec.ingress ?? []).map((x) => ({ peers: x.from, ports: x.ports, dir: 'from', at: targets })), ...(p.spec.egress ?? []).map((x) => ({ peers: x.to, ports: x.ports, dir: 'to', at: undefined }))];
      for (const rule of rules) {
        // Peers in the policy's namespace, and in the stack's other namespace (selected by name).
        const peerNs = (x: { namespaceSelector?: { matchLabels?: Labels } }): string | undefined => {
          if (x.namespaceSelector === undefined) return policyNs;
          const named = x.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'];
          return named !== undefined && Object.keys(x.namespaceSelector.matchLabels ?? {}).length === 1 && r.namespaces.includes(named) ? named : undefined;
        };
        const peers = (rule.peers ?? []).filter((x) => peerNs(x) !== undefined && x.podSelector);
        for (const peer of peers) {
          const found = selected(peer.podSelector, peerNs(peer));
          if (found.length === 0) problems.push(`${p.metadata.name}: ${rule.dir} podSelector ${JSON.stringify(peer.podSelector?.matchLabels)} selects no pod`);
          // Egress to a pod in the namespace: the port must exist on the destination.
          if (rule.dir === 'to') checkPorts(p.metadata.name, rule.ports ?? [], found, problems);
        }
        if (rule.at) checkPorts(p.metadata.name, rule.ports ?? [], rule.at, problems);
      }
    }
    assert.deepEqual(problems, []);
  });

  test(`${env.name}: Prometheus may reach every endpoint its ServiceMonitors and PodMonitors scrape in the namespace; the API server every webhook`, () => {
    const r = rendered();
    const nsLabels = NS_LABELS(r.namespace);
    const prometheus = r.pods.find((p) => p.labels['operator.prometheus.io/name'] !== undefined) ?? assert.fail('no Prometheus pods');
    const from = { labels: prometheus.labels, namespace: NS_LABELS(prometheus.namespace) };
    const denied: string[] = [];
    let checked = 0;
    const check = (what: string, pod: Pod, port: ContainerPort, source = from): void => {
      checked++;
      const ok = isAllowed(r.policies, nsLabels, source, { labels: pod.labels, namespace: NS_LABELS(pod.namespace) }, { number: port.containerPort, ...(port.name ? { name: port.name } : {}), ...(port.protocol ? { protocol: port.protocol } : {}) });
      if (!ok) denied.push(`${what}: ${pod.source} port ${port.name ?? ''}/${port.containerPort}`);
    };
    for (const m of r.objects.filter((o) => o.kind === 'ServiceMonitor' || o.kind === 'PodMonitor')) {
      const s = spec(m) as {
        selector?: { matchLabels?: Labels };
        namespaceSelector?: { any?: boolean; matchNames?: string[] };
        endpoints?: { port?: string; targetPort?: number | string }[];
        podMetricsEndpoints?: { port?: string }[];
      };
      const namespaces = (s.namespaceSelector?.any ? [] : (s.namespaceSelector?.matchNames ?? [m.metadata.namespace ?? r.namespace])).filter((n) => r.namespaces.includes(n));
      if (m.kind === 'ServiceMonitor') {
        const services = r.objects.filter((o) => o.kind === 'Service' && namespaces.includes(o.metadata.namespace ?? r.namespace) && matches(s.selector, o.metadata.labels ?? {}));
        for (const svc of services) for (const e of s.endpoints ?? []) for (const b of serviceBackends(r, svc, e.port ?? e.targetPort ?? '')) check(`ServiceMonitor/${m.metadata.name}`, b.pod, b.port);
      } else {
        for (const pod of r.pods.filter((p) => namespaces.includes(p.namespace) && !p.hostNetwork && p.ports && matches(s.selector, p.labels))) {
          for (const e of s.podMetricsEndpoints ?? []) for (const port of (pod.ports ?? []).filter((c) => c.name === e.port)) check(`PodMonitor/${m.metadata.name}`, pod, port);
        }
      }
    }
    const apiServer = { labels: {}, namespace: {} };
    // Every monitor's targets in both namespaces were looked at; dcgm-exporter (agents namespace) among them where the stack deploys it.
    if (r.objects.some((o) => o.kind === 'DaemonSet' && o.metadata.name === 'dcgm-exporter')) {
      assert.ok(r.pods.some((p) => p.source === 'DaemonSet/dcgm-exporter' && p.namespace !== r.namespace), 'dcgm-exporter runs in the agents namespace');
    }
    for (const w of r.objects.filter((o) => o.kind.endsWith('WebhookConfiguration'))) {
      const hooks = (w as unknown as { webhooks: { clientConfig: { service?: { name: string; namespace: string; port?: number } } }[] }).webhooks;
      for (const h of hooks) {
        const ref = h.clientConfig.service;
        if (!ref || ref.namespace !== r.namespace) continue;
        const svc = r.objects.find((o) => o.kind === 'Service' && o.metadata.name === ref.name && o.metadata.namespace === ref.namespace) ?? assert.fail(`webhook Service ${ref.name} not rendered`);
        const backends = serviceBackends(r, svc, ref.port ?? 443);
        assert.ok(backends.length > 0, `webhook Service ${ref.name} has no rendered backend`);
        for (const b of backends) check(`${w.kind}/${w.metadata.name}`, b.pod, b.port, apiServer);
      }
    }
    assert.ok(checked > 5, `only ${checked} endpoints checked`);
    assert.deepEqual(denied, []);
  });
}

/** Each port an ingress rule admits exists on at least one of `pods` (skipped for operator-managed pods: no template). */
function checkPorts(policy: string, ports: readonly { port?: number | string; protocol?: string }[], pods: readonly Pod[], problems: string[]): void {
  const withPorts = pods.filter((p) => p.ports);
  if (withPorts.length === 0) return;
  for (const p of ports) {
    const exists = withPorts.some((pod) => (pod.ports ?? []).some((c) => (c.protocol ?? 'TCP') === (p.protocol ?? 'TCP') && (c.containerPort === p.port || c.name === p.port)));
    if (!exists) problems.push(`${policy}: port ${String(p.port)}/${p.protocol ?? 'TCP'} is on none of ${withPorts.map((x) => x.source).join(', ')}`);
  }
}
