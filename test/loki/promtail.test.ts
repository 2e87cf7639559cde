/**
 * Promtail (`logs.collector: promtail`, deprecated upstream): one collector only, chart values
 * contract and helm render, the config Promtail reads equals the generated one (the chart's
 * `tpl` leaves the catalog's Go templates alone), same stages as Alloy, label allowlist.
 */
import { test } from 'node:test';
import { ERROR_LINES_METRIC, TRAIN_GAUGES } from '../../constructs/contracts/log-metrics';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import {
  ALLOY_CONFIG_MAP,
  COLLECTOR_MODULES,
  LOKI_LABEL_ALLOWLIST,
  PROMTAIL_LOKI_CA_DIR,
  PROMTAIL_CONFIG_KEY,
  renderPromtailConfig,
} from '../../constructs/loki';
import { LOG_EVENTS_METRIC, TRAIN_STEP_SECONDS_METRIC } from '../../constructs/training/log-metrics-contract';
import { assertValuesKeysExist } from '../helpers/helm-values-contract';
import { findObject, helmTemplate } from '../helpers/helm-render';
import { MINIMAL_INPUT, helmReleases, releaseValues, synthEnvironment, type SynthResult } from '../helpers/synth';
import { loadEnvironmentFile } from '../metrics/env-files';
import { assertTextGolden, configMapData } from './helpers';

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const prod = loadEnvironmentFile('prod');
let cached: SynthResult | undefined;
/** prod with Promtail instead of Alloy (TLS, tenant, scalable Loki). */
const synthProdPromtail = (): SynthResult =>
  (cached ??= synthEnvironment({ ...prod, logs: { ...prod.logs, collector: 'promtail' } }, 'prod'));

const COMMON = { namespace: 'mlobs', agentsNamespace: 'mlobs-agents', clusterName: 't', environment: 't', labels: {}, monitorSelector: {} };
const PLAIN = { url: 'http://loki-gateway.mlobs.svc:80', pushUrl: 'http://loki-gateway.mlobs.svc:80/loki/api/v1/push', tls: false } as const;

/** The config Promtail reads: the chart's ConfigMap rendered by helm. */
function renderedPromtailConfig(v: Values): { text: string; objects: ReturnType<typeof helmTemplate> } {
  const objects = helmTemplate({ chart: 'promtail', values: v, releaseName: 'promtail', namespace: 'mlobs' });
  const cm = findObject(objects, 'ConfigMap', 'promtail') as unknown as { data: Record<string, string> };
  return { text: cm.data[PROMTAIL_CONFIG_KEY] as string, objects };
}

test('collector: promtail installs the pinned Promtail chart and no Alloy (one collector)', () => {
  const r = synthProdPromtail();
  const releases = [...helmReleases(r.tf).keys()];
  assert.ok(releases.includes('promtail'));
  assert.ok(!releases.includes('alloy'), releases.join(', '));
  const cms = Object.values(r.tf.resource?.kubernetes_config_map_v1 ?? {}).map((c) => (c as { metadata: { name: string } }).metadata.name);
  assert.ok(!cms.includes(ALLOY_CONFIG_MAP.name));
  assert.equal(helmReleases(r.tf).get('promtail')?.version, COLLECTOR_MODULES.promtail.chart.version);
  const monitors = r.customResources.filter((m) => m.kind === 'PodMonitor').map((m) => m.metadata.name);
  assert.ok(monitors.includes('promtail') && !monitors.includes('alloy'), monitors.join(', '));
});

test('Promtail is marked deprecated upstream with its end of life, and the default stays Alloy', () => {
  assert.deepEqual(COLLECTOR_MODULES.promtail.deprecated?.endOfLife, '2026-03-02');
  assert.match(COLLECTOR_MODULES.promtail.deprecated?.note ?? '', /deprecated upstream.*please set: logs\.collector: alloy/);
  assert.equal(COLLECTOR_MODULES.alloy.deprecated, undefined);
  assert.equal(synthEnvironment(MINIMAL_INPUT).stack.observability.loki?.collectorModule.name, 'alloy');
});

