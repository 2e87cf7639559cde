import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  KIBANA_OBJECTS_FILE,
  kqlFields,
  mappedFields,
  renderIndexTemplate,
  renderKibanaObjects,
  renderSetupFiles,
  type ElasticPipeline,
} from '../../constructs/elastic';
import type { KubeManifest } from '../../constructs/core/manifest';
import { synthEnvironment } from '../helpers/synth';
import { loadEnvironmentFile } from '../metrics/env-files';
import { assertElasticGolden } from './golden';

const dev = synthEnvironment(loadEnvironmentFile('dev'), 'dev');
const prod = synthEnvironment(loadEnvironmentFile('prod'), 'prod');
const elasticOf = (r: typeof dev): ElasticPipeline => {
  const e = r.stack.observability.elastic;
  assert.ok(e, 'the environment has the Elastic pipeline');
  return e;
};

interface Ref { type: string; id: string; name: string }
interface Obj { type: string; id: string; attributes: Record<string, unknown>; references: Ref[] }
interface Panel {
  type: string;
  panelIndex: string;
  panelRefName?: string;
  embeddableConfig: { attributes?: { references: Ref[]; state: { query: { query: string; language: string }; datasourceStates: { formBased: { layers: Record<string, { columns: Record<string, { sourceField: string; operationType: string }> }> } } } } };
}

/** Parses the ndjson line by line, as the import API does. */
function parseNdjson(text: string): Obj[] {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      assert.ok(line.trim().length > 0, `line ${i + 1} is empty`);
      const o = JSON.parse(line) as Obj;
      for (const k of ['type', 'id', 'attributes', 'references'] as const) assert.ok(k in o, `line ${i + 1} has ${k}`);
      return o;
    });
}
const searchSource = (o: Obj): { query: { query: string; language: string }; indexRefName?: string } =>
  JSON.parse((o.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string }).searchSourceJSON);
const panelsOf = (o: Obj): Panel[] => JSON.parse(o.attributes.panelsJSON as string) as Panel[];

const devObjects = parseNdjson(elasticOf(dev).kibanaObjects.ndjson);
const prodObjects = parseNdjson(elasticOf(prod).kibanaObjects.ndjson);

test('ndjson: one saved object a line: a data view, four searches (six with Kubernetes events), a dashboard', () => {
  assert.deepEqual(devObjects.map((o) => o.type), ['index-pattern', 'search', 'search', 'search', 'search', 'search', 'search', 'dashboard']);
  assert.deepEqual(
    devObjects.map((o) => o.attributes.title),
    ['logs-ml-dev', 'ML events', 'ML errors by event', 'ML errors by framework', 'Jobs that hit a NaN loss', 'Kubernetes events', 'Job failure events', 'ML training logs (logs-ml-dev)'],
  );
  const e = elasticOf(dev);
  const without = renderKibanaObjects({ dataStream: e.dataStream, fields: mappedFields(e.indexTemplate) });
  assert.deepEqual(without.objects.map((o) => o.type), ['index-pattern', 'search', 'search', 'search', 'search', 'dashboard'], 'no events searches unless events are shipped');
  assertElasticGolden('kibana-objects-dev.ndjson', elasticOf(dev).kibanaObjects.ndjson);
});

test('ids: unique, derived from the data stream, the same on every render', () => {
  for (const objs of [devObjects, prodObjects]) assert.equal(new Set(objs.map((o) => o.id)).size, objs.length);
  assert.ok(devObjects.every((o) => o.id.startsWith('mlobs-logs-ml-dev')), 'dev ids carry the dev data stream');
  assert.ok(prodObjects.every((o) => o.id.startsWith('mlobs-logs-ml-prod')), 'prod ids carry the prod data stream');
  const e = elasticOf(dev);
  const again = renderKibanaObjects({ dataStream: e.dataStream, fields: mappedFields(e.indexTemplate), kubernetesEvents: true });
  assert.equal(again.ndjson, e.kibanaObjects.ndjson);
  // Lens layer and column ids are fixed names, not generated UUIDs.
  assert.doesNotMatch(e.kibanaObjects.ndjson, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/);
});

