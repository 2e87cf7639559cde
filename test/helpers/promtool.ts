/**
 * promtool 3.14 (the chart's Prometheus, built by scripts/build-engines.sh) on our rule groups: `check rules` and `test rules`
 * with typed unit tests. Files go to a temp directory; every run is bounded in time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { toPrometheusGroup, type RuleGroup } from '../../constructs/core/prometheus-rule';
import { requireTool, runTool } from '../metrics/tools';

export interface SeriesInput {
  /** e.g. `DCGM_FI_DEV_XID_ERRORS{gpu="0",Hostname="n1"}` */
  readonly series: string;
  /** promtool expanding notation, e.g. `0 0 79x10` or `1+1x30`. */
  readonly values: string;
}

export interface AlertExpectation {
  /** Time since the start of the test, e.g. `15m`. */
  readonly evalTime: string;
  readonly alertname: string;
  /** The alerts expected at that time: empty means "must not fire". */
  /** promtool compares annotations exactly: give them all (rendered) for a firing alert. */
  readonly expAlerts: readonly { readonly expLabels: Readonly<Record<string, string>>; readonly expAnnotations?: Readonly<Record<string, string>> }[];
}

export interface RuleTest {
  /** Name used in failure messages. */
  readonly name: string;
  /** @default '1m' */
  readonly interval?: string;
  readonly inputSeries: readonly SeriesInput[];
  readonly alertRuleTests: readonly AlertExpectation[];
  /** External labels as the stack sets them (cluster, environment). @default none */
  readonly externalLabels?: Readonly<Record<string, string>>;
}

function tmpWrite(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-promtool-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** `promtool check rules` on the groups; throws with promtool's output on failure. */
export function promtoolCheckRules(groups: readonly RuleGroup[]): string {
  const promtool = requireTool('promtool');
  const dir = tmpWrite({ 'rules.yaml': stringify({ groups: groups.map(toPrometheusGroup) }) });
  try {
    const r = runTool(promtool, ['check', 'rules', path.join(dir, 'rules.yaml')]);
    if (r.status !== 0) throw new Error(`promtool check rules failed:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `promtool test rules` with the given tests against the groups; throws with its output on failure. */
export function promtoolTestRules(groups: readonly RuleGroup[], tests: readonly RuleTest[]): string {
  const promtool = requireTool('promtool');
  const testFile = {
    rule_files: ['rules.yaml'],
    evaluation_interval: '1m',
    tests: tests.map((t) => ({
      name: t.name,
      interval: t.interval ?? '1m',
      ...(t.externalLabels ? { external_labels: { ...t.externalLabels } } : {}),
      input_series: t.inputSeries.map((s) => ({ series: s.series, values: s.values })),
      alert_rule_test: t.alertRuleTests.map((a) => ({
        eval_time: a.evalTime,
        alertname: a.alertname,
        exp_alerts: a.expAlerts.map((e) => ({ exp_labels: { ...e.expLabels }, ...(e.expAnnotations ? { exp_annotations: { ...e.expAnnotations } } : {}) })),
      })),
    })),
  };
  const dir = tmpWrite({ 'rules.yaml': stringify({ groups: groups.map(toPrometheusGroup) }), 'tests.yaml': stringify(testFile) });
  try {
    const r = runTool(promtool, ['test', 'rules', path.join(dir, 'tests.yaml')], 60_000);
    if (r.status !== 0) throw new Error(`promtool test rules failed:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
