/** Parsing accuracy on the real-log corpus (training-logs and training-quality), with every engine. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, score, type CorpusRecord, type EvaluationReport, type Scores } from '../../constructs/mllogs/evaluate';
import { parserFor, trainingLogs, trainingQuality } from './helpers';

type Engine = 'grok' | 're2' | 'js';
type Corpus = 'training-logs' | 'training-quality';
const CORPORA: Readonly<Record<Corpus, () => CorpusRecord[]>> = { 'training-logs': trainingLogs, 'training-quality': trainingQuality };

const reports = new Map<string, EvaluationReport>();
async function reportFor(engine: Engine, corpus: Corpus = 'training-logs'): Promise<EvaluationReport> {
  const key = `${engine}:${corpus}`;
  let r = reports.get(key);
  if (!r) {
    const p = await parserFor(engine);
    r = evaluate(CORPORA[corpus](), (line) => p.parse(line).fields as Record<string, unknown>);
    reports.set(key, r);
  }
  return r;
}

/** F1 of one event value alone: a line expected or predicted to carry `event`. */
async function eventScores(engine: Engine, corpus: Corpus, event: string): Promise<Scores & { misses: string[] }> {
  const p = await parserFor(engine);
  const c = { tp: 0, fp: 0, fn: 0 };
  const misses: string[] = [];
  for (const rec of CORPORA[corpus]()) {
    const want = rec.expected.event === event;
    const got = p.parse(rec.line).fields.event === event;
    if (want && got) c.tp++;
    else if (want || got) {
      if (got) c.fp++;
      if (want) c.fn++;
      misses.push(rec.id);
    }
  }
  return { ...score(c), misses };
}

/** Per-field F1 floors: regression guards, below the current scores. */
const FIELD_FLOORS: Readonly<Record<string, number>> = {
  level: 0.97,
  timestamp: 0.97,
  event: 0.95,
  message: 0.95,
  logger: 0.95,
  host: 0.95,
  pid: 0.95,
  gpu: 0.95,
  rank: 0.95,
  xid: 0.97,
  pci_bus: 0.97,
  uptime_s: 0.95,
  oom_requested_bytes: 0.95,
  epoch: 0.9,
  epochs_total: 0.9,
  step: 0.9,
  steps_total: 0.9,
  loss: 0.9,
  eval_loss: 0.9,
  accuracy: 0.9,
  learning_rate: 0.9,
  grad_norm: 0.9,
  throughput: 0.9,
  throughput_unit: 0.9,
  step_time_s: 0.9,
};

for (const engine of ['re2', 'grok', 'js'] as const) {
  test(`${engine}: micro-F1 on training-logs.jsonl is at least 0.97`, async () => {
    const report = await reportFor(engine);
    assert.ok(report.micro.f1 >= 0.97, `micro F1 ${report.micro.f1.toFixed(4)} < 0.97; first mismatches: ${JSON.stringify(report.mismatches.slice(0, 5))}`);
  });

  for (const [field, floor] of Object.entries(FIELD_FLOORS)) {
    test(`${engine}: field ${field} keeps F1 >= ${floor}`, async () => {
      const report = await reportFor(engine);
      const s = report.byField[field];
      assert.ok(s, `no record carries or yields field ${field}`);
      const misses = report.mismatches.filter((m) => m.field === field).slice(0, 3);
      assert.ok(s.f1 >= floor, `${field}: F1 ${s.f1.toFixed(4)} < ${floor}; e.g. ${JSON.stringify(misses)}`);
    });
  }

  test(`${engine}: every framework keeps F1 >= 0.9`, async () => {
    const report = await reportFor(engine);
    const weak = Object.entries(report.byFramework).filter(([, s]) => s.f1 < 0.9);
    assert.deepEqual(weak, [], `frameworks below 0.9: ${weak.map(([k, s]) => `${k}=${s.f1.toFixed(3)}`).join(', ')}`);
  });
}

test('both engines extract identical fields from every corpus line', async () => {
  const g = await parserFor('grok');
  const r = await parserFor('re2');
  const differing = trainingLogs()
    .filter((rec) => JSON.stringify(g.parse(rec.line).fields) !== JSON.stringify(r.parse(rec.line).fields))
    .map((rec) => rec.id);
  assert.deepEqual(differing, [], `grok and re2 disagree on: ${differing.join(', ')}`);
});

/**
 * Per-field F1 floors on training-quality.jsonl for the fields it adds: regression guards below
 * the measured scores (all 1.000 except throughput/throughput_unit at 0.970: fairseq's JSON `ups`
 * has no unit the JSON mapping could give).
 */
const QUALITY_FIELD_FLOORS: Readonly<Record<string, number>> = {
  loss: 0.95,
  grad_norm: 0.9,
  learning_rate: 0.95,
  throughput: 0.9,
  throughput_unit: 0.9,
  step_time_s: 0.9,
  step: 0.95,
  steps_total: 0.95,
  eval_loss: 0.9,
  event: 0.95,
};

for (const engine of ['re2', 'grok', 'js'] as const) {
  test(`${engine}: micro-F1 on training-quality.jsonl is at least 0.97`, async () => {
    const report = await reportFor(engine, 'training-quality');
    assert.ok(report.micro.f1 >= 0.97, `micro F1 ${report.micro.f1.toFixed(4)} < 0.97; first mismatches: ${JSON.stringify(report.mismatches.slice(0, 5))}`);
  });

  for (const [field, floor] of Object.entries(QUALITY_FIELD_FLOORS)) {
    test(`${engine}: training-quality field ${field} keeps F1 >= ${floor}`, async () => {
      const report = await reportFor(engine, 'training-quality');
      const s = report.byField[field];
      assert.ok(s, `no record carries or yields field ${field}`);
      const misses = report.mismatches.filter((m) => m.field === field).slice(0, 3);
      assert.ok(s.f1 >= floor, `${field}: F1 ${s.f1.toFixed(4)} < ${floor}; e.g. ${JSON.stringify(misses)}`);
    });
  }

  test(`${engine}: event nan_loss keeps F1 >= 0.95 on training-quality.jsonl and 0.95 on training-logs.jsonl`, async () => {
    for (const corpus of ['training-quality', 'training-logs'] as const) {
      const s = await eventScores(engine, corpus, 'nan_loss');
      assert.ok(s.tp > 0, `${corpus}: no nan_loss line recognised`);
      assert.ok(s.f1 >= 0.95, `${corpus}: nan_loss F1 ${s.f1.toFixed(4)} < 0.95; wrong on ${s.misses.join(', ')}`);
    }
  });
}

test('the engines extract identical fields from every training-quality line', async () => {
  const parsers = await Promise.all((['grok', 're2', 'js'] as const).map((e) => parserFor(e)));
  const differing = trainingQuality()
    .filter((rec) => new Set(parsers.map((p) => JSON.stringify(p.parse(rec.line).fields))).size !== 1)
    .map((rec) => rec.id);
  assert.deepEqual(differing, [], `engines disagree on: ${differing.join(', ')}`);
});
