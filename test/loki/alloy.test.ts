/**
 * The generated Alloy configuration: golden text per environment with targeted assertions, its
 * regexes (read back from the generated text) run on RE2 over the corpus against the catalog's
 * engine, and the label allowlist.
 */
import { test } from 'node:test';
import { ERROR_LINES_METRIC, TRAIN_GAUGES } from '../../constructs/contracts/log-metrics';
import assert from 'node:assert/strict';
import { ML_LOG_CATALOG } from '../../constructs/mllogs';
import { applyJsonMapping } from '../../constructs/mllogs/engine';
import { extractorPrefix, formatPrefix, markerName } from '../../constructs/mllogs/naming';
import { temporaryLabels } from '../../constructs/mllogs/compile-loki';
import { loadAlloyPipeline } from '../helpers/alloy-executor';
import { FIELD_NAMES, isNumberField } from '../../constructs/mllogs/schema';
import type { CaptureName } from '../../constructs/mllogs/types';
import {
  ALLOY_CONFIG_MAP,
  ALLOY_LOKI_CA_DIR,
  CATALOG_LABELS,
  CONTRACT_LABELS,
  HIGH_CARDINALITY_FIELDS,
  LOKI_LABEL_ALLOWLIST,
  renderAlloyConfig,
} from '../../constructs/loki';
import { LOG_EVENTS_LABELS, LOG_EVENTS_METRIC, TRAIN_STEP_SECONDS_BUCKETS, TRAIN_STEP_SECONDS_METRIC } from '../../constructs/training/log-metrics-contract';
import { MINIMAL_INPUT, releaseValues, synthEnvironment, type SynthResult } from '../helpers/synth';
import { loadEnvironmentFile } from '../metrics/env-files';
import { parserFor, re2Engine, trainingLogs } from '../mllogs/helpers';
import { assertTextGolden, configMapData } from './helpers';

const synths = new Map<string, SynthResult>();
function synth(env: string): SynthResult {
  let r = synths.get(env);
  if (!r) synths.set(env, (r = synthEnvironment(loadEnvironmentFile(env), env)));
  return r;
}
const alloyConfig = (r: SynthResult): string => configMapData(r.tf, ALLOY_CONFIG_MAP.name)[ALLOY_CONFIG_MAP.key] as string;

const COMMON = { namespace: 'mlobs', agentsNamespace: 'mlobs-agents', clusterName: 't', environment: 't', labels: {}, monitorSelector: {} };
const PLAIN = { url: 'http://loki-gateway.mlobs.svc:80', pushUrl: 'http://loki-gateway.mlobs.svc:80/loki/api/v1/push', tls: false } as const;

/** The body of one top-level River block, e.g. `loki.process "ml"`. */
function block(text: string, header: string): string {
  const start = text.indexOf(`${header} {\n`);
  assert.ok(start >= 0, `no block ${header}`);
  const end = text.indexOf('\n}\n', start);
  return text.slice(start, end + 2);
}

// ---------------------------------------------------------------- golden + targeted

for (const env of ['dev', 'prod'] as const) {
  test(`${env}: the Alloy config in the ConfigMap matches test/loki/golden/${env}.alloy`, () => {
    assertTextGolden(`${env}.alloy`, alloyConfig(synth(env)));
  });
}

test('tenant header: every push carries the environment tenant (dev: dev, prod: ml-prod); none when auth is off', () => {
  assert.match(block(alloyConfig(synth('dev')), 'loki.write "default"'), /\n    tenant_id = "dev"\n/);
  assert.match(block(alloyConfig(synth('prod')), 'loki.write "default"'), /\n    tenant_id = "ml-prod"\n/);
  const noAuth = alloyConfig(synthEnvironment({ ...MINIMAL_INPUT, loki: { authEnabled: false } }));
  assert.doesNotMatch(noAuth, /tenant_id/);
});

