/**
 * Volume control and static fields (contracts/log-volume.ts, issue 18 items 2 and 5), run as the
 * engines run them: the generated `loki.process "volume"` component by the Alloy executor (match
 * drop, stage.limit token buckets, templates, structured metadata) over corpus lines labelled by
 * the reference parser (the catalog's level and event, as `loki.process "ml"` sets them); the
 * Promtail stages checked stage for stage against Alloy's; the Logstash filter's patterns run on
 * Oniguruma; Loki's limits, the alert under promtool, and the config's refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { renderAlloyConfig } from '../../constructs/loki';
import { renderPromtailConfig, volumeStages } from '../../constructs/loki/promtail.render';
import { renderLokiValues } from '../../constructs/loki/loki.values';
import { renderLogVolumeRuleGroups } from '../../constructs/loki/volume-rules';
import { renderLogstashPipeline, renderStaticFieldsFilter, renderVolumeFilter, VOLUME_DROP_FIELD } from '../../constructs/elastic/logstash.render';
import { renderIndexTemplate } from '../../constructs/elastic/ilm.render';
import {
  DEFAULT_LOG_VOLUME,
  LIMIT_LABELS,
  lokiIngestionLimits,
  MAX_STATIC_FIELDS,
  PROGRESS_FINAL_PATTERN,
  PROGRESS_REDRAW_PATTERN,
  type LogVolumeSettings,
  type StaticFields,
} from '../../constructs/contracts/log-volume';
import { loadOnig } from '../../constructs/mllogs/regex-engine';
import { ConfigError, parseEnvironment } from '../../config';
import { loadAlloyPipeline, type AlloyPipeline } from '../helpers/alloy-executor';
import { parserFor, trainingLogs, trainingQuality } from '../mllogs/helpers';
import { promtoolTestRules } from '../helpers/promtool';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RE2 = require('re2') as new (p: string, f?: string) => { test(s: string): boolean };

const COMMON = { namespace: 'mlobs', agentsNamespace: 'mlobs-agents', clusterName: 't', environment: 't', labels: {}, monitorSelector: {} };
const LOKI = { url: 'http://loki-gateway.mlobs.svc:80', pushUrl: 'http://loki-gateway.mlobs.svc:80/loki/api/v1/push', tls: false };
const POD = { namespace: 'team-a', pod: 'train-0', container: 'trainer', app: 'trainer', job: 'llm-pretrain' };
const STATIC: StaticFields = { fields: { project: 'llm', cost_center: 'cc-100' }, namespaces: { 'team-a': { cost_center: 'cc-200', team: 'vision' } } };
const vol = (over: Partial<LogVolumeSettings> = {}): LogVolumeSettings => ({ ...DEFAULT_LOG_VOLUME, ...over });

/** The generated volume component, fresh (its token buckets start full). */
function volumeOf(v: LogVolumeSettings, staticFields?: StaticFields): AlloyPipeline {
  return loadAlloyPipeline(renderAlloyConfig({ common: COMMON, loki: LOKI, volume: v, ...(staticFields ? { staticFields } : {}) }), 'volume');
}

/** Corpus lines with the labels `loki.process "ml"` gives them (the reference parser's level and event). */
async function labelledCorpus(): Promise<{ line: string; labels: Record<string, string> }[]> {
  const parser = await parserFor('re2');
  return [...trainingLogs(), ...trainingQuality()].map((r) => {
    const f = parser.parse(r.line).fields as Record<string, unknown>;
    const labels: Record<string, string> = { ...POD };
    for (const k of ['level', 'event', 'framework'] as const) if (typeof f[k] === 'string') labels[k] = f[k] as string;
    return { line: r.line, labels };
  });
}

test('the ml component forwards to the volume component, which forwards to loki.write; the volume stages come after the metrics', () => {
  const text = renderAlloyConfig({ common: COMMON, loki: LOKI });
  const ml = text.slice(text.indexOf('loki.process "ml"'), text.indexOf('loki.process "volume"'));
  assert.match(ml, /forward_to = \[loki\.process\.volume\.receiver\]\n\}/);
  assert.ok(ml.includes('stage.metrics'), 'the metrics are in the ml component, before any volume stage');
  assert.match(text.slice(text.indexOf('loki.process "volume"')), /^loki\.process "volume" \{[\s\S]*forward_to = \[loki\.write\.default\.receiver\]\n\}/);
});