test('every reference resolves to an object of the same import, and every named reference is used', () => {
  for (const objs of [devObjects, prodObjects]) {
    const byKey = new Set(objs.map((o) => `${o.type}:${o.id}`));
    const resolves = (r: Ref, where: string) => assert.ok(byKey.has(`${r.type}:${r.id}`), `${where}: ${r.type} ${r.id} is not in the import`);
    for (const o of objs) {
      for (const r of o.references) resolves(r, `${o.id} reference ${r.name}`);
      const refNames = new Set(o.references.map((r) => r.name));
      if (o.type === 'search') {
        const idx = searchSource(o).indexRefName;
        assert.ok(idx && refNames.has(idx), `${o.id}: indexRefName ${idx} has a reference`);
      }
      if (o.type === 'dashboard') {
        const panels = panelsOf(o);
        assert.equal(new Set(panels.map((p) => p.panelIndex)).size, panels.length, 'panel indexes are unique');
        const expected = new Set<string>();
        for (const p of panels) {
          if (p.panelRefName) expected.add(`${p.panelIndex}:${p.panelRefName}`);
          for (const r of p.embeddableConfig.attributes?.references ?? []) {
            resolves(r, `${o.id} panel ${p.panelIndex}`);
            expected.add(`${p.panelIndex}:${r.name}`);
            const layer = r.name.replace(/^indexpattern-datasource-layer-/, '');
            assert.ok(p.embeddableConfig.attributes?.state.datasourceStates.formBased.layers[layer], `${p.panelIndex}: reference ${r.name} names a layer of the panel`);
          }
        }
        assert.deepEqual([...refNames].sort(), [...expected].sort(), 'dashboard references are exactly the panels\' references');
      }
    }
  }
});

test('the data view is the data stream Logstash writes, with @timestamp', () => {
  for (const r of [dev, prod]) {
    const e = elasticOf(r);
    const dataset = /data_stream_dataset => "([^"]+)"/.exec(e.logstashPipeline)?.[1];
    const namespace = /data_stream_namespace => "([^"]+)"/.exec(e.logstashPipeline)?.[1];
    const dv = parseNdjson(e.kibanaObjects.ndjson).find((o) => o.type === 'index-pattern');
    assert.equal(dv?.attributes.title, `logs-${dataset}-${namespace}`);
    assert.equal(dv?.attributes.title, e.dataStream);
    assert.equal(dv?.attributes.timeFieldName, '@timestamp');
  }
});

/** Every field an object uses, read from the ndjson (not from the renderer's own bookkeeping). */
function fieldsUsed(objs: Obj[]): { field: string; as: 'column' | 'query' | 'time' | 'average' | 'terms' | 'date_histogram' }[] {
  const out: ReturnType<typeof fieldsUsed> = [];
  for (const o of objs) {
    if (o.type === 'index-pattern') out.push({ field: o.attributes.timeFieldName as string, as: 'time' });
    if (o.type === 'search') {
      for (const c of o.attributes.columns as string[]) out.push({ field: c, as: 'column' });
      for (const [s] of o.attributes.sort as [string, string][]) out.push({ field: s, as: 'time' });
      for (const f of kqlFields(searchSource(o).query.query)) out.push({ field: f, as: 'query' });
    }
    if (o.type === 'dashboard') {
      for (const p of panelsOf(o)) {
        const st = p.embeddableConfig.attributes?.state;
        if (!st) continue;
        for (const f of kqlFields(st.query.query)) out.push({ field: f, as: 'query' });
        for (const layer of Object.values(st.datasourceStates.formBased.layers)) {
          for (const c of Object.values(layer.columns)) {
            if (c.operationType === 'count') continue;
            out.push({ field: c.sourceField, as: c.operationType as 'average' | 'terms' | 'date_histogram' });
          }
        }
      }
    }
  }
  return out;
}

test('every field a search or a panel uses is mapped by the index template, with a type that fits', () => {
  for (const r of [dev, prod]) {
    const mapped = mappedFields(elasticOf(r).indexTemplate);
    assert.equal(mapped['ml.loss'], 'double', 'mappedFields reads the renderer\'s template');
    const used = fieldsUsed(parseNdjson(elasticOf(r).kibanaObjects.ndjson));
    assert.ok(used.length >= 15, 'fields were found');
    for (const u of used) {
      const t = mapped[u.field];
      assert.ok(t, `${u.field} (${u.as}) is not mapped by the index template`);
      if (u.as === 'average') assert.match(t, /^(long|double)$/, `${u.field} averaged but mapped as ${t}`);
      if (u.as === 'terms') assert.match(t, /^(keyword|long)$/, `${u.field} bucketed but mapped as ${t}`);
      if (u.as === 'time' || u.as === 'date_histogram') assert.equal(t, 'date', u.field);
    }
    const names = new Set(used.map((u) => u.field));
    for (const f of ['ml.event', 'ml.framework', 'ml.level', 'ml.message', 'ml.loss', 'ml.step_time_s', 'ml.xid', 'kubernetes.pod.name', 'mlobs.node']) {
      assert.ok(names.has(f), `${f} is used`);
    }
  }
});

