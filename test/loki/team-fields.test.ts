/**
 * Team JSON fields (issue 16 item 7): top-level keys of JSON lines, queryable on both pipelines:
 * Loki structured metadata (never labels), Elasticsearch `team.<name>` with the declared type.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { DEFAULT_JSON_FIELDS, MAX_JSON_FIELDS } from '../../constructs/contracts/json-fields';
import { renderAlloyConfig } from '../../constructs/loki/alloy.render';
import { renderPromtailConfig } from '../../constructs/loki/promtail.render';
import { LOKI_LABEL_ALLOWLIST } from '../../constructs/loki/labels';
import { renderTeamFieldsFilter } from '../../constructs/elastic/logstash.render';
import { renderIndexTemplate } from '../../constructs/elastic/ilm.render';
import { mappedFields } from '../../constructs/elastic/kibana-objects.render';
import { commonConfig } from '../../constructs/core/common';
import { lokiEndpointFor } from '../../constructs/loki/endpoint';
import { parseEnvironment } from '../../config/load';
import { ConfigError } from '../../config';
import { parseRiver } from '../helpers/alloy-executor';
import { MINIMAL_INPUT, synthEnvironment } from '../helpers/synth';

const common = commonConfig({ environment: 't' });
const loki = lokiEndpointFor({ namespace: 'mlobs', environment: 't', authEnabled: true, tls: false });
const DEFAULT_NAMES = Object.keys(DEFAULT_JSON_FIELDS);

test('the defaults cover the fields teams log most', () => {
  assert.deepEqual(DEFAULT_NAMES, ['job_id', 'service', 'version', 'model', 'dataset', 'precision', 'gpu_id', 'node_ip', 'error_type', 'gpu_memory']);
  assert.equal(DEFAULT_JSON_FIELDS['gpu_memory'], 'double');
  assert.deepEqual(parseEnvironment('x', MINIMAL_INPUT).settings.logs.jsonFields, DEFAULT_JSON_FIELDS);
});

test('Alloy and Promtail decode them from JSON lines behind a gate and keep them as structured metadata, never labels', () => {
  const text = renderAlloyConfig({ common, loki });
  assert.ok(parseRiver(text).length > 5, 'the config still parses');
  const team = /\/\/ team JSON fields[^\n]*\n {2}stage\.match \{\n {4}selector = "\{mlobs_gate=\\"\\"\} \|= \\"\{\\""\n {4}stage\.json \{\n {6}expressions = \{\n((?: {8}\w+ = "\w+",\n)+)/.exec(text);
  assert.ok(team, 'a gated stage.json for the team fields');
  assert.deepEqual([...(team[1] ?? '').matchAll(/(\w+) = "(\w+)"/g)].map((m) => [m[1], m[2]]), DEFAULT_NAMES.map((n) => [n, n]));
  const sm = /stage\.structured_metadata \{\n\s+values = \{\n([\s\S]*?)\n\s+\}/.exec(text)?.[1] ?? '';
  for (const n of DEFAULT_NAMES) assert.match(sm, new RegExp(`\\b${n} = ""`), n);
  for (const n of DEFAULT_NAMES) assert.ok(!(LOKI_LABEL_ALLOWLIST as readonly string[]).includes(n), `${n} is not a label`);
  // A team's own set replaces the defaults; an empty set adds nothing.
  const own = renderAlloyConfig({ common, loki, jsonFields: { run_id: 'keyword' } });
  assert.match(own, /run_id = "run_id",/);
  assert.doesNotMatch(own, /job_id = "job_id"/);
  assert.doesNotMatch(renderAlloyConfig({ common, loki, jsonFields: {} }), /team JSON fields/);
  const promtail = parse(renderPromtailConfig({ common, loki })) as { scrape_configs: { pipeline_stages: Record<string, unknown>[] }[] };
  const stages = promtail.scrape_configs[0]?.pipeline_stages ?? [];
  const gate = stages.find((s) => (s['match'] as { stages?: { json?: { expressions?: Record<string, string> } }[] } | undefined)?.stages?.some((x) => x.json?.expressions?.['job_id'])) as { match: { selector: string; stages: { json: { expressions: Record<string, string> } }[] } } | undefined;
  assert.equal(gate?.match.selector, '{mlobs_gate=""} |= "{"');
  assert.deepEqual(Object.keys(gate?.match.stages[0]?.json.expressions ?? {}), DEFAULT_NAMES);
  const meta = stages.find((s) => s['structured_metadata']) as { structured_metadata: Record<string, string> };
  for (const n of DEFAULT_NAMES) assert.ok(n in meta.structured_metadata, n);
});

test('Elasticsearch maps them under team with their types; Logstash copies scalars only', () => {
  const fields = mappedFields(renderIndexTemplate({ dataset: 'ml', policyName: 'p', replicas: 0, totalFieldsLimit: 1000, jsonFields: DEFAULT_JSON_FIELDS }));
  assert.equal(fields['team.job_id'], 'keyword');
  assert.equal(fields['team.gpu_memory'], 'double');
  const filter = renderTeamFieldsFilter({ job_id: 'keyword', step_ms: 'long' });
  assert.match(filter, /if \[@metadata\]\[mlobs_json\] \{/);
  assert.match(filter, /\["job_id","step_ms"\]\.each \{ \|n\| v = event\.get\("\[@metadata\]\[mlobs_json\]\[#\{n\}\]"\); event\.set\("\[team\]\[#\{n\}\]", v\) unless v\.nil\? \|\| v\.is_a\?\(Hash\) \|\| v\.is_a\?\(Array\) \}/);
  assert.equal(renderTeamFieldsFilter({}), '');
  // The stack wires the same set into the template and the pipeline.
  const r = synthEnvironment({ ...MINIMAL_INPUT, logs: { pipelines: ['elastic'], jsonFields: { run_id: 'keyword', tokens: 'long' } } });
  const e = r.stack.observability.elastic;
  assert.ok(e);
  const mapped = mappedFields(e.indexTemplate);
  assert.equal(mapped['team.run_id'], 'keyword');
  assert.equal(mapped['team.tokens'], 'long');
  assert.equal(mapped['team.job_id'], undefined, 'only the configured set');
  assert.match(e.logstashPipeline, /\["run_id","tokens"\]\.each/);
});

test('bad fields are config errors naming the field: a bad name, a catalog field, a type, too many', () => {
  const bad = (jsonFields: unknown, re: RegExp) =>
    assert.throws(() => parseEnvironment('x', { ...MINIMAL_INPUT, logs: { jsonFields } } as never), (e: unknown) => e instanceof ConfigError && re.test(e.message), JSON.stringify(jsonFields));
  bad({ 'Job-ID': 'keyword' }, /logs\.jsonFields\.Job-ID.*is not a field name/);
  bad({ loss: 'double' }, /logs\.jsonFields\.loss.*is a field of the ML log catalog/);
  bad({ run: 'text' }, /logs\.jsonFields\.run.*keyword.*long.*double.*boolean.*date/s);
  bad(Object.fromEntries(Array.from({ length: MAX_JSON_FIELDS + 1 }, (_, i) => [`f${i}`, 'keyword'])), /at most 32/);
});