test('DEBUG lines: kept by default, dropped (counted as mlobs_level_debug) when dropLevels lists debug; nothing else is dropped by level', async () => {
  const corpus = await labelledCorpus();
  const debug = corpus.filter((c) => c.labels.level === 'debug');
  assert.ok(debug.length >= 2, `the corpus has DEBUG lines (${debug.length})`);
  const keep = volumeOf(vol());
  assert.deepEqual(corpus.filter((c) => keep.run(c.line, c.labels).dropped?.reason.startsWith('mlobs_level')), []);
  const drop = volumeOf(vol({ dropLevels: ['debug'] }));
  const dropped = corpus.map((c) => ({ c, r: drop.run(c.line, c.labels) })).filter((x) => x.r.dropped?.reason === 'mlobs_level_debug');
  assert.deepEqual(dropped.map((x) => x.c.line), debug.map((c) => c.line));
  // info too when asked, and never a warning or an error
  const both = volumeOf(vol({ dropLevels: ['debug', 'info'] }));
  for (const c of corpus) {
    const r = both.run(c.line, c.labels);
    assert.equal(r.dropped?.reason.startsWith('mlobs_level') ?? false, c.labels.level === 'debug' || c.labels.level === 'info', c.line);
  }
});

test('progress redraws: tqdm bars and Keras ETA bars of the corpus are redraws, loss dicts and final lines are not', async () => {
  const corpus = await labelledCorpus();
  const redraw = new RE2(PROGRESS_REDRAW_PATTERN, 'u');
  const final = new RE2(PROGRESS_FINAL_PATTERN, 'u');
  const progress = corpus.filter((c) => c.labels.event === 'train_progress');
  const sampled = progress.filter((c) => redraw.test(c.line) && !final.test(c.line)).map((c) => c.line);
  assert.ok(sampled.includes('98%|█████████▊| 2086/2120 [26:01<00:22,  1.49it/s]'));
  assert.ok(sampled.includes('13184/60000 [=====>........................] - ETA: 3s - loss: 0.0952 - acc: 0.9743'));
  assert.ok(sampled.some((l) => l.startsWith('Epoch 0:   1%|')), 'a Lightning bar with its postfix');
  for (const l of ["{'loss': 0.6321, 'grad_norm': 37.228204250367746, 'learning_rate': 1e-05, 'epoch': 0.05}", 'Epoch 9: 100%|██████████| 195/195 [01:58<00:00,  1.64it/s, train/loss_step=3.860, train/entropy=0.591, train/loss_epoch=3.950]', '4451/4451 [==============================] - 4s 805us/step - loss: 0.0291 - accuracy: 0.9980 - val_loss: 0.0265 - val_accuracy: 0.9983']) {
    assert.ok(progress.some((c) => c.line === l), `in the corpus as train_progress: ${l}`);
    assert.ok(!sampled.includes(l), `not sampled: ${l}`);
  }
  // a bar with a log written onto its end is not a redraw (the message matters)
  assert.ok(!sampled.some((l) => l.includes('OVERFLOW')));
});

