/** Parsing accuracy on the real-log corpus, with both engine families. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, type EvaluationReport } from '../../constructs/mllogs/evaluate';
import { parserFor, trainingLogs } from './helpers';

const reports = new Map<string, EvaluationReport>();
async function reportFor(engine: 'grok' | 're2'): Promise<EvaluationReport> {
  let r = reports.get(engine);
  if (!r) {
    const p = await parserFor(engine);
    r = evaluate(trainingLogs(), (line) => p.parse(line).fields as Record<string, unknown>);
    reports.set(engine, r);
  }
  return r;
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

for (const engine of ['re2', 'grok'] as const) {
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