test('Promtail values: every key exists in the pinned chart; helm renders a read-only DaemonSet with the CA and journal mounts', () => {
  const r = synthProdPromtail();
  const v = releaseValues(r.tf, 'promtail') as Values;
  assertValuesKeysExist('promtail', v);
  const { objects } = renderedPromtailConfig(v);
  const ds = findObject(objects, 'DaemonSet', 'promtail') as unknown as Values;
  const pod = ds.spec.template.spec;
  const c = pod.containers[0];
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  assert.ok(c.resources.limits.memory);
  const mounts = Object.fromEntries(c.volumeMounts.map((m: Values) => [m.mountPath, m.readOnly === true]));
  assert.deepEqual(mounts, { '/etc/promtail': false, '/run/promtail': false, '/var/log/pods': true, '/var/log/journal': true, [PROMTAIL_LOKI_CA_DIR]: true });
  const ca = pod.volumes.find((x: Values) => x.name === 'loki-ca');
  // the collector runs in the agents namespace: the CA comes from the trust bundle there, issued by the gateway certificate's CA
  assert.equal(ca.secret.secretName, r.stack.observability.tls?.trustBundleIn(r.stack.observability.common.agentsNamespace).secretName);
  assert.notEqual(ca.secret.secretName, r.stack.observability.loki?.loki.endpoint.caSecretName, 'not the gateway\'s own Secret (in the stack namespace)');
  assert.ok(!pod.volumes.some((x: Values) => x.hostPath?.path === '/var/lib/docker/containers'), 'no docker hostPath');
});

test('helm render: the chart\'s tpl leaves the config exactly as generated (catalog Go templates included)', () => {
  const r = synthProdPromtail();
  const { text } = renderedPromtailConfig(releaseValues(r.tf, 'promtail') as Values);
  const lp = r.stack.observability.loki!;
  const expected = renderPromtailConfig({ common: r.stack.observability.common, loki: lp.loki.endpoint, volume: lp.volume, staticFields: lp.staticFields });
  assert.equal(text.trimEnd(), expected.trimEnd());
  assert.match(text, /\{\{ if \.level \}\}/, 'Go templates survive');
  assertTextGolden('prod-promtail.yaml', expected);
});

