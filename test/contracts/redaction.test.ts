/**
 * Redaction (contracts/redaction.ts) run as the engines run it: the generated Alloy stages by the
 * Alloy executor (stage.replace semantics, RE2), Promtail's replace stages on RE2, and the
 * generated Logstash filter's gsubs on Oniguruma with Ruby's gsub semantics. Planted secrets of
 * every kind come out as their markers and identical on all three; the whole corpus comes out
 * unchanged; every rule stays linear on a backtracking engine; an environment's patterns are
 * refused when one engine could not run them alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderAlloyConfig } from '../../constructs/loki';
import { renderPromtailConfig } from '../../constructs/loki/promtail.render';
import YAML from 'yaml';
import { renderRedactionFilter } from '../../constructs/elastic/logstash.render';
import { patternProblem, redactionMarker, redactionPatternsProblems, redactionRules, REDACTION_RULES, replaceExpression, type RedactionPattern } from '../../constructs/contracts/redaction';
import { loadOnig, type OnigModule } from '../../constructs/mllogs/regex-engine';
import { ConfigError, parseEnvironment } from '../../config';
import { loadAlloyPipeline, replaceGroups, selectorData } from '../helpers/alloy-executor';
import { multilineGroups, trainingLogs, trainingQuality } from '../mllogs/helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RE2 = require('re2') as new (p: string, f?: string) => { lastIndex: number; exec(s: string): (RegExpExecArray & { indices: ([number, number] | undefined)[] }) | null };

const COMMON = { namespace: 'mlobs', agentsNamespace: 'mlobs-agents', clusterName: 't', environment: 't', labels: {}, monitorSelector: {} };
const LOKI = { url: 'http://loki-gateway.mlobs.svc:80', pushUrl: 'http://loki-gateway.mlobs.svc:80/loki/api/v1/push', tls: false };
const POD = { namespace: 'team-a', pod: 'train-0', container: 'trainer', app: 'trainer' };

/** An environment's own pattern, run after the built-in rules in every test below. */
const EXTRA: readonly RedactionPattern[] = [{ kind: 'internal-key', pattern: 'ik_[0-9a-f]{24}', literals: ['ik_'] }];

interface Planted {
  readonly line: string;
  /** Kinds whose markers the line must carry after redaction. */
  readonly kinds: readonly string[];
  /** Secrets that must be gone. */
  readonly secrets: readonly string[];
  /** Context that must stay. */
  readonly keep: readonly string[];
}

const HF = 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
const AKIA = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const GHP = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
const SLACK = 'xoxb-1234567890-abcdefghijklmnop';
const OPENAI = 'sk-proj-abcdefghijklmnopqrstuvwxyz012345';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
const SIG = '3a9f0c1d2e4b5a6978c0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6';

