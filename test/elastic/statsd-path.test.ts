/**
 * The Elastic pipeline's metrics path on its real engines: the statsd lines the generated Logstash
 * pipeline sends (its label filters and statsd outputs read back from the synthesized text and
 * executed: conditionals, `%{}` references, the statsd output's name building, read in
 * logstash-plugins/logstash-output-statsd 3.2.0) go over UDP to the real statsd_exporter 0.28.0
 * (the sidecar's pinned version, built from Go modules) started with the sidecar's own flags and
 * the shipped mapping; the real Prometheus 3.14 scrapes it with the PodMonitor's honorLabels and
 * metric relabelings. The stored series must be exactly the contract's: events, error lines,
 * training gauges and the lines Logstash did not store, with the stand-in label gone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { KubeManifest } from '../../constructs/core/manifest';
import { NOT_STORED_METRIC } from '../../constructs/contracts/log-volume';
import { ERROR_LINES_METRIC, LOG_EVENTS_METRIC, TRAIN_METRICS } from '../../constructs/contracts/log-metrics';
import { FILEBEAT_OUTPUT_EVENTS_METRIC, FILEBEAT_RATE_LIMITED_METRIC, FILEBEAT_REPORTS_METRIC, LOGSTASH_FILTER_FAILURES_METRIC, LOGSTASH_HEARTBEAT_INTERVAL_SECONDS, LOGSTASH_HEARTBEAT_METRIC } from '../../constructs/contracts/logstash-monitoring';
import { engineBin } from '../helpers/engines';
import { getField, setField, type Fields } from '../helpers/logstash-fields';
import { synthEnvironment } from '../helpers/synth';
import { loadEnvironmentFile } from '../metrics/env-files';
import { freePort, httpGet, LOOPBACK, startChild, waitFor, type Child } from '../metrics/live/servers';

const dev = synthEnvironment(loadEnvironmentFile('dev'), 'dev');
const elastic = dev.stack.observability.elastic!;
const pipeline = elastic.logstashPipeline;

const get = getField;
const set = setField;

/**
 * A Logstash conditional of the shapes the generated pipeline writes (`a and b`, `a or b`, `[f]`,
 * `![f]`, `[f] == "s"`, `[f] in ["a", "b"]`, `[f] >= 0`); any other shape fails the test.
 */
function condition(text: string, doc: Fields): boolean {
  return text.split(' or ').some((alt) =>
    alt.split(' and ').every((atom) => {
      let m: RegExpExecArray | null;
      if ((m = /^(!?)((?:\[[^\]]+\])+)$/.exec(atom))) {
        const v = get(doc, m[2]!);
        const truthy = v !== undefined && v !== null && v !== false;
        return m[1] === '!' ? !truthy : truthy;
      }
      if ((m = /^((?:\[[^\]]+\])+) == "([^"]*)"$/.exec(atom))) return get(doc, m[1]!) === m[2];
      if ((m = /^((?:\[[^\]]+\])+) in \[(.*)\]$/.exec(atom))) return (JSON.parse(`[${m[2]}]`) as string[]).includes(String(get(doc, m[1]!)));
      if ((m = /^"([^"]+)" in \[tags\]$/.exec(atom))) return Array.isArray(doc.tags) && (doc.tags as unknown[]).includes(m[1]);
      if ((m = /^((?:\[[^\]]+\])+) >= (-?[0-9.]+)$/.exec(atom))) return typeof get(doc, m[1]!) === 'number' && (get(doc, m[1]!) as number) >= Number(m[2]);
      throw new Error(`the test's reader does not know the conditional atom: ${atom}`);
    }),
  );
}

/** `%{[a][b]}` as Logstash's sprintf (a missing field stays as written). */
const sprintf = (tpl: string, doc: Fields): string => tpl.replace(/%\{((?:\[[^\]]+\])+)\}/g, (all, ref: string) => (get(doc, ref) === undefined ? all : String(get(doc, ref))));

interface TagsFilter {
  readonly id: string;
  readonly guard: string;
  readonly pairs: [string, string][];
  readonly into: string;
  readonly prefix?: string;
  readonly none: string;
}