test('progress redraws are kept at most once per stream per interval, the final 100% line always, other streams apart', () => {
  const v = volumeOf(vol({ progressInterval: '30s' }));
  const labels = { ...POD, level: 'info', event: 'train_progress', framework: 'lightning' };
  const other = { ...labels, pod: 'train-1' };
  const bar = (i: number, n: number): string => `Epoch 0: ${String(Math.floor((i * 100) / n)).padStart(3)}%|${'█'.repeat(Math.floor((i * 10) / n)).padEnd(10)}| ${i}/${n} [00:${String(i % 60).padStart(2, '0')}<00:10, 10.00it/s, loss=0.5]`;
  const n = 650; // 10 redraws a second for 65 s
  const kept: number[] = [];
  const keptOther: number[] = [];
  for (let i = 1; i < n; i++) {
    const t = i / 10;
    const r = v.run(bar(i, n), labels, { at: t });
    if (!r.dropped) kept.push(t);
    else assert.deepEqual(r.dropped, { reason: 'ratelimit_drop_stage', byLabel: { name: LIMIT_LABELS.progress, value: 'team-a/train-0/trainer' } });
    if (i % 2 === 0 && !v.run(bar(i, n), other, { at: t }).dropped) keptOther.push(t);
    if (!r.dropped) assert.ok(!(LIMIT_LABELS.progress in r.labels) && !(LIMIT_LABELS.stream in r.labels), 'the bucket labels are dropped before the push');
  }
  // the first redraw, then the first once the interval has passed (within a redraw or two: the
  // bucket refills in floating point, as golang.org/x/time/rate does)
  const spaced = (ts: number[], first: number, period: number): void => {
    assert.equal(ts.length, 3, ts.join(', '));
    assert.equal(ts[0], first);
    for (let i = 1; i < ts.length; i++) {
      const gap = ts[i]! - ts[i - 1]!;
      assert.ok(gap >= 30 - 1e-9 && gap <= 30 + 2 * period + 1e-9, `gap ${gap} in ${ts.join(', ')}`);
    }
  };
  spaced(kept, 0.1, 0.1);
  spaced(keptOther, 0.2, 0.2);
  const last = v.run(bar(n, n), labels, { at: 65 });
  assert.equal(last.dropped, undefined, 'the final 100% line is kept');
  // a training record is never sampled, however often it comes
  for (let i = 0; i < 20; i++) assert.equal(v.run(`{'loss': 0.${i}, 'learning_rate': 1e-05, 'epoch': 0.0${i}}`, labels, { at: 65 }).dropped, undefined);
});

test('the per-stream limit: a burst over burstLines is cut per namespace/pod/container and counted by stream; other streams and the kernel log pass', () => {
  const v = volumeOf(vol({ perStream: { linesPerSecond: 100, burstLines: 500 } }));
  const run = (labels: Record<string, string>, count: number, at: number) =>
    Array.from({ length: count }, (_, i) => v.run(`step ${i} loss 0.5`, labels, { at })).filter((r) => r.dropped);
  const a = run(POD, 800, 0);
  assert.equal(a.length, 300, 'burst 500 at once, 300 dropped');
  assert.deepEqual(a[0]!.dropped, { reason: 'ratelimit_drop_stage', byLabel: { name: LIMIT_LABELS.stream, value: 'team-a/train-0/trainer' } });
  assert.equal(run({ ...POD, container: 'sidecar' }, 400, 0).length, 0, 'another container of the pod has its own bucket');
  assert.equal(run(POD, 100, 1).length, 0, 'one second later, 100 more lines fit');
  assert.equal(run(POD, 101, 2).length, 1, 'and not 101');
  assert.equal(run({ app: 'kernel', node: 'gpu-1' }, 5000, 0).length, 0, 'the kernel log (no pod) is never limited');
});

test('static fields: structured metadata on every line (the namespace over the environment), never labels', () => {
  const v = volumeOf(vol(), STATIC);
  const inNs = v.run('[INFO] hello', { ...POD, level: 'info' });
  assert.deepEqual(inNs.structuredMetadata, { project: 'llm', cost_center: 'cc-200', team: 'vision' });
  const elsewhere = v.run('[INFO] hello', { ...POD, namespace: 'team-b', level: 'info' });
  assert.deepEqual(elsewhere.structuredMetadata, { project: 'llm', cost_center: 'cc-100' });
  for (const r of [inNs, elsewhere]) for (const n of ['project', 'cost_center', 'team']) assert.ok(!(n in r.labels), `${n} is not a label`);
  assert.deepEqual(Object.keys(inNs.labels).sort(), Object.keys({ ...POD, level: 'info' }).sort(), 'the labels are the entry\'s, unchanged');
  // without static fields there is no metadata stage at all
  assert.ok(!renderAlloyConfig({ common: COMMON, loki: LOKI }).includes('stage.structured_metadata {\n    values = {\n      project'));
});