const PLANTED: readonly Planted[] = [
  { line: `[INFO] huggingface_hub: logged in with token ${HF} (write)`, kinds: ['hf-token'], secrets: [HF], keep: ['huggingface_hub: logged in with token', '(write)'] },
  { line: `export HF_TOKEN=${HF}`, kinds: ['hf-token'], secrets: [HF], keep: ['export HF_TOKEN='] },
  { line: `Found credentials in environment variables. AWS_ACCESS_KEY_ID=${AKIA}`, kinds: ['aws-access-key'], secrets: [AKIA], keep: ['AWS_ACCESS_KEY_ID='] },
  { line: `aws_secret_access_key = ${AWS_SECRET}`, kinds: ['aws-secret-key'], secrets: [AWS_SECRET], keep: ['aws_secret_access_key = '] },
  { line: `{"AccessKeyId": "${AKIA}", "SecretAccessKey": "${AWS_SECRET}"}`, kinds: ['aws-access-key', 'aws-secret-key'], secrets: [AKIA, AWS_SECRET], keep: ['"SecretAccessKey": "'] },
  { line: `cloning with GITHUB_TOKEN=${GHP} into /workspace/repo`, kinds: ['github-token'], secrets: [GHP], keep: ['into /workspace/repo'] },
  { line: `slack notifier: using ${SLACK} for #training-alerts`, kinds: ['slack-token'], secrets: [SLACK], keep: ['#training-alerts'] },
  { line: `openai.api_key = "${OPENAI}"`, kinds: ['openai-key'], secrets: [OPENAI], keep: ['openai.api_key = "'] },
  { line: `wandb: Using token ${JWT} for run abc123`, kinds: ['jwt'], secrets: [JWT], keep: ['for run abc123'] },
  { line: `DEBUG headers={'Authorization': 'Token 0123456789abcdef0123', 'Accept': 'application/json'}`, kinds: ['authorization'], secrets: ['0123456789abcdef0123'], keep: ["'Accept': 'application/json'"] },
  { line: 'send: GET /v1/models Authorization: Bearer ya29.a0AfH6SMBx3jKl-secretvalue', kinds: ['authorization'], secrets: ['ya29.a0AfH6SMBx3jKl-secretvalue'], keep: ['GET /v1/models'] },
  { line: 'requests: retrying with bearer ya29.a0AfH6SMBx3jKl-secretvalue2 after 401', kinds: ['bearer'], secrets: ['ya29.a0AfH6SMBx3jKl-secretvalue2'], keep: ['after 401'] },
  { line: 'mlflow: tracking URI postgresql://mlflow:S3cr3tP4ss@db.internal:5432/mlflow', kinds: ['url-password'], secrets: ['S3cr3tP4ss'], keep: ['postgresql://mlflow:', '@db.internal:5432/mlflow'] },
  {
    line: `Downloading https://bucket.s3.amazonaws.com/ckpt/step-1000.pt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240101T000000Z&X-Amz-Signature=${SIG} to /tmp`,
    kinds: ['url-signature'],
    secrets: [SIG],
    keep: ['X-Amz-Algorithm=AWS4-HMAC-SHA256', ' to /tmp'],
  },
  { line: 'connecting with db_password=hunter2hunter2 to postgres', kinds: ['password'], secrets: ['hunter2hunter2'], keep: ['db_password=', 'to postgres'] },
  { line: '{"user": "svc", "password": "c0rrect-h0rse", "epoch": 3}', kinds: ['password'], secrets: ['c0rrect-h0rse'], keep: ['"epoch": 3'] },
  { line: 'env WANDB_API_KEY=0123456789abcdef0123456789abcdef01234567', kinds: ['password'], secrets: ['0123456789abcdef0123456789abcdef01234567'], keep: ['WANDB_API_KEY='] },
  { line: 'client_secret: "zxcvbnmasdfg" refreshed', kinds: ['password'], secrets: ['zxcvbnmasdfg'], keep: ['refreshed'] },
  { line: 'internal service key ik_0123456789abcdef01234567 accepted', kinds: ['internal-key'], secrets: ['ik_0123456789abcdef01234567'], keep: ['accepted'] },
];

// ---------------------------------------------------------------- the three executions

const alloy = loadAlloyPipeline(renderAlloyConfig({ common: COMMON, loki: LOKI, redaction: EXTRA }));

interface PromtailStage {
  readonly match?: { readonly selector: string; readonly stages: readonly PromtailStage[] };
  readonly replace?: { readonly expression: string; readonly replace: string };
  readonly static_labels?: Readonly<Record<string, string>>;
}

/**
 * Promtail's redaction stages read back from the chart values (their gates by literal: `|= "x"`,
 * or the `!=` literals of the skip stage naming the gate's id; then replace.go's semantics on RE2).
 */