test('searches and panels: KQL queries non-empty; errors search selects error and critical', () => {
  const searches = devObjects.filter((o) => o.type === 'search');
  for (const s of searches) {
    assert.equal(searchSource(s).query.language, 'kuery');
    assert.ok(searchSource(s).query.query.trim().length > 0, `${s.id} has a query`);
  }
  assert.equal(searchSource(searches[0] as Obj).query.query, 'ml.event:*');
  assert.deepEqual(searches[0]?.attributes.columns, ['ml.event', 'ml.framework', 'ml.level', 'ml.message']);
  assert.equal(searchSource(searches[1] as Obj).query.query, 'ml.level:(error or critical) and ml.event:*');
  assert.deepEqual((searches[1]?.attributes.columns as readonly string[] | undefined)?.[0], 'ml.event', 'errors by event: event first');
  assert.equal(searchSource(searches[2] as Obj).query.query, 'ml.level:(error or critical)');
  // The NaN table: jobs first, from the NaN event of the catalog.
  assert.equal(searchSource(searches[3] as Obj).query.query, 'ml.event:nan_loss');
  assert.deepEqual((searches[3]?.attributes.columns as readonly string[] | undefined)?.[0], 'mlobs.job');
  const dashboardPanels = panelsOf(devObjects.find((o) => o.type === 'dashboard') as Obj);
  const lens = dashboardPanels.filter((p) => p.type === 'lens');
  assert.equal(lens.length, 5);
  assert.deepEqual(dashboardPanels.filter((p) => p.type === 'search').map((p) => p.panelIndex), ['errors-by-framework', 'jobs-with-nan-loss', 'job-failure-events']);
  // Loss against step and against epoch, one line per job.
  for (const key of ['loss-by-step-per-job', 'loss-by-epoch-per-job']) {
    const p = lens.find((x) => x.panelIndex === key);
    const cols = Object.values((p?.embeddableConfig.attributes?.state.datasourceStates as { formBased: { layers: Record<string, { columns: Record<string, { operationType: string; sourceField: string }> }> } }).formBased.layers)[0]?.columns ?? {};
    assert.equal(cols['x']?.operationType, 'range', key);
    assert.equal(cols['x']?.sourceField, key.includes('step') ? 'ml.step' : 'ml.epoch');
    assert.equal(cols['split']?.sourceField, 'mlobs.job');
  }
  for (const p of lens) assert.ok(p.embeddableConfig.attributes?.state.query.query.trim(), `${p.panelIndex} has a query`);
  assert.deepEqual(kqlFields('ml.level:(error or critical) and kubernetes.pod.name : "a:b"'), ['ml.level', 'kubernetes.pod.name']);
});

test('the renderer refuses a field the template does not map, a wrong type, and a malformed data stream', () => {
  const fields = mappedFields(renderIndexTemplate({ dataset: 'ml', policyName: 'p', replicas: 0, totalFieldsLimit: 1000 }));
  assert.equal(fields['mlobs.node'], 'keyword', 'Filebeat\'s node name is mapped (Xids by node)');
  const { ['mlobs.node']: _node, ...withoutNode } = fields;
  assert.throws(
    () => renderKibanaObjects({ dataStream: 'logs-ml-dev', fields: withoutNode }),
    /Kibana objects do not fit the index template of logs-ml-dev:\n {2}- "GPU Xid errors by node" uses mlobs\.node, which the index template does not map\nMap the field in renderIndexTemplate/,
  );
  assert.throws(
    () => renderKibanaObjects({ dataStream: 'logs-ml-dev', fields: { ...fields, 'ml.loss': 'keyword' } }),
    /"Training loss against step, by job" uses ml\.loss \(mapped as keyword\) where only long, integer, short, byte, double/,
  );
  assert.throws(() => renderKibanaObjects({ dataStream: 'ml-dev', fields }), /data stream "ml-dev" is not of the form logs-<dataset>-<namespace>/);
});

type Job = KubeManifest & {
  spec: { template: { spec: { containers: { env: unknown[]; volumeMounts: { name: string; mountPath: string }[] }[]; volumes: { name: string; secret?: { secretName: string; optional?: boolean } }[] } } };
};
const jobOf = (r: typeof dev): Job => r.customResources.find((m) => m.kind === 'Job') as Job;
const filesOf = (r: typeof dev): Record<string, string> =>
  (r.customResources.find((m) => m.kind === 'ConfigMap' && m.metadata.name === jobOf(r).metadata.name) as KubeManifest & { data: Record<string, string> }).data;