test('Promtail runs the same volume stages as Alloy: selectors, reasons, rates, bursts, bucket labels, static fields', () => {
  const v = vol({ dropLevels: ['debug'], progressInterval: '20s', perStream: { linesPerSecond: 50, burstLines: 400 } });
  const cfg = YAML.parse(renderPromtailConfig({ common: COMMON, loki: LOKI, volume: v, staticFields: STATIC })) as { scrape_configs: { pipeline_stages: Record<string, any>[] }[] };
  const expected = volumeStages(v, STATIC, []);
  for (const job of cfg.scrape_configs) assert.deepEqual(job.pipeline_stages.slice(-expected.length), JSON.parse(JSON.stringify(expected)), 'the volume stages close every job');
  const alloy = renderAlloyConfig({ common: COMMON, loki: LOKI, volume: v, staticFields: STATIC });
  const flat = JSON.stringify(expected);
  for (const [label, rate, burst] of [[LIMIT_LABELS.progress, 0.05, 1], [LIMIT_LABELS.stream, 50, 400]] as const) {
    assert.ok(flat.includes(JSON.stringify({ limit: { rate, burst, by_label_name: label, drop: true } })), `Promtail limit ${label}`);
    assert.match(alloy, new RegExp(`rate {10}= ${rate}\\n {6}burst {9}= ${burst}\\n {6}by_label_name = "${label}"\\n {6}drop {10}= true`));
  }
  assert.ok(flat.includes('"drop_counter_reason":"mlobs_level_debug"') && alloy.includes('drop_counter_reason = "mlobs_level_debug"'));
  const selectors = (expected.filter((s) => s.match) as { match: { selector: string } }[]).map((s) => s.match.selector);
  for (const s of selectors) assert.ok(alloy.includes(`selector${s.includes('level=') ? ' '.repeat(12) : ' '}= ${JSON.stringify(s)}`), `Alloy has the selector ${s}`);
  assert.deepEqual(expected.find((s) => s.structured_metadata), { structured_metadata: { project: '', cost_center: '', team: '' } });
  assert.ok(!flat.includes('static_labels'), 'never a label');
});

test('Loki limits_config follows the collector: per-stream limits are the line limits at 16 KiB a line, tenant limits as set', () => {
  const v = vol({ perStream: { linesPerSecond: 100, burstLines: 1000 }, loki: { ingestionRateMB: 20, ingestionBurstSizeMB: 40 } });
  const values = renderLokiValues({
    common: COMMON,
    deploymentMode: 'monolithic',
    replicas: 1,
    resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } },
    storage: { sizeGiB: 10 },
    authEnabled: true,
    retentionPeriod: '744h',
    debugRetention: '72h',
    ingestion: lokiIngestionLimits(v),
  }) as { loki: { limits_config: Record<string, unknown> } };
  const l = values.loki.limits_config;
  assert.equal(l.ingestion_rate_mb, 20);
  assert.equal(l.ingestion_burst_size_mb, 40);
  assert.equal(l.per_stream_rate_limit, '1600KiB');
  assert.equal(l.per_stream_rate_limit_burst, '16000KiB');
});

test('promtool: LogStreamRateLimited fires when a stream is cut for 15m, quiet for the progress sampler and short bursts', () => {
  for (const [collector, metric] of [['alloy', 'loki_process_dropped_lines_by_label_total'], ['promtail', 'logentry_dropped_lines_by_label_total']] as const) {
    const groups = renderLogVolumeRuleGroups('mlobs', collector);
    const base = { namespace: 'mlobs', pod: `${collector}-x7k2p`, ...(collector === 'alloy' ? { component_id: 'loki.process.volume', component_path: '/' } : {}) };
    const series = (labels: Record<string, string>, values: string) => ({ series: `${metric}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`, values });
    const stream = { ...base, label_name: LIMIT_LABELS.stream, label_value: 'team-a/train-0/trainer' };
    const a = groups[0]!.rules[0] as { annotations: Record<string, string>; labels: Record<string, string> };
    const expLabels = { alertname: 'LogStreamRateLimited', ...a.labels, namespace: 'mlobs', pod: base.pod, label_value: 'team-a/train-0/trainer' };
    const name = collector === 'alloy' ? 'Alloy' : 'Promtail';
    promtoolTestRules(groups, [
      {
        name: `${collector}: a stream cut at 2 lines/s`,
        inputSeries: [series(stream, '0+120x40')],
        alertRuleTests: [
          { evalTime: '10m', alertname: 'LogStreamRateLimited', expAlerts: [] },
          {
            evalTime: '30m',
            alertname: 'LogStreamRateLimited',
            expAlerts: [
              {
                expLabels,
                expAnnotations: {
                  summary: 'Log stream team-a/train-0/trainer is over its line limit',
                  description: a.annotations.description!.replace('{{ $labels.pod }}', base.pod).replace('{{ $labels.label_value }}', 'team-a/train-0/trainer').replace('{{ $value | humanize }}', '2'),
                  runbook_url: a.annotations.runbook_url!,
                },
              },
            ],
          },
        ],
      },
      {
        name: `${collector}: quiet for sampled redraws, a 5m burst, another namespace`,
        inputSeries: [
          series({ ...base, label_name: LIMIT_LABELS.progress, label_value: 'team-a/train-0/trainer' }, '0+600x40'),
          series(stream, '0+120x5 600x35'),
          series({ ...stream, namespace: 'other' }, '0+120x40'),
        ],
        alertRuleTests: [{ evalTime: '35m', alertname: 'LogStreamRateLimited', expAlerts: [] }],
      },
    ]);
    assert.ok(a.annotations.description!.startsWith(name));
  }
});