test('TLS: the push goes to the gateway over https with the CA file the chart mounts from the certificate Secret', () => {
  const r = synth('prod');
  const write = block(alloyConfig(r), 'loki.write "default"');
  assert.match(write, /url = "https:\/\/loki-gateway\.mlobs\.svc:443\/loki\/api\/v1\/push"/);
  assert.match(write, new RegExp(`tls_config \\{\\n      ca_file = "${ALLOY_LOKI_CA_DIR}/ca\\.crt"\\n    \\}`));
  const v = releaseValues(r.tf, 'alloy') as { alloy: { mounts: { extra: { mountPath: string }[] } }; controller: { volumes: { extra: { secret: { secretName: string } }[] } } };
  assert.deepEqual(v.alloy.mounts.extra.map((m) => m.mountPath), [ALLOY_LOKI_CA_DIR]);
  // the collector runs in the agents namespace: the CA comes from the trust bundle there, issued by the gateway certificate's CA
  assert.equal(v.controller.volumes.extra[0]?.secret.secretName, r.stack.observability.tls?.trustBundleIn(r.stack.observability.common.agentsNamespace).secretName);
  assert.notEqual(v.controller.volumes.extra[0]?.secret.secretName, r.stack.observability.loki?.loki.endpoint.caSecretName, 'not the gateway\'s own Secret (in the stack namespace)');
  const plain = alloyConfig(synthEnvironment({ ...MINIMAL_INPUT, logs: { pipelines: ['loki'] } }));
  assert.doesNotMatch(plain, /tls_config/);
  assert.match(plain, /url = "http:\/\/loki-gateway\.mlobs\.svc:80\/loki\/api\/v1\/push"/);
});

test('kernel journal source: only kernel transport lines, labelled app=kernel and node, into the ML pipeline', () => {
  const text = alloyConfig(synth('prod'));
  const journal = block(text, 'loki.source.journal "kernel"');
  assert.match(journal, /matches += "_TRANSPORT=kernel"/);
  assert.match(journal, /labels += \{ app = "kernel" \}/);
  assert.match(journal, /forward_to += \[loki\.process\.ml\.receiver\]/);
  assert.match(block(text, 'loki.relabel "kernel"'), /source_labels = \["__journal__hostname"\]\n    target_label  = "node"/);
});