function promtailRedactor(): (line: string) => string {
  const config = YAML.parse(renderPromtailConfig({ common: COMMON, loki: LOKI, redaction: EXTRA })) as { scrape_configs: { pipeline_stages: PromtailStage[] }[] };
  const all = config.scrape_configs[0]!.pipeline_stages;
  const skips = new Map<string, string[]>();
  for (const s of all) {
    const id = s.match?.stages[0]?.static_labels?.['mlobs_skip'];
    if (id !== undefined) skips.set(id, literalsOf(s.match!.selector));
  }
  const stages = all.filter((s) => (s.match?.stages[0] ?? s).replace?.replace.startsWith('<redacted:'));
  assert.equal(stages.length, REDACTION_RULES.length + EXTRA.length, 'one Promtail stage per rule');
  const run = stages.map((s) => {
    const r = (s.match?.stages[0] ?? s).replace!;
    const skipId = s.match ? /^\{mlobs_skip!="(\w+)"\}$/.exec(s.match.selector)?.[1] : undefined;
    const literals = s.match ? (skipId !== undefined ? skips.get(skipId) : literalsOf(s.match.selector)) : undefined;
    assert.ok(!s.match || (literals && literals.length > 0), `literals of ${s.match?.selector}`);
    return { literals, re: new RE2(r.expression, 'gud'), replace: r.replace };
  });
  return (line) => {
    let out = line;
    for (const s of run) if (!s.literals || s.literals.some((l) => out.includes(l))) out = replaceGroups(s.re, out, s.replace);
    return out;
  };
}

/** The literals of a generated gate selector (`|= "x"`) or of a skip stage's (`!= "a" != "b"`). */
function literalsOf(selector: string): string[] {
  const { filters } = selectorData(selector);
  assert.ok(filters.length > 0 && filters.every((f) => f.op === '|=' || f.op === '!='), `a gate selector: ${selector}`);
  return filters.map((f) => f.text);
}

interface LogstashGsub {
  readonly literals?: readonly string[];
  readonly pattern: string;
  readonly replacement: string;
}