test('setup Job: imports the ndjson with overwrite=true over HTTPS with Kibana\'s CA, after the Elasticsearch steps', () => {
  const files = filesOf(prod);
  const script = files['apply.sh'] ?? '';
  assert.equal(files[KIBANA_OBJECTS_FILE], elasticOf(prod).kibanaObjects.ndjson);
  assert.match(script, /KB="https:\/\/mlobs-kb-http\.mlobs\.svc:5601"/);
  assert.match(script, /--cacert \/etc\/mlobs\/kb-ca\/ca\.crt -u \$\{ELASTIC_USERNAME\}:\$\{ELASTIC_PASSWORD\}/);
  assert.match(script, /until \$KBCURL "\$KB\/api\/status"/);
  assert.match(script, /-X POST "\$KB\/api\/saved_objects\/_import\?overwrite=true" -H 'kbn-xsrf: true' --form file=@\/etc\/mlobs\/es-setup\/kibana-objects\.ndjson/);
  assert.ok(script.indexOf('_index_template') < script.indexOf('/api/status'), 'Elasticsearch first');
  const spec = jobOf(prod).spec.template.spec;
  assert.deepEqual(spec.volumes.find((v) => v.name === 'kb-ca')?.secret, { secretName: 'mlobs-kb-http-certs-public', optional: true });
  assert.ok(spec.containers[0]?.volumeMounts.some((m) => m.name === 'kb-ca' && m.mountPath === '/etc/mlobs/kb-ca'));
});

test('setup Job name: the hash covers the saved objects', () => {
  const base = { url: 'https://es:9200', policyName: 'p', policy: {}, templateName: 't', template: {}, caFile: '/ca', configDir: '/d' };
  const kb = { url: 'https://kb:5601', caFile: '/kb/ca.crt', ndjson: '{"id":"a"}\n' };
  const a = renderSetupFiles({ ...base, kibana: kb });
  assert.equal(renderSetupFiles({ ...base, kibana: kb }).hash, a.hash);
  assert.notEqual(renderSetupFiles({ ...base, kibana: { ...kb, ndjson: '{"id":"b"}\n' } }).hash, a.hash);
  assert.notEqual(renderSetupFiles(base).hash, a.hash);
  assert.equal(renderSetupFiles(base).files[KIBANA_OBJECTS_FILE], undefined, 'no Kibana step without objects');
});

const hasSh = spawnSync('sh', ['-c', 'true']).status === 0;

test('setup script runs in order against a stand-in curl, and fails when the import reports errors', { skip: hasSh ? false : 'no /bin/sh' }, () => {
  const script = filesOf(dev)['apply.sh'] ?? '';
  execFileSync('sh', ['-n', '-c', script]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-setup-'));
  try {
    const log = path.join(dir, 'calls.log');
    fs.writeFileSync(
      path.join(dir, 'curl'),
      ['#!/bin/sh', `echo "$*" >> "${log}"`, 'case "$*" in *_import*) printf \'%s\' "$IMPORT_RESULT" ;; *) echo "{}" ;; esac', ''].join('\n'),
      { mode: 0o755 },
    );
    const run = (result: string) => {
      fs.rmSync(log, { force: true });
      const r = spawnSync('sh', ['-c', script], { env: { PATH: `${dir}:/usr/bin:/bin`, ELASTIC_USERNAME: 'mlobs-setup', ELASTIC_PASSWORD: 'sentinel-pw', IMPORT_RESULT: result }, encoding: 'utf8' });
      return { status: r.status, out: r.stdout + r.stderr, calls: fs.readFileSync(log, 'utf8').trim().split('\n') };
    };
    const ok = run('{"successCount":4,"success":true,"warnings":[]}');
    assert.equal(ok.status, 0, ok.out);
    assert.deepEqual(
      ok.calls.map((c) => /(_cluster\/health|_ilm\/policy|_index_template|api\/status|saved_objects\/_import\?overwrite=true)/.exec(c)?.[1]),
      ['_cluster/health', '_ilm/policy', '_index_template', 'api/status', 'saved_objects/_import?overwrite=true'],
    );
    assert.match(ok.calls[4] ?? '', /--cacert \/etc\/mlobs\/kb-ca\/ca\.crt -u mlobs-setup:sentinel-pw .*-H kbn-xsrf: true --form file=@/);
    assert.match(ok.out, /Kibana saved objects imported/);
    const failed = run('{"successCount":3,"success":false,"errors":[{"id":"x","error":{"type":"missing_references"}}]}');
    assert.equal(failed.status, 1, failed.out);
    assert.match(failed.out, /Kibana saved objects import failed/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('no credential in the synthesized stack or the saved objects', () => {
  for (const r of [dev, prod]) {
    assert.doesNotMatch(r.json, /"password"\s*:|ELASTIC_PASSWORD=/i);
    assert.doesNotMatch(elasticOf(r).kibanaObjects.ndjson, /password|secret|token|authorization/i);
    assert.deepEqual(jobOf(r).spec.template.spec.containers[0]?.env, [
      { name: 'ELASTIC_USERNAME', valueFrom: { secretKeyRef: { name: 'mlobs-es-setup', key: 'username' } } },
      { name: 'ELASTIC_PASSWORD', valueFrom: { secretKeyRef: { name: 'mlobs-es-setup', key: 'password' } } },
    ]);
  }
});