// ---------------------------------------------------------------- Elastic path

test('Logstash: marked events skip only the Elasticsearch output; levels and redraws are marked; static fields under labels and mapped', () => {
  const filter = renderVolumeFilter(vol({ dropLevels: ['debug'], progressInterval: '45s' }));
  assert.match(filter, /if \[ml\]\[level\] == "debug" \{\n {2}mutate \{ id => "mlobs_volume_level_debug" add_field => \{ "\[@metadata\]\[mlobs_drop\]" => "level_debug" \} \}\n\}/);
  assert.ok(filter.includes('now - t >= 45 then'), 'the interval in seconds');
  assert.ok(filter.includes('[message] !~ /(?:^|[^0-9.])100%/'), 'the final line is outside the gate');
  assert.ok(!/\bdrop \{/.test(filter) && !filter.includes('event.cancel'), 'marks, never drops: the counters see every event');
  const pipeline = renderLogstashPipeline({ catalogFilter: 'noop {}', esAlias: 'mlobs', dataStream: { dataset: 'ml', namespace: 'prod' }, extraFilter: filter, extraOutput: 'statsd { }', skipStoreField: VOLUME_DROP_FIELD });
  const output = pipeline.slice(pipeline.indexOf('output {'));
  assert.match(output, /if !\[@metadata\]\[mlobs_drop\] \{\n {4}elasticsearch \{[\s\S]*?\n {4}\}\n {2}\}\n {2}statsd \{ \}/, output);
  const sf = renderStaticFieldsFilter(STATIC);
  assert.ok(sf.includes('mutate { id => "mlobs_static_fields" replace => { "[labels][project]" => "llm" "[labels][cost_center]" => "cc-100" } }'));
  assert.ok(sf.includes('if [kubernetes][namespace] == "team-a" {\n  mutate { id => "mlobs_static_fields_team-a" replace => { "[labels][cost_center]" => "cc-200" "[labels][team]" => "vision" } }\n}'));
  assert.equal(renderStaticFieldsFilter({ fields: {}, namespaces: {} }), '');
  const mapping = renderIndexTemplate({ dataset: 'ml', policyName: 'p', replicas: 0, totalFieldsLimit: 1000, staticFields: ['project', 'team'] }) as { template: { mappings: { properties: Record<string, unknown> } } };
  assert.deepEqual(mapping.template.mappings.properties.labels, { properties: { project: { type: 'keyword', ignore_above: 1024 }, team: { type: 'keyword', ignore_above: 1024 } } });
});

test('Logstash (Oniguruma) and the collectors (RE2) classify every corpus line alike as redraw and final', async () => {
  const onig = await loadOnig();
  const corpus = await labelledCorpus();
  const pairs = [PROGRESS_REDRAW_PATTERN, PROGRESS_FINAL_PATTERN].map((p) => ({ re2: new RE2(p, 'u'), onig: new onig.OnigScanner([p]) }));
  let redraws = 0;
  for (const { line } of corpus) {
    const s = new onig.OnigString(line);
    try {
      for (const p of pairs) assert.equal(p.onig.findNextMatchSync(s, 0) !== null, p.re2.test(line), line);
    } finally {
      s.dispose();
    }
    if (pairs[0]!.re2.test(line)) redraws++;
  }
  assert.ok(redraws >= 10, `redraws in the corpus: ${redraws}`);
});

// ---------------------------------------------------------------- config

function configError(logs: Record<string, unknown>): string {
  try {
    parseEnvironment('qa', { grafana: { adminCredentials: { secretName: 'g' } }, logs }, 'config/qa.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  return assert.fail(`accepted: ${JSON.stringify(logs)}`);
}

test('config: defaults, and logs.volume / logs.staticFields flow to both pipelines', () => {
  const env = parseEnvironment('qa', { grafana: { adminCredentials: { secretName: 'g' } } });
  assert.deepEqual(env.settings.logs.volume, DEFAULT_LOG_VOLUME);
  assert.deepEqual(env.settings.logs.staticFields, { fields: {}, namespaces: {} });
  const set = parseEnvironment('qa', { grafana: { adminCredentials: { secretName: 'g' } }, logs: { volume: { dropLevels: ['debug'], progressInterval: '1m' }, staticFields: STATIC } });
  assert.deepEqual(set.settings.logs.volume.dropLevels, ['debug']);
  assert.equal(set.settings.logs.volume.progressInterval, '1m');
  assert.deepEqual(set.settings.logs.staticFields, STATIC);
});

test('config: a zero interval, a negative rate, an unknown or protected level, too many fields, colliding names are errors naming file and field', () => {
  const zero = configError({ volume: { progressInterval: '0s' } });
  assert.match(zero, /config\/qa\.yaml/);
  assert.match(zero, /logs\.volume\.progressInterval.*"0s" is zero/s);
  assert.match(configError({ volume: { perStream: { linesPerSecond: -5 } } }), /logs\.volume\.perStream\.linesPerSecond.*-5 must be a positive number/s);
  assert.match(configError({ volume: { dropLevels: ['trace'] } }), /logs\.volume\.dropLevels\[0\].*"trace" is not a level of the catalog \(debug, info, warning, error, critical\); droppable levels: debug, info/s);
  assert.match(configError({ volume: { dropLevels: ['error'] } }), /logs\.volume\.dropLevels\[0\].*never dropped/s);
  assert.match(configError({ volume: { loki: { ingestionRateMB: 1 } } }), /logs\.volume\.loki\.ingestionRateMB.*less than one stream may send/s);
  const many = Object.fromEntries(Array.from({ length: MAX_STATIC_FIELDS + 1 }, (_, i) => [`f${i}`, 'x']));
  assert.match(configError({ staticFields: { fields: many } }), new RegExp(`logs\\.staticFields.*at most ${MAX_STATIC_FIELDS}`, 's'));
  assert.match(configError({ staticFields: { fields: { loss: 'x' } } }), /logs\.staticFields\.fields\.loss.*a field of the ML log catalog/s);
  assert.match(configError({ staticFields: { fields: { pod: 'x' } } }), /logs\.staticFields\.fields\.pod.*a Loki label/s);
  assert.match(configError({ staticFields: { namespaces: { 'team-a': { model: 'x' } } } }), /logs\.staticFields\.namespaces\.team-a\.model.*a team JSON field/s);
  assert.match(configError({ staticFields: { fields: { project: 'a "quoted" %{x}' } } }), /logs\.staticFields\.fields\.project.*value/s);
  assert.match(configError({ staticFields: { namespaces: { Team_A: { project: 'x' } } } }), /logs\.staticFields\.namespaces\.Team_A.*not a namespace name/s);
});

test('props: the constructs refuse what the schema refuses (a library user without the config)', () => {
  assert.throws(() => renderAlloyConfig({ common: COMMON, loki: LOKI, volume: vol({ progressInterval: '0s' }) }), /alloy: volume: progressInterval: "0s" is zero/);
  assert.throws(() => renderPromtailConfig({ common: COMMON, loki: LOKI, staticFields: { fields: { step: 'x' }, namespaces: {} } }), /promtail: staticFields: fields\.step is a field of the ML log catalog/);
});