/** The generated Logstash redaction filter read back: gates, gsub regex (Oniguruma source) and replacement. */
function logstashGsubs(text: string): LogstashGsub[] {
  const out: LogstashGsub[] = [];
  const re = /^(?:if (.*) \{\n\s*)?mutate \{ id => "mlobs_redact_[\w-]+" gsub => \["message", "((?:[^"\\]|\\.)*)", "((?:[^"\\]|\\.)*)"\] \}$/gm;
  for (const m of text.matchAll(re)) {
    const literals = m[1] ? [...m[1].matchAll(/"([^"]*)" in \[message\]/g)].map((l) => l[1]!) : undefined;
    out.push({ ...(literals ? { literals } : {}), pattern: m[2]!, replacement: m[3]! });
  }
  return out;
}

/** Ruby's String#gsub with a replacement string: `\1`, `\2` are groups; matches left to right, an empty match advances by one. */
function onigGsub(onig: OnigModule, scanner: InstanceType<OnigModule['OnigScanner']>, input: string, replacement: string): string {
  const s = new onig.OnigString(input);
  try {
    let out = '';
    let pos = 0;
    let last = 0;
    while (pos <= input.length) {
      const m = scanner.findNextMatchSync(s, pos);
      if (!m) break;
      const [all, ...groups] = m.captureIndices;
      out += input.slice(last, all!.start) + replacement.replace(/\\(\d)/g, (_, d: string) => {
        const g = groups[Number(d) - 1];
        return g && g.start >= 0 ? input.slice(g.start, g.end) : '';
      });
      last = all!.end;
      pos = all!.end > all!.start ? all!.end : all!.end + 1;
    }
    return out + input.slice(last);
  } finally {
    s.dispose();
  }
}

async function logstashRedactor(): Promise<(line: string) => string> {
  const onig = await loadOnig();
  const gsubs = logstashGsubs(renderRedactionFilter(redactionRules(EXTRA)));
  assert.equal(gsubs.length, REDACTION_RULES.length + EXTRA.length, 'one gsub per rule');
  const run = gsubs.map((g) => ({ ...g, scanner: new onig.OnigScanner([g.pattern]) }));
  return (line) => {
    let out = line;
    for (const g of run) if (!g.literals || g.literals.some((l) => out.includes(l))) out = onigGsub(onig, g.scanner, out, g.replacement);
    return out;
  };
}

// ---------------------------------------------------------------- planted secrets

test('planted secrets of every kind become their markers, the same on Alloy (RE2), Promtail (RE2) and Logstash (Oniguruma)', async () => {
  const promtail = promtailRedactor();
  const logstash = await logstashRedactor();
  const covered = new Set<string>();
  for (const p of PLANTED) {
    const viaAlloy = alloy.run(p.line, POD).line;
    assert.equal(promtail(p.line), viaAlloy, `Promtail and Alloy agree on: ${p.line}`);
    assert.equal(logstash(p.line), viaAlloy, `Logstash and Alloy agree on: ${p.line}`);
    for (const k of p.kinds) {
      assert.ok(viaAlloy.includes(redactionMarker(k)), `${p.line}\n  -> ${viaAlloy}\n  has ${redactionMarker(k)}`);
      covered.add(k);
    }
    for (const s of p.secrets) assert.ok(!viaAlloy.includes(s), `${viaAlloy} still holds ${s}`);
    for (const k of p.keep) assert.ok(viaAlloy.includes(k), `${viaAlloy} keeps ${JSON.stringify(k)}`);
  }
  assert.deepEqual([...covered].sort(), [...REDACTION_RULES.map((r) => r.kind), ...EXTRA.map((e) => e.kind)].sort(), 'every kind is planted');
});

test('every corpus line comes out of the three redactions unchanged (no secret there, no false positive)', async () => {
  const promtail = promtailRedactor();
  const logstash = await logstashRedactor();
  const lines = [...trainingLogs(), ...trainingQuality()].map((r) => r.line).concat(multilineGroups().flatMap((g) => g.lines));
  assert.ok(lines.length > 500, `the corpus is read (${lines.length} lines)`);
  const changed = lines.flatMap((l) => {
    const outs = [alloy.run(l, POD).line, promtail(l), logstash(l)];
    return outs.some((o) => o !== l) ? [`${l}\n  -> ${outs.join('\n  -> ')}`] : [];
  });
  assert.deepEqual(changed, []);
});

test('the redaction runs before the catalog in each pipeline, and a secret never reaches the extracted fields', () => {
  const config = renderAlloyConfig({ common: COMMON, loki: LOKI });
  const ml = config.slice(config.indexOf('loki.process "ml"'));
  const redact = ml.indexOf('// redaction');
  assert.ok(redact > ml.indexOf('stage.multiline') && redact < ml.indexOf('stage.regex'), 'Alloy: after multiline, before the first regex');
  const run = alloy.run(`[2024-05-10 11:33:19,738] [INFO] token=${HF} loss=0.5`, POD);
  for (const v of run.extracted.values()) assert.ok(!v.includes(HF), `extracted value ${v} holds the secret`);
});

// ---------------------------------------------------------------- ReDoS

test('every rule (built-in and the example pattern) stays linear on Oniguruma over adversarial 64 KiB lines', async () => {
  const onig = await loadOnig();
  const SIZE = 64 * 1024;
  const fill = (u: string): string => u.repeat(Math.ceil(SIZE / u.length)).slice(0, SIZE);
  const units = ['a', 'A', '0', ' ', '=', ':', '/', '_', '-', '.', 'password=', 'TOKEN', 'http://a:', 'a://', 'hf_', 'eyJaaaaaaaaa.', 'Authorization: ', 'Bearer ', '&sig=', 'AKIA', 'aws_secret_access_key=', 'sk-'];
  const baseline = new onig.OnigScanner(['^[\\s\\S]*$']);
  const gsubs = logstashGsubs(renderRedactionFilter(redactionRules(EXTRA)));
  const time = (f: () => void, runs: number): number => {
    let best = Infinity;
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      f();
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return best;
  };
  const slow: string[] = [];
  for (const u of units) {
    const line = fill(u);
    const base = time(() => onigGsub(onig, baseline, line, ''), 3);
    const bound = 60 * base + 5;
    for (const g of gsubs) {
      const sc = new onig.OnigScanner([g.pattern]);
      let ms = time(() => onigGsub(onig, sc, line, g.replacement), 2);
      if (ms > bound) ms = Math.min(ms, time(() => onigGsub(onig, sc, line, g.replacement), 5));
      if (ms > bound) slow.push(`${g.pattern} on ${JSON.stringify(u)}: ${ms.toFixed(1)} ms > ${bound.toFixed(1)} ms`);
    }
  }
  assert.deepEqual(slow, []);
});

// ---------------------------------------------------------------- an environment's patterns

test('the built-in secrets pass the check an environment\'s patterns get, and accepted patterns compile on RE2 and Oniguruma', async () => {
  const onig = await loadOnig();
  const accepted = [...REDACTION_RULES.map((r) => r.secret), 'ik_[0-9a-f]{24}', 'corp-[A-Z]{4}-\\d{6}', 'tok\\.[a-z0-9]{32}\\b', '(?:pat|tok)_[A-Za-z0-9]{20,64}'];
  for (const p of accepted) {
    assert.equal(patternProblem(p), undefined, p);
    assert.doesNotThrow(() => new RE2(p, 'u'), `RE2 compiles ${p}`);
    assert.doesNotThrow(() => new onig.OnigScanner([p]), `Oniguruma compiles ${p}`);
  }
  for (const r of REDACTION_RULES) {
    assert.doesNotThrow(() => new RE2(replaceExpression(r), 'u'), `RE2 compiles rule ${r.kind}`);
  }
});

test('patterns one engine would read differently, that match the empty string or backtrack are refused with the reason', () => {
  const refused: readonly [string, RegExp][] = [
    ['(secret)[0-9]+', /capture group/],
    ['(?=x)abc', /not in the common subset/],
    ['(?<name>abc)', /not in the common subset/],
    ['(?i)abc', /not in the common subset/],
    ['(?>abc)', /not in the common subset/],
    ['a(b)\\1', /capture group/],
    ['ab\\1', /backreference/],
    ['\\p{L}+', /not read alike/],
    ['x*', /empty string/],
    ['(?:a|b)?', /empty string/],
    ['(?:a+)+b', /nested repetition/],
    ['(?:ab|cd)*x', /nested repetition/],
    ['a{2000}', /over 1000/],
    ['a++', /possessive/],
    ['[a-z', /unclosed character class/],
    ['abc)', /unbalanced/],
    ['x{', /not a repetition/],
    ['[[:alpha:]]+', /inside a character class/],
    ['\\w+\\w+\\w+x', /backtracks/],
    ['', /empty/],
  ];
  for (const [p, why] of refused) {
    const problem = patternProblem(p);
    assert.ok(problem !== undefined && why.test(problem), `${JSON.stringify(p)}: ${problem ?? 'accepted'} (expected ${why})`);
  }
  const listProblems = redactionPatternsProblems([
    { kind: 'hf-token', pattern: 'x_[0-9]{8}' },
    { kind: 'Bad Kind', pattern: 'y_[0-9]{8}' },
    { kind: 'dup', pattern: 'z_[0-9]{8}' },
    { kind: 'dup', pattern: 'w_[0-9]{8}' },
  ]);
  assert.deepEqual(
    listProblems.map((p) => p.path.join('.')),
    ['0.kind', '1.kind', '3.kind'],
  );
  assert.throws(() => redactionRules([{ kind: 'ok-kind', pattern: 'a*' }], 'alloy: redaction'), /alloy: redaction: 0\.pattern: "a\*": matches the empty string/);
});

test('config: logs.redaction.patterns flows to both pipelines, and a bad one is a ConfigError naming the field', () => {
  const env = parseEnvironment('qa', { grafana: { adminCredentials: { secretName: 'g' } }, logs: { redaction: { patterns: [{ kind: 'corp-key', pattern: 'corp-[A-Z]{4}-\\d{6}', literals: ['corp-'] }] } } });
  assert.deepEqual(env.settings.logs.redaction.patterns, [{ kind: 'corp-key', pattern: 'corp-[A-Z]{4}-\\d{6}', literals: ['corp-'] }]);
  const bad = (pattern: string): string => {
    try {
      parseEnvironment('qa', { grafana: { adminCredentials: { secretName: 'g' } }, logs: { redaction: { patterns: [{ kind: 'corp-key', pattern }] } } });
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.message;
    }
    return assert.fail(`${pattern} accepted`);
  };
  assert.match(bad('(?:a+)+'), /logs\.redaction\.patterns\[0\]\.pattern.*nested repetition/s);
  assert.match(bad('a?'), /logs\.redaction\.patterns\[0\]\.pattern.*empty string/s);
  assert.match(bad('(?<=x)y'), /logs\.redaction\.patterns\[0\]\.pattern.*common subset/s);
});
