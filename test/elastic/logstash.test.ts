/**
 * Logstash: the generated pipeline (golden + targeted assertions), its grok run on the corpus
 * through the catalog's grok engine, the ECK Logstash resource and the beats certificate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ML_LOG_CATALOG, compileLogstashFilter, expandGrok } from '../../constructs/mllogs';
import { FIELD_NAMES, isNumberField } from '../../constructs/mllogs/schema';
import { extractorPrefix, formatPrefix } from '../../constructs/mllogs/naming';
import { DEFAULT_ES_ALIAS, esEnvPrefix } from '../../constructs/elastic';
import { ELASTIC_STACK_VERSION } from '../../constructs/versions';
import type { KubeManifest } from '../../constructs/core/manifest';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { MINIMAL_INPUT, synthEnvironment } from '../helpers/synth';
import { loadEnvironmentFile } from '../metrics/env-files';
import { grokDefinitions, grokEngine, parserFor, trainingLogs } from '../mllogs/helpers';
import { assertElasticGolden } from './golden';
import { renderRedactionFilter } from '../../constructs/elastic/logstash.render';
import { redactionRules } from '../../constructs/contracts/redaction';

const dev = synthEnvironment(loadEnvironmentFile('dev'), 'dev');
const prod = synthEnvironment(loadEnvironmentFile('prod'), 'prod');
const pipelineOf = (r: typeof dev): string => {
  const text = r.stack.observability.elastic?.logstashPipeline;
  assert.ok(text, 'the environment has the Elastic pipeline');
  return text;
};
type LsSpec = {
  version: string;
  count: number;
  elasticsearchRefs: { name: string; clusterName: string }[];
  pipelines: Record<string, string>[];
  services: { name: string; service: { spec: { ports: { port: number }[] } } }[];
  podTemplate: { spec: { containers: { name: string; env?: { name: string; value: string }[]; volumeMounts?: { mountPath: string; readOnly: boolean }[] }[]; volumes?: { name: string; secret?: { secretName: string } }[] } };
};
const logstashOf = (r: typeof dev): KubeManifest & { spec: LsSpec } => {
  const found = r.customResources.filter((o) => o.kind === 'Logstash');
  assert.equal(found.length, 1);
  return found[0] as KubeManifest & { spec: LsSpec };
};

test('the Logstash pipeline matches its golden file (dev and prod)', () => {
  assertElasticGolden('logstash-dev.conf', pipelineOf(dev));
  assertElasticGolden('logstash-prod.conf', pipelineOf(prod));
});

test("the redaction filter, then the catalog's compiled filter, are placed unchanged inside filter { }", () => {
  const text = pipelineOf(dev);
  const catalog = compileLogstashFilter();
  const body = /\nfilter \{\n([\s\S]*?)\n\}\noutput \{/.exec(text)?.[1];
  assert.ok(body, 'one filter block before the output block');
  // dev ships Kubernetes events: the log-line filters are the else branch of the events branch (events.test.ts)
  const lineBranch = body.slice(body.indexOf('\n  } else {\n') + '\n  } else {\n'.length);
  const unindented = lineBranch.split('\n').map((l) => l.replace(/^ {4}/, '')).join('\n');
  const redaction = renderRedactionFilter(redactionRules());
  assert.ok(unindented.startsWith(`${redaction}\n${catalog.replace(/\n$/, '')}`), 'the log-line branch starts with the redaction, then the catalog filter, line for line');
  assert.match(text, /json \{ source => "message" target => "\[@metadata\]\[mlobs_json\]"/, 'JSON lines are decoded by the json filter');
});

test('@timestamp comes from the line\'s own time, after the catalog filter', () => {
  const text = pipelineOf(dev);
  assert.match(text, /if \[ml\]\[timestamp\] \{\n\s+date \{ id => "mlobs_timestamp" match => \["\[ml\]\[timestamp\]", "ISO8601"\] timezone => "UTC"/);
  assert.ok(text.indexOf('mlobs_timestamp') > text.indexOf('# events: first rule found'), 'after the catalog has rewritten the timestamp');
});

test('beats input with TLS from the mounted certificate (collectors hop on)', () => {
  const text = pipelineOf(prod);
  assert.match(text, /beats \{\n\s+id => "mlobs_beats"\n\s+port => 5044\n\s+ssl_enabled => true\n\s+ssl_certificate => "\/usr\/share\/logstash\/config\/beats-tls\/tls.crt"\n\s+ssl_key => "\/usr\/share\/logstash\/config\/beats-tls\/tls.key"/);
});

test('without TLS on the collectors hop the beats input is plain and no certificate is requested', () => {
  const r = synthEnvironment({ ...MINIMAL_INPUT, logs: { pipelines: ['elastic'] }, tls: { enabled: true, issuer: { kind: 'selfSigned' }, hops: { collectors: false } } });
  assert.match(pipelineOf(r), /port => 5044\n\s+ssl_enabled => false\n/);
  assert.equal(r.customResources.filter((o) => o.kind === 'Certificate' && o.metadata.name.includes('-ls-')).length, 0);
  assert.equal(logstashOf(r).spec.podTemplate.spec.volumes?.find((v) => v.name === 'beats-tls'), undefined);
});

test('output: the environment data stream through the ECK association, no password in the text', () => {
  for (const [r, ns] of [[dev, 'dev'], [prod, 'prod']] as const) {
    const text = pipelineOf(r);
    assert.match(text, new RegExp(`data_stream_dataset => "ml"\\n\\s+data_stream_namespace => "${ns}"`));
    assert.equal(r.stack.observability.elastic?.dataStream, `logs-ml-${ns}`);
    const env = esEnvPrefix(DEFAULT_ES_ALIAS);
    assert.match(text, new RegExp(`password => "\\$\\{${env}_ES_PASSWORD\\}"`), 'the password is ECK\'s environment variable');
    assert.match(text, new RegExp(`hosts => \\["\\$\\{${env}_ES_HOSTS\\}"\\]`));
    // every user/password value is a ${VAR} reference
    for (const m of text.matchAll(/(?:user|password) => "([^"]*)"/g)) assert.match(m[1] ?? '', /^\$\{[A-Z_]+\}$/);
  }
});

test('the Logstash resource: pinned version, ECK association, pipeline, beats service, heap, read-only TLS mount; valid against its CRD', () => {
  for (const r of [dev, prod]) {
    const ls = logstashOf(r);
    assertValidCustomResource(ls);
    assert.equal(ls.spec.version, ELASTIC_STACK_VERSION);
    assert.deepEqual(ls.spec.elasticsearchRefs, [{ name: 'mlobs', clusterName: DEFAULT_ES_ALIAS }]);
    assert.equal(ls.spec.pipelines[0]?.['config.string'], pipelineOf(r));
    assert.deepEqual(ls.spec.services.map((s) => `${s.name}:${s.service.spec.ports.map((p) => p.port).join(',')}`), ['beats:5044']);
    const c = ls.spec.podTemplate.spec.containers.find((x) => x.name === 'logstash');
    assert.deepEqual(c?.volumeMounts, [{ name: 'beats-tls', mountPath: '/usr/share/logstash/config/beats-tls', readOnly: true }]);
    assert.deepEqual(ls.spec.podTemplate.spec.volumes?.find((v) => v.name === 'beats-tls')?.secret?.secretName, 'mlobs-ls-beats-tls');
  }
  assert.deepEqual(logstashOf(prod).spec.count, 2);
  assert.deepEqual(logstashOf(dev).spec.count, 1);
});

test('the beats certificate names the Logstash service, has a PKCS#8 key, and comes from the in-cluster issuer', () => {
  for (const [r, issuer] of [[dev, 'Issuer'], [prod, 'Issuer']] as const) {
    const cert = r.customResources.find((o) => o.kind === 'Certificate' && o.metadata.name === 'mlobs-ls-beats-tls');
    assert.ok(cert, 'a Certificate for the beats input');
    const spec = cert.spec as { dnsNames: string[]; privateKey: { encoding: string }; issuerRef: { kind: string; name: string } };
    assert.deepEqual(spec.dnsNames, ['mlobs-ls-beats', 'mlobs-ls-beats.mlobs', 'mlobs-ls-beats.mlobs.svc']);
    assert.equal(spec.privateKey.encoding, 'PKCS8', 'the beats input reads only PKCS#8 keys');
    assert.equal(spec.issuerRef.kind, issuer);
  }
  const prodCert = prod.customResources.find((o) => o.metadata.name === 'mlobs-ls-beats-tls');
  assert.notEqual((prodCert?.spec as { issuerRef: { name: string } }).issuerRef.name, prod.stack.observability.tls?.issuerRef.name, 'prod: ACME cannot sign svc names; the private CA does');
});

// ---- the grok of the generated pipeline, on the corpus, through the catalog's grok engine

interface PipelineGrok {
  readonly id: string;
  readonly grok: string;
  /** capture name -> destination field, from the pipeline's rename statements */
  readonly renames: ReadonlyMap<string, string>;
}