test('label allowlist: label_keep holds exactly the allowlist and runs before the log-derived metrics', () => {
  const ml = block(alloyConfig(synth('prod')), 'loki.process "ml"');
  const keep = /stage\.label_keep \{\n    values = \[(.*)\]/.exec(ml);
  assert.ok(keep);
  assert.deepEqual(JSON.parse(`[${keep[1]}]`), [...LOKI_LABEL_ALLOWLIST]);
  assert.ok(ml.indexOf('stage.label_keep') < ml.indexOf('stage.metrics'), 'labels are filtered before the metrics read them');
  // After the allowlist a label is added only for a metric (the throughput's unit) and dropped before the push.
  const after = ml.slice(ml.indexOf('stage.label_keep'));
  const added = [...after.matchAll(/stage\.labels \{\n\s+values = \{ (\w+) = "[^"]*" \}/g)];
  assert.equal(added.length, (after.match(/stage\.labels \{/g) ?? []).length, 'every stage.labels after the allowlist is a metric-only label');
  for (const m of added) assert.match(after.slice(m.index ?? 0), new RegExp(`stage\\.label_drop \\{\\n\\s+values = \\["${m[1]}"\\]`), `${m[1]} is dropped again`);
  assert.ok(ml.indexOf('stage.label_keep') > ml.slice(0, ml.indexOf('stage.label_keep')).lastIndexOf('stage.labels {'), 'the filter is after the catalog\'s label stages');
});

test('log-derived metrics: names, buckets and node label come from the training contract', () => {
  const text = alloyConfig(synth('prod'));
  // published name = prefix + name; an empty prefix would fall back to loki_process_custom_
  const published = (kind: string): string[] =>
    [...text.matchAll(new RegExp(`metric\\.${kind} \\{\\n\\s+name += "(\\w+)"\\n\\s+prefix += "(\\w+)"`, 'g'))].map((m) => m[2]! + m[1]!);
  assert.deepEqual(published('counter'), [LOG_EVENTS_METRIC, ERROR_LINES_METRIC]);
  assert.deepEqual(published('gauge'), TRAIN_GAUGES.map((g) => g.metric));
  // each gauge reads its catalog field; the error counter counts the error levels
  for (const g of TRAIN_GAUGES) assert.match(text, new RegExp(`name += "${g.metric.slice('mlobs_'.length)}"[^}]*source += "${g.field}"[^}]*action += "set"`, 's'));
  assert.match(text, /selector = "\{level=~\\"error\|critical\\"\}"/);
  assert.deepEqual(published('histogram'), [TRAIN_STEP_SECONDS_METRIC]);
  assert.doesNotMatch(text, /prefix += ""/);
  assert.match(text, new RegExp(`buckets += \\[${TRAIN_STEP_SECONDS_BUCKETS.join(', ').replace(/\./g, '\\.')}\\]`));
  assert.ok((LOG_EVENTS_LABELS as readonly string[]).includes('node'));
  assert.match(block(text, 'discovery.relabel "pods"'), /source_labels = \["__meta_kubernetes_pod_node_name"\]\n    target_label  = "node"/);
  for (const l of CONTRACT_LABELS) assert.ok((LOKI_LABEL_ALLOWLIST as readonly string[]).includes(l), l);
});

// ---------------------------------------------------------------- label allowlist enforcement

/** Every label name the config can set on a stream: relabel targets, stage.labels keys, static labels. */
function labelsSetBy(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/target_label\s*=\s*"([^"]+)"/g)) if (!m[1]!.startsWith('__')) out.add(m[1]!);
  for (const m of text.matchAll(/stage\.labels \{\n\s*values = \{\n((?:\s+\w+ = "[^"]*",\n)+)/g)) {
    for (const k of m[1]!.matchAll(/(\w+) = /g)) out.add(k[1]!);
  }
  for (const m of text.matchAll(/\blabels\s*=\s*\{([^}]*)\}/g)) for (const k of m[1]!.matchAll(/(\w+)\s*=/g)) out.add(k[1]!);
  return out;
}

test('every label the generated config sets is in the allowlist, and none is a high-cardinality field', () => {
  for (const env of ['dev', 'prod']) {
    const config = alloyConfig(synth(env));
    // the catalog's control-flow labels are set and dropped inside the catalog stages (checked by running them below)
    const labels = new Set([...labelsSetBy(config)].filter((l) => !temporaryLabels().includes(l)));
    assert.deepEqual([...labels].filter((l) => !(LOKI_LABEL_ALLOWLIST as readonly string[]).includes(l)), [], env);
    assert.deepEqual([...labels].filter((l) => HIGH_CARDINALITY_FIELDS.includes(l)), [], env);
    assert.ok(labels.has('event') && labels.has('namespace'), 'the scan sees the labels it should');
  }
  assert.ok(labelsSetBy('stage.labels {\n  values = {\n    step = "",\n  }\n}\n').has('step'), 'the scan would see a bad label');
});

test('the control-flow labels of the catalog stages never reach Loki: executed, a line leaves with the pod labels and catalog labels only', () => {
  const pipeline = loadAlloyPipeline(alloyConfig(synth('dev')));
  const pod = { namespace: 'team-a', pod: 'train-0', container: 'trainer', app: 'trainer', filename: '/var/log/pods/x.log' };
  for (const line of ['[W0227 17:39:41.936000 293814 torch/x.py:766] text', '{"level": "info", "msg": "x"}', 'RuntimeError: CUDA out of memory', 'qqqq']) {
    const run = pipeline.run(line, pod);
    assert.deepEqual(Object.keys(run.labels).filter((l) => l.startsWith('mlobs_')), [], line);
    assert.deepEqual(Object.keys(run.labels).filter((l) => !(LOKI_LABEL_ALLOWLIST as readonly string[]).includes(l)), [], `${line}: label_keep ran`);
  }
});

test('a high-cardinality field asked as a label fails the render, with what to write instead', () => {
  for (const field of ['step', 'loss', 'rank', 'gpu', 'pid', 'message']) {
    assert.throws(
      () => renderAlloyConfig({ common: COMMON, loki: PLAIN, catalogLabels: ['level', field] }),
      new RegExp(`alloy: "${field}" would become a Loki label, but it is a high-cardinality field.*please set: catalogLabels: \\[framework, level, event\\]`),
    );
  }
  assert.throws(() => renderAlloyConfig({ common: COMMON, loki: PLAIN, catalogLabels: ['team'] }), /"team" is not in the Loki label allowlist/);
  assert.throws(() => renderAlloyConfig({ common: COMMON, loki: PLAIN, catalogLabels: ['pod'] }), /"pod" is a Loki label but not a catalog field/);
  assert.match(renderAlloyConfig({ common: COMMON, loki: PLAIN, catalogLabels: ['level'] }), /stage\.labels \{\n    values = \{\n      level = "",\n    \}/);
  assert.deepEqual([...CATALOG_LABELS].filter((l) => HIGH_CARDINALITY_FIELDS.includes(l)), []);
});

// ---------------------------------------------------------------- regexes on RE2 over the corpus

interface RegexStage {
  readonly kind: 'format' | 'extractor' | 'event rule';
  readonly id: string;
  readonly expression: string;
}

/** The regex stages of `loki.process "ml"`, read back from the generated text with the comment naming each. */
function regexStages(text: string): RegexStage[] {
  const re = /\/\/ (format|extractor|event rule) ([\w-]+)(?::| ->)[^\n]*\n\s*stage\.regex \{\n\s*expression = ("(?:[^"\\]|\\.)*")/g;
  return [...block(text, 'loki.process "ml"').matchAll(re)].map((m) => ({ kind: m[1] as RegexStage['kind'], id: m[2]!, expression: JSON.parse(m[3]!) as string }));
}

/** Fields the stages copy unchanged from a capture (no timestamp/level/unit normalization). */
const PASS_THROUGH = FIELD_NAMES.filter(
  (f) =>
    !['level', 'timestamp', 'event', 'framework'].includes(f) &&
    !ML_LOG_CATALOG.scales.some((s) => s.target === f) &&
    !ML_LOG_CATALOG.bytes.some((b) => b.target === f) &&
    !ML_LOG_CATALOG.unitMaps.some((u) => u.target === f),
);

test('the regexes of the generated Alloy config, run on RE2 in pipeline order over the corpus, give the catalog engine\'s fields and event', async () => {
  const engine = re2Engine();
  const stages = regexStages(alloyConfig(synth('prod')));
  const formats = stages.filter((s) => s.kind === 'format');
  const extractors = stages.filter((s) => s.kind === 'extractor');
  const rules = stages.filter((s) => s.kind === 'event rule');
  assert.deepEqual(formats.map((s) => s.id), ML_LOG_CATALOG.formats.map((f) => f.id));
  assert.deepEqual(extractors.map((s) => s.id), ML_LOG_CATALOG.extractors.map((x) => x.id));
  assert.deepEqual(rules.map((s) => s.id), ML_LOG_CATALOG.eventRules.map((r) => r.id));
  const compiled = (s: RegexStage) => engine.compilePlain(s.expression);
  const f = formats.map((s) => ({ s, re: compiled(s), prefix: formatPrefix(s) }));
  const x = extractors.map((s) => ({ s, re: compiled(s), prefix: extractorPrefix(s) }));
  const r = rules.map((s) => ({ s, re: compiled(s) }));
  const parser = await parserFor('re2');
  let compared = 0;
  let withEvent = 0;
  for (const rec of trainingLogs()) {
    if (/^\{\s*"/.test(rec.line)) continue; // JSON lines go through stage.json (JMESPath), not regexes
    const input = engine.prepare(rec.line);
    const raw = new Map<CaptureName, string>();
    const capture = (re: typeof f[number]['re'], prefix: string, onlyEmpty: boolean): boolean => {
      const m = re.exec(input);
      if (!m) return false;
      re.names.forEach((name, i) => {
        const v = m.groups[i + 1];
        if (!name || name === markerName(prefix) || !name.startsWith(prefix) || v === undefined || v === '') return;
        const k = name.slice(prefix.length) as CaptureName;
        if (!onlyEmpty || !raw.has(k)) raw.set(k, v);
      });
      return true;
    };
    const format = f.find((c) => capture(c.re, c.prefix, false));
    const payload = raw.get('json_payload');
    if (payload !== undefined) {
      try {
        applyJsonMapping(JSON.parse(payload) as unknown, ML_LOG_CATALOG.json, raw);
      } catch {
        // stage.json on a payload that is not JSON extracts nothing
      }
    }
    let extractorEvent: string | undefined;
    for (const c of x) {
      if (capture(c.re, c.prefix, true)) extractorEvent ??= ML_LOG_CATALOG.extractors.find((d) => d.id === c.s.id)?.event;
    }
    const rule = r.find((c) => c.re.exec(input) !== null);
    input.dispose();
    const event = rule
      ? ML_LOG_CATALOG.eventRules.find((d) => d.id === rule.s.id)?.event ?? undefined
      : (ML_LOG_CATALOG.formats.find((d) => d.id === format?.s.id)?.event ?? extractorEvent);
    const expected = parser.parse(rec.line).fields as Readonly<Record<string, string | number>>;
    assert.equal(event, expected.event, `${rec.id}: event`);
    if (event) withEvent++;
    for (const field of PASS_THROUGH) {
      const v = raw.get(field as CaptureName);
      const got = v !== undefined && isNumberField(field) ? (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined) : v;
      assert.equal(got, expected[field], `${rec.id}: ${field}`);
      if (got !== undefined) compared++;
    }
  }
  assert.ok(compared > 500, `compared ${compared} field values`);
  assert.ok(withEvent > 50, `${withEvent} lines with an event`);
});