/** The Ruby label filters (`tags = [[label, field], ...].map {...}; event.set(...)`), read back from the pipeline. */
function tagsFilters(text: string): TagsFilter[] {
  const re = /^\s*if (.+) \{\n\s*ruby \{ id => "(mlobs_\w+_labels)" code => 'tags = (\[\[.*?\]\])\.map \{ \|k, f\| v = event\.get\(f\)\.to_s\.gsub\(\/\[,=:\|@\\s\]\/, "_"\); "#\{k\}=#\{v\.empty\? \? "([^"]+)" : v\}" \}; event\.set\("([^"]+)", (?:"([^"]+)" \+ "," \+ )?tags\.join\(","\)\)' \}\n\s*\}$/gm;
  return [...text.matchAll(re)].map((m) => ({ id: m[2]!, guard: m[1]!, pairs: JSON.parse(m[3]!) as [string, string][], none: m[4]!, into: m[5]!, ...(m[6] ? { prefix: m[6] } : {}) }));
}

interface StatsdOutput {
  readonly id: string;
  readonly guard: string;
  readonly namespace: string;
  readonly sender: string;
  readonly increments: string[];
  readonly gauges: [string, string][];
  readonly counts: [string, string][];
}

function statsdOutputs(text: string): StatsdOutput[] {
  const output = text.slice(text.indexOf('\noutput {'));
  const re = /^\s*if (.+) \{\n\s*statsd \{\n([\s\S]*?)\n\s*\}\n\s*\}$/gm;
  return [...output.matchAll(re)].map((m) => {
    const body = m[2]!;
    const opt = (k: string): string => /"([^"]*)"/.exec(new RegExp(`${k} => ("[^"]*")`).exec(body)?.[1] ?? '""')![1]!;
    const inc = /increment => \[(.*)\]/.exec(body);
    const gauge = /gauge => \{ "([^"]+)" => "([^"]+)" \}/.exec(body);
    const count = /count => \{ "([^"]+)" => "([^"]+)" \}/.exec(body);
    return {
      id: opt('id'),
      guard: m[1]!,
      namespace: opt('namespace'),
      sender: opt('sender'),
      increments: inc ? (JSON.parse(`[${inc[1]}]`) as string[]) : [],
      gauges: gauge ? [[gauge[1]!, gauge[2]!]] : [],
      counts: count ? [[count[1]!, count[2]!]] : [],
    };
  });
}

/** What logstash-output-statsd sends: `<namespace>.<sender>.<metric>` (sender's dots, and `:|@` anywhere, as `_`) then `:v|c` / `:v|g`. */
function statsdLines(doc: Fields, outputs: readonly StatsdOutput[]): string[] {
  const lines: string[] = [];
  for (const o of outputs) {
    if (!condition(o.guard, doc)) continue;
    const stat = (metric: string): string => `${o.namespace}.${o.sender.replace(/[:|@]/g, '_').replace(/\./g, '_')}.${sprintf(metric, doc).replace(/[:|@]/g, '_')}`;
    for (const i of o.increments) lines.push(`${stat(i)}:1|c`);
    for (const [k, v] of o.gauges) lines.push(`${stat(k)}:${sprintf(v, doc)}|g`);
    for (const [k, v] of o.counts) lines.push(`${stat(k)}:${sprintf(v, doc)}|c`);
  }
  return lines;
}

interface ReportFilter {
  readonly guard: string;
  readonly events: string;
  readonly results: string[];
  readonly into: string;
  readonly rateLimits: string;
}

/** The Filebeat report filter (a Ruby filter copying positive integer counts), read back from the pipeline. */
function reportFilter(text: string): ReportFilter {
  const m = /^\s*if (.+) \{\n\s*ruby \{ id => "mlobs_filebeat_report" code => 'r = event\.get\("([^"]+)"\); r = \{\} unless r\.is_a\?\(Hash\); (\[.*?\])\.each \{ \|k\| v = r\[k\]; event\.set\("([^"#]+)\[#\{k\}\]", v\) if v\.is_a\?\(Integer\) && v > 0 \}; rl = event\.get\("([^"]+)"\); n = rl\.is_a\?\(Hash\) \? rl\.values\.sum \{ \|i\| d = i\.is_a\?\(Hash\) \? i\["dropped"\] : nil; d\.is_a\?\(Integer\) && d > 0 \? d : 0 \} : 0; event\.set\("([^"#]+)\[rate_limited\]", n\) if n > 0; event\.set\("([^"#]+)\[report\]", true\)' \}\n\s*\}$/m.exec(text);
  assert.ok(m, 'the Filebeat report filter');
  assert.equal(m[4], m[6]);
  assert.equal(m[4], m[7]);
  return { guard: m[1]!, events: m[2]!, results: JSON.parse(m[3]!) as string[], into: m[4]!, rateLimits: m[5]! };
}

/** Runs the label filters on an event the catalog and the volume filter have filled. */
function labelled(input: Fields, filters: readonly TagsFilter[], report?: ReportFilter): Fields {
  const doc = structuredClone(input);
  if (report && condition(report.guard, doc)) {
    const r = get(doc, report.events);
    for (const k of report.results) {
      const v = typeof r === 'object' && r !== null ? (r as Fields)[k] : undefined;
      if (typeof v === 'number' && Number.isInteger(v) && v > 0) set(doc, `${report.into}[${k}]`, v);
    }
    const rl = get(doc, report.rateLimits);
    const n = typeof rl === 'object' && rl !== null ? Object.values(rl as Fields).reduce<number>((acc, i) => {
      const d = typeof i === 'object' && i !== null ? (i as Fields).dropped : undefined;
      return acc + (typeof d === 'number' && Number.isInteger(d) && d > 0 ? d : 0);
    }, 0) : 0;
    if (n > 0) set(doc, `${report.into}[rate_limited]`, n);
    set(doc, `${report.into}[report]`, true);
  }
  for (const f of filters) {
    if (!condition(f.guard, doc)) continue;
    const tags = f.pairs.map(([k, field]) => {
      const v = String(get(doc, field) ?? '').replace(/[,=:|@\s]/g, '_');
      return `${k}=${v === '' ? f.none : v}`;
    });
    set(doc, f.into, (f.prefix ? `${f.prefix},` : '') + tags.join(','));
  }
  return doc;
}

const POD = { kubernetes: { namespace: 'ml-research', pod: { name: 'llama-ft-worker-0' }, container: { name: 'trainer' } }, mlobs: { node: 'gpu-node-1', job: 'llama-ft' } };
const EVENTS: readonly Fields[] = [
  // an OOM error line of a job's pod
  { ...POD, ml: { event: 'oom', framework: 'pytorch', level: 'error' } },
  // a training progress line with loss and learning rate
  { ...POD, ml: { event: 'train_progress', framework: 'huggingface', level: 'info', loss: 2.5, learning_rate: 0.0001, step: 100 } },
  // a DEBUG line the volume filter kept out of Elasticsearch (dev drops debug)
  { ...POD, ml: { level: 'debug' }, '@metadata': { mlobs_drop: 'level_debug' } },
  // a progress redraw sampled away, from a pod outside any job
  { kubernetes: { namespace: 'notebooks', pod: { name: 'jupyter-0' }, container: { name: 'lab' } }, mlobs: { node: 'gpu-node-2' }, ml: { event: 'train_progress', framework: 'tqdm', level: 'info' }, '@metadata': { mlobs_drop: 'progress' } },
  // a kernel Xid line: no pod, only the node
  { mlobs: { node: 'gpu-node-7' }, ml: { event: 'xid', framework: 'kernel', level: 'error', xid: 79 } },
  // the heartbeat input's event (never stored), twice
  { message: 'ok', '@metadata': { mlobs_heartbeat: 'true' } },
  { message: 'ok', '@metadata': { mlobs_heartbeat: 'true' } },
  // the stack's Filebeat logging its counters (libbeat's "Non-zero metrics in the last 30s", decoded by the catalog's JSON branch), twice;
  // and an application container also named filebeat in a team namespace, which is not the stack's
  { kubernetes: { namespace: 'mlobs-agents', pod: { name: 'mlobs-beat-filebeat-x7k2p' }, container: { name: 'filebeat' } }, mlobs: { node: 'gpu-node-1' }, '@metadata': { mlobs_json: { message: 'Non-zero metrics in the last 30s', monitoring: { metrics: { libbeat: { output: { events: { acked: 120, batches: 4, failed: 3, total: 123 } } } } } } } },
  { kubernetes: { namespace: 'mlobs-agents', pod: { name: 'mlobs-beat-filebeat-x7k2p' }, container: { name: 'filebeat' } }, mlobs: { node: 'gpu-node-1' }, '@metadata': { mlobs_json: { message: 'Non-zero metrics in the last 30s', monitoring: { metrics: { beat: { info: { uptime: { ms: 60000 } } }, libbeat: { output: { events: { acked: 80, dropped: 2 } } }, processor: { rate_limit: { '1': { dropped: 40 }, '2': { dropped: 7 } } } } } } } },
  { kubernetes: { namespace: 'team-a', pod: { name: 'shipper-0' }, container: { name: 'filebeat' } }, mlobs: { node: 'gpu-node-2' }, '@metadata': { mlobs_json: { monitoring: { metrics: { libbeat: { output: { events: { acked: 5 } } } } } } } },
  // a line a Ruby filter raised on, and one that only looked like JSON
  { ...POD, tags: ['_rubyexception'] },
  { ...POD, tags: ['_mlobs_json_failure'] },
];

type PodMonitorSpec = { podMetricsEndpoints: { honorLabels: boolean; metricRelabelings: { action: string; sourceLabels: string[]; separator?: string; regex: string; targetLabel?: string; replacement?: string }[] }[] };

test('Logstash statsd lines -> the real statsd_exporter (sidecar flags, shipped mapping) -> the real Prometheus (PodMonitor relabelings): exactly the contract series', async (t) => {
  // the heartbeat input, and the Elasticsearch output that never stores its events
  const input = pipeline.slice(pipeline.indexOf('input {'), pipeline.indexOf('\nfilter {'));
  assert.match(input, new RegExp(`heartbeat \\{\\n\\s*id => "mlobs_heartbeat"\\n\\s*interval => ${LOGSTASH_HEARTBEAT_INTERVAL_SECONDS}\\n`));
  const esGuard = /^\s*if (.*) \{\n\s*elasticsearch \{/m.exec(pipeline.slice(pipeline.indexOf('\noutput {')));
  assert.ok(esGuard && !condition(esGuard[1]!, { '@metadata': { mlobs_heartbeat: 'true' } }) && condition(esGuard[1]!, {}), `the Elasticsearch output skips heartbeats, stores lines: ${esGuard?.[1]}`);
  const filters = tagsFilters(pipeline);
  assert.deepEqual(filters.map((f) => f.id).sort(), ['mlobs_event_labels', 'mlobs_not_stored_labels', 'mlobs_series_labels'], 'every label filter of the pipeline is read');
  const outputs = statsdOutputs(pipeline);
  assert.ok(outputs.length >= 5 && outputs.some((o) => o.id === 'mlobs_not_stored') && outputs.some((o) => o.id === 'mlobs_heartbeat'), `the statsd outputs are read: ${outputs.map((o) => o.id).join(', ')}`);
  const report = reportFilter(pipeline);
  const lines = EVENTS.flatMap((e) => statsdLines(labelled(e, filters, report), outputs));
  assert.ok(lines.every((l) => !l.includes('%{')), `every reference resolved:\n${lines.join('\n')}`);

  const ls = dev.customResources.find((o) => o.kind === 'Logstash') as KubeManifest & { spec: { podTemplate: { spec: { containers: { name: string; args?: string[] }[] } } } };
  const sidecar = ls.spec.podTemplate.spec.containers.find((c) => c.name === 'statsd-exporter');
  assert.ok(sidecar?.args);
  const mappingCm = dev.customResources.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'mlobs-ls-event-metrics') as KubeManifest & { data: Record<string, string> };
  const podMonitor = dev.customResources.find((o) => o.kind === 'PodMonitor' && o.metadata.name === 'mlobs-ls-event-metrics') as KubeManifest & { spec: PodMonitorSpec };
  assert.ok(mappingCm && podMonitor);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-statsd-'));
  const children: Child[] = [];
  t.after(async () => {
    for (const c of children) await c.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  fs.writeFileSync(path.join(tmp, 'mapping.yaml'), mappingCm.data['mapping.yaml']!);
  const udpPort = await freePort();
  const webPort = await freePort();
  // The sidecar's own flags, with this machine's addresses and file path (each flag name must exist in 0.28.0: kingpin refuses unknown ones).
  const args = sidecar.args.map((a) => {
    const [flag] = a.split('=');
    if (flag === '--statsd.mapping-config') return `${flag}=${path.join(tmp, 'mapping.yaml')}`;
    if (flag === '--statsd.listen-udp') return `${flag}=${LOOPBACK}:${udpPort}`;
    if (flag === '--web.listen-address') return `${flag}=${LOOPBACK}:${webPort}`;
    return a;
  });
  const exporter = startChild('statsd_exporter', engineBin('statsd_exporter'), args);
  children.push(exporter);
  await waitFor('statsd_exporter ready', 20_000, async () => ((await httpGet(`http://${LOOPBACK}:${webPort}/metrics`).catch(() => undefined))?.status === 200 ? true : undefined), () => exporter.logs());

  const sock = dgram.createSocket('udp4');
  const send = (line: string): Promise<void> => new Promise((resolve, reject) => sock.send(line, udpPort, LOOPBACK, (e) => (e ? reject(e) : resolve())));
  for (const l of [...lines, 'mlobs.logstash.something_unmapped,a=b:1|c']) await send(l);
  sock.close();
  const exposition = await waitFor(
    'the counters in the exporter',
    20_000,
    async () => {
      const body = (await httpGet(`http://${LOOPBACK}:${webPort}/metrics`)).body;
      return body.includes(NOT_STORED_METRIC) && body.includes(TRAIN_METRICS.loss) && body.includes(LOGSTASH_HEARTBEAT_METRIC) ? body : undefined;
    },
    () => exporter.logs(),
  );
  // (an unmapped name would appear as mlobs_logstash_<name>: the prefix with its dots as underscores)
  assert.doesNotMatch(exposition, /something_unmapped|^mlobs_logstash_mlobs_/m, 'the mapping drops every other statsd name');

  // Prometheus scrapes it as the PodMonitor says (job name as the Prometheus Operator writes it).
  const endpoint = podMonitor.spec.podMetricsEndpoints[0]!;
  const promPort = await freePort();
  const config = {
    global: { scrape_interval: '1s' },
    scrape_configs: [
      {
        job_name: `${podMonitor.metadata.namespace}/${podMonitor.metadata.name}`,
        honor_labels: endpoint.honorLabels,
        static_configs: [{ targets: [`${LOOPBACK}:${webPort}`] }],
        metric_relabel_configs: endpoint.metricRelabelings.map((r) => ({
          action: r.action,
          source_labels: r.sourceLabels,
          ...(r.separator !== undefined ? { separator: r.separator } : {}),
          regex: r.regex,
          ...(r.targetLabel !== undefined ? { target_label: r.targetLabel } : {}),
          ...(r.replacement !== undefined ? { replacement: r.replacement } : {}),
        })),
      },
    ],
  };
  fs.writeFileSync(path.join(tmp, 'prometheus.yaml'), stringify(config));
  const prom = startChild('prometheus', engineBin('prometheus'), [`--config.file=${path.join(tmp, 'prometheus.yaml')}`, `--storage.tsdb.path=${path.join(tmp, 'data')}`, `--web.listen-address=${LOOPBACK}:${promPort}`]);
  children.push(prom);
  type Sample = { metric: Record<string, string>; value: [number, string] };
  const query = async (q: string): Promise<Sample[]> => {
    const r = await httpGet(`http://${LOOPBACK}:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`).catch(() => undefined);
    return r?.status === 200 ? ((JSON.parse(r.body) as { data: { result: Sample[] } }).data.result ?? []) : [];
  };
  const stored = await waitFor(
    'the series in Prometheus',
    30_000,
    async () => {
      const r = await query('{__name__=~"mlobs_.+"}');
      return r.some((s) => s.metric.__name__ === NOT_STORED_METRIC) && r.some((s) => s.metric.__name__ === LOGSTASH_FILTER_FAILURES_METRIC) && r.filter((s) => s.metric.__name__ === FILEBEAT_OUTPUT_EVENTS_METRIC).length === 3 ? r : undefined;
    },
    () => prom.logs(),
  );
  const got = stored
    .map((s) => {
      const { instance: _instance, ...labels } = s.metric;
      return `${JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))))} ${s.value[1]}`;
    })
    .sort();
  const series = (labels: Record<string, string>, value: string): string => `${JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))))} ${value}`;
  const pod = { namespace: 'ml-research', pod: 'llama-ft-worker-0', container: 'trainer', node: 'gpu-node-1', job: 'llama-ft' };
  const expected = [
    series({ __name__: LOG_EVENTS_METRIC, event: 'oom', framework: 'pytorch', ...pod }, '1'),
    series({ __name__: ERROR_LINES_METRIC, framework: 'pytorch', ...pod }, '1'),
    series({ __name__: LOG_EVENTS_METRIC, event: 'train_progress', framework: 'huggingface', ...pod }, '1'),
    series({ __name__: TRAIN_METRICS.loss, framework: 'huggingface', ...pod }, '2.5'),
    series({ __name__: TRAIN_METRICS.learningRate, framework: 'huggingface', ...pod }, '0.0001'),
    series({ __name__: TRAIN_METRICS.step, framework: 'huggingface', ...pod }, '100'),
    series({ __name__: NOT_STORED_METRIC, reason: 'level_debug', namespace: 'ml-research', job: 'llama-ft' }, '1'),
    series({ __name__: LOG_EVENTS_METRIC, event: 'train_progress', framework: 'tqdm', namespace: 'notebooks', pod: 'jupyter-0', container: 'lab', node: 'gpu-node-2' }, '1'),
    // outside a job: no job label at all (not the stand-in, not the scrape job)
    series({ __name__: NOT_STORED_METRIC, reason: 'progress', namespace: 'notebooks' }, '1'),
    series({ __name__: LOG_EVENTS_METRIC, event: 'xid', framework: 'kernel', node: 'gpu-node-7' }, '1'),
    series({ __name__: ERROR_LINES_METRIC, framework: 'kernel', node: 'gpu-node-7' }, '1'),
    // Logstash's own counters: no labels of their own (the Logstash pod's namespace/pod come from the scrape target in a cluster)
    series({ __name__: LOGSTASH_HEARTBEAT_METRIC }, '2'),
    series({ __name__: LOGSTASH_FILTER_FAILURES_METRIC, tag: '_rubyexception' }, '1'),
    series({ __name__: LOGSTASH_FILTER_FAILURES_METRIC, tag: '_mlobs_json_failure' }, '1'),
    // the stack's Filebeat only (not team-a's container named filebeat): two reports, deltas summed
    series({ __name__: FILEBEAT_REPORTS_METRIC, node: 'gpu-node-1' }, '2'),
    series({ __name__: FILEBEAT_OUTPUT_EVENTS_METRIC, node: 'gpu-node-1', result: 'acked' }, '200'),
    series({ __name__: FILEBEAT_OUTPUT_EVENTS_METRIC, node: 'gpu-node-1', result: 'failed' }, '3'),
    series({ __name__: FILEBEAT_OUTPUT_EVENTS_METRIC, node: 'gpu-node-1', result: 'dropped' }, '2'),
    // the per-stream rate limit's drops, summed over its processor instances (containers, pod files)
    series({ __name__: FILEBEAT_RATE_LIMITED_METRIC, node: 'gpu-node-1' }, '47'),
  ].sort();
  assert.deepEqual(got, expected, `Prometheus holds exactly the contract series\nsent:\n${lines.join('\n')}`);
});