/** Reads every `grok { id => "mlobs_<id>" match => { "message" => "<grok>" } }` and the renames of its captures from the pipeline text. */
function pipelineGroks(text: string): PipelineGrok[] {
  const renames = new Map<string, string>();
  for (const m of text.matchAll(/"(\w+__\w+)" => "(\[[^"]+\])"/g)) renames.set(m[1] ?? '', m[2] ?? '');
  const out: PipelineGrok[] = [];
  for (const m of text.matchAll(/grok \{\n\s*id => "mlobs_(\w+)"\n\s*match => \{ "message" => "(.*)" \}\n/g)) {
    const id = m[1] ?? '';
    const prefix = `${id}__`;
    out.push({ id, grok: m[2] ?? '', renames: new Map([...renames].filter(([k]) => k.startsWith(prefix))) });
  }
  return out;
}

test("the pipeline's grok, run on the corpus through the catalog's grok engine, gives the catalog's fields", async () => {
  const text = pipelineOf(dev);
  const groks = pipelineGroks(text);
  const ids = [...ML_LOG_CATALOG.formats.map((f) => f.id), ...ML_LOG_CATALOG.extractors.map((x) => `x_${x.id}`)];
  assert.deepEqual(groks.map((g) => g.id), ids, 'one grok per catalog format and extractor, in catalog order');
  const prefixes = new Map([...ML_LOG_CATALOG.formats.map((f) => [f.id, formatPrefix(f)] as const), ...ML_LOG_CATALOG.extractors.map((x) => [`x_${x.id}`, extractorPrefix(x)] as const)]);
  // every rename puts a capture under [ml][<catalog field>] or in @metadata for the normalizations
  for (const g of groks) {
    for (const [, dest] of g.renames) {
      const field = /^\[ml\]\[(\w+)\]$/.exec(dest)?.[1];
      assert.ok(field ? (FIELD_NAMES as readonly string[]).includes(field) : dest.startsWith('[@metadata][mlobs_raw]['), `${g.id}: ${dest}`);
    }
  }
  const engine = await grokEngine();
  const defs = grokDefinitions();
  const compiled = groks.map((g) => ({ ...g, prefix: prefixes.get(g.id) ?? '', isFormat: !g.id.startsWith('x_'), re: engine.compilePlain(expandGrok(g.grok, defs)) }));
  const parser = await parserFor('grok');
  let lines = 0;
  let fields = 0;
  for (const rec of trainingLogs()) {
    if (/^\{\s*"/.test(rec.line)) continue; // JSON lines go through the json filter
    const expected = parser.parse(rec.line);
    const got = new Map<string, string>();
    const input = engine.prepare(rec.line);
    let format: string | undefined;
    try {
      for (const c of compiled) {
        if (c.isFormat && format) continue;
        const m = c.re.exec(input);
        if (!m) continue;
        if (c.isFormat) format = c.id;
        c.re.names.forEach((name, i) => {
          const v = m.groups[i + 1];
          const field = name ? /^\[ml\]\[(\w+)\]$/.exec(c.renames.get(name) ?? '')?.[1] : undefined;
          if (field && v !== undefined && v !== '' && !got.has(field)) got.set(field, v);
        });
      }
    } finally {
      input.dispose();
    }
    assert.equal(format, expected.formatId, `${rec.id}: the pipeline's grok and the catalog engine pick different formats`);
    lines += format ? 1 : 0;
    for (const [field, raw] of got) {
      if (field === 'level' || field === 'timestamp' || field === 'json_payload') continue; // normalized after grok
      const want = (expected.fields as Record<string, unknown>)[field];
      if (isNumberField(field)) assert.equal(Number(raw), want, `${rec.id}: ${field}`);
      else assert.equal(raw, want, `${rec.id}: ${field}`);
      fields++;
    }
  }
  assert.ok(lines >= 150, `the pipeline's formats recognise ${lines} corpus lines`);
  assert.ok(fields >= 300, `${fields} field values from the pipeline's grok equal the catalog's`);
  console.log(`pipeline grok on the corpus: ${lines} lines recognised, ${fields} field values equal to the catalog engine`);
});