test('Promtail config: tenant, TLS CA, kernel journal, node labels, allowlist before metrics, contract metric names', () => {
  const r = synthProdPromtail();
  const cfg = parse(renderPromtailConfig({ common: r.stack.observability.common, loki: r.stack.observability.loki!.loki.endpoint })) as Values;
  assert.deepEqual(cfg.clients, [
    {
      url: 'https://loki-gateway.mlobs.svc:443/loki/api/v1/push',
      tenant_id: 'ml-prod',
      tls_config: { ca_file: `${PROMTAIL_LOKI_CA_DIR}/ca.crt` },
      external_labels: { cluster: 'gpu-prod' },
    },
  ]);
  const [pods, kernel] = cfg.scrape_configs as Values[];
  assert.deepEqual(kernel.journal, { path: '/var/log/journal', matches: '_TRANSPORT=kernel', max_age: '12h', labels: { app: 'kernel' } });
  assert.deepEqual(kernel.relabel_configs, [{ source_labels: ['__journal__hostname'], target_label: 'node' }]);
  const targets = pods.relabel_configs.map((x: Values) => x.target_label);
  assert.deepEqual(targets, ['__host__', 'namespace', 'pod', 'container', 'node', 'app', 'job', '__path__']);
  for (const job of [pods, kernel]) {
    const kinds = (job.pipeline_stages as Values[]).map((s) => Object.keys(s)[0]);
    const allow = kinds.indexOf('labelallow');
    assert.deepEqual(job.pipeline_stages[allow].labelallow, [...LOKI_LABEL_ALLOWLIST]);
    // the catalog's prefilter gates are match stages too; the metrics' match stages come after the allowlist
    const firstMetrics = (job.pipeline_stages as Values[]).findIndex((s) => s.match?.stages.some((x: Values) => x.metrics));
    assert.ok(allow > kinds.lastIndexOf('labels') && allow < firstMetrics, kinds.join(','));
    // After the allowlist, a label is added only for a metric or a limit's bucket and dropped again
    // before the push (in the same match, or by a labeldrop after it).
    const stages = job.pipeline_stages as Values[];
    for (const [at, m] of stages.map((x, i) => [i, x] as const).slice(allow + 1).filter(([, x]) => x.match)) {
      const inner = (m.match.stages ?? []) as Values[];
      const after = stages.slice(at + 1).flatMap((y) => (y.labeldrop as string[] | undefined) ?? []);
      inner.forEach((x, i) => {
        if (!x.labels) return;
        const dropped = [...inner.slice(i + 1).flatMap((y) => (y.labeldrop as string[] | undefined) ?? []), ...after];
        for (const k of Object.keys(x.labels)) assert.ok(dropped.includes(k), `${k}: added after the allowlist and never dropped`);
      });
    }
    const metrics = (job.pipeline_stages as Values[])
      .filter((s) => s.match)
      .flatMap((s) => s.match.stages.filter((x: Values) => x.metrics))
      .flatMap((s: Values) => Object.entries(s.metrics).map(([name, m]) => (m as Values).prefix + name));
    assert.deepEqual(metrics, [LOG_EVENTS_METRIC, TRAIN_STEP_SECONDS_METRIC, ...TRAIN_GAUGES.map((g) => g.metric), ERROR_LINES_METRIC]);
  }
  assert.equal(pods.pipeline_stages[0].cri !== undefined, true);
  assert.equal(cfg.clients[0].tls_config.ca_file, `${PROMTAIL_LOKI_CA_DIR}/ca.crt`);
  const plain = parse(renderPromtailConfig({ common: COMMON, loki: PLAIN })) as Values;
  assert.deepEqual(plain.clients[0], { url: PLAIN.pushUrl, external_labels: { cluster: 't' } });
});

test('same pipeline semantics as Alloy: the same regexes and templates in the same order', () => {
  const r = synthProdPromtail();
  const lp = r.stack.observability.loki!;
  const promtail = parse(renderPromtailConfig({ common: r.stack.observability.common, loki: lp.loki.endpoint, volume: lp.volume, staticFields: lp.staticFields })) as Values;
  const alloyText = configMapData(synthEnvironment(prod, 'prod').tf, ALLOY_CONFIG_MAP.name)[ALLOY_CONFIG_MAP.key] as string;
  const fromAlloy = (attr: string): string[] =>
    [...alloyText.matchAll(new RegExp(`^\\s*${attr}\\s*= ("(?:[^"\\\\]|\\\\.)*")$`, 'gm'))].map((m) => JSON.parse(m[1]!) as string);
  const stages = promtail.scrape_configs[0].pipeline_stages as Values[];
  const flatten = (list: readonly Values[]): Values[] => list.flatMap((s) => (s.match ? flatten((s.match.stages ?? []) as Values[]) : [s]));
  const flat = flatten(stages);
  // replace (multiline marks) and regex stages both carry an `expression`, in pipeline order
  assert.deepEqual(
    flat.filter((s) => s.regex || s.replace).map((s) => (s.regex ?? s.replace).expression),
    fromAlloy('expression'),
  );
  assert.deepEqual(flat.filter((s) => s.template).map((s) => s.template.template), fromAlloy('template'));
  assert.ok(fromAlloy('expression').length > 50);
});

test('a high-cardinality field asked as a Promtail label fails the render, with what to write instead', () => {
  for (const field of ['step', 'loss', 'rank', 'gpu', 'pid', 'message']) {
    assert.throws(
      () => renderPromtailConfig({ common: COMMON, loki: PLAIN, catalogLabels: [field] }),
      new RegExp(`promtail: "${field}" would become a Loki label, but it is a high-cardinality field.*please set: catalogLabels: \\[framework, level, event\\]`),
    );
  }
});
