/**
 * Kubernetes events into Elasticsearch (constructs/elastic/events.render.ts, kubernetes-events.ts):
 * the events branch of the synthesized Logstash pipeline read back and executed on documents shaped
 * as Metricbeat's event metricset writes them (elastic/beats metricbeat/module/kubernetes/event), the
 * grok on Oniguruma (Logstash's engine): the job must be exactly what the contract's `eventJob`
 * reads from the involved object, as on the Loki side. The Metricbeat Beat: one replica, module per
 * namespace, events-only RBAC, restricted; Kibana's events searches; wiring and bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Testing, TerraformStack } from 'cdktf';
import { EVENTS_SOURCE, JOB_FAILURE_REASONS, checkEventsSettings, eventJob } from '../../constructs/contracts/k8s-events';
import {
  ES_EVENT_FIELDS,
  LOGSTASH_EVENTS_CONDITION,
  METRICBEAT_EVENTS_RBAC_RULE,
  eventsBeatName,
  logstashPodJobPatterns,
  renderMetricbeatEvents,
  renderKibanaObjects,
  mappedFields,
  renderIndexTemplate,
} from '../../constructs/elastic';
import { KubernetesEvents } from '../../constructs/elastic/kubernetes-events';
import { ElasticPipeline } from '../../constructs/elastic/elastic-pipeline';
import { CustomResourceChart } from '../../constructs/core/custom-resource-chart';
import type { KubeManifest } from '../../constructs/core/manifest';
import { ELASTIC_STACK_VERSION } from '../../constructs/versions';
import { assertValidCustomResource } from '../helpers/crd-contract';
import { MINIMAL_INPUT, synthEnvironment } from '../helpers/synth';
import { grokEngine } from '../mllogs/helpers';
import { EVENT_OBJECT_CASES } from '../helpers/k8s-events';
import { getField, removeField, setField, type Fields } from '../helpers/logstash-fields';
import { loadEnvironmentFile } from '../metrics/env-files';
import { ConfigError, parseEnvironment } from '../../config';

const dev = synthEnvironment(loadEnvironmentFile('dev'), 'dev');
const pipelineOf = (r: typeof dev): string => {
  const ls = r.customResources.find((o) => o.kind === 'Logstash') as KubeManifest & { spec: { pipelines: Record<string, string>[] } };
  return ls.spec.pipelines[0]!['config.string']!;
};
const metricbeatOf = (r: typeof dev): (KubeManifest & { spec: Record<string, unknown> }) | undefined =>
  r.customResources.find((o) => o.kind === 'Beat' && (o.spec as { type?: string }).type === 'metricbeat') as (KubeManifest & { spec: Record<string, unknown> }) | undefined;

// ---------------------------------------------------------------- the Logstash events branch, executed

type Doc = Fields;
const get = getField;
const set = setField;
const del = removeField;
const pairs = (body: string): [string, string][] => [...body.matchAll(/"([^"]*)" => "([^"]*)"/g)].map((m) => [m[1]!, m[2]!]);

interface EventsBranch {
  readonly condition: string;
  run(doc: Doc): Doc;
}

/**
 * The events branch of a pipeline read back: the branch's condition, its first mutate (rename,
 * replace, copy: applied in mutate's own order), the kind list, the grok's patterns compiled on
 * Oniguruma and the capture's rename. Anything the reader does not recognise fails the test.
 */
async function loadEventsBranch(pipeline: string): Promise<EventsBranch> {
  const start = pipeline.indexOf(`if ${LOGSTASH_EVENTS_CONDITION} {`);
  assert.ok(start > 0, 'the pipeline has the events branch');
  const end = pipeline.indexOf('\n  } else {\n', start);
  assert.ok(end > start, 'the events branch is followed by the log-line branch');
  const branch = pipeline.slice(start, end);
  const mutate = /mutate \{ id => "mlobs_k8s_event" rename => \{ (.*?) \} replace => \{ (.*?) \} copy => \{ (.*?) \} \}/.exec(branch);
  assert.ok(mutate, `the event mutate:\n${branch}`);
  const kinds = /if \[kubernetes\]\[event\]\[involved_object\]\[kind\] in \[(.*)\] \{\n\s*mutate \{ id => "mlobs_k8s_event_job_object" copy => \{ "([^"]+)" => "([^"]+)" \} \}/.exec(branch);
  assert.ok(kinds, 'the job-kind conditional');
  const kindList = [...kinds[1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
  const grok = /\} else if \[kubernetes\]\[event\]\[involved_object\]\[kind\] == "Pod" \{\n\s*grok \{\n\s*id => "mlobs_k8s_event_job_pod"\n\s*match => \{ "([^"]+)" => \[(.*)\] \}\n\s*tag_on_failure => \[\]\n\s*\}\n\s*if \[(\w+)\] \{ mutate \{ rename => \{ "(\w+)" => "([^"]+)" \} \} \}/.exec(branch);
  assert.ok(grok, `the pod-name grok:\n${branch}`);
  const engine = await grokEngine();
  const patterns = [...grok[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => engine.compilePlain(m[1]!));
  return {
    condition: branch.slice(3, branch.indexOf(' {')),
    run(input) {
      const doc = structuredClone(input);
      for (const [from, to] of pairs(mutate[1]!)) {
        set(doc, to, get(doc, from));
        del(doc, from);
      }
      for (const [f, v] of pairs(mutate[2]!)) set(doc, f, v);
      for (const [from, to] of pairs(mutate[3]!)) if (get(doc, from) !== undefined) set(doc, to, get(doc, from));
      const kind = get(doc, ES_EVENT_FIELDS.kind);
      if (typeof kind === 'string' && kindList.includes(kind)) set(doc, kinds[3]!, get(doc, kinds[2]!));
      else if (kind === 'Pod') {
        const name = String(get(doc, grok[1]!));
        const input2 = engine.prepare(name);
        try {
          for (const p of patterns) {
            const m = p.exec(input2);
            if (!m) continue;
            const i = p.names.indexOf(grok[3]!);
            if (i >= 0 && m.groups[i + 1] !== undefined) set(doc, grok[3]!, m.groups[i + 1]);
            break; // break_on_match
          }
        } finally {
          input2.dispose();
        }
        if (get(doc, grok[3]!) !== undefined) {
          set(doc, grok[5]!, get(doc, grok[4]!));
          del(doc, grok[4]!);
        }
      }
      return doc;
    },
  };
}

/** A document as Metricbeat's event metricset writes it (generateMapStrFromEvent), before Logstash. */
function metricbeatEvent(kind: string, name: string, reason: string, message = `${reason} for ${name}`): Doc {
  return {
    '@timestamp': '2026-12-06T07:00:00.000Z',
    event: { module: 'kubernetes', dataset: 'kubernetes.event' },
    metricset: { name: 'event', period: 0 },
    service: { type: 'kubernetes' },
    kubernetes: {
      event: {
        message,
        reason,
        type: 'Warning',
        count: 3,
        source: { host: 'gpu-node-1', component: 'kubelet' },
        involved_object: { api_version: 'v1', resource_version: '812', name, kind, uid: '4f3fe524-3a5d-11e7-b8f2-e687a39f6e48' },
        metadata: { name: `${name}.17f0c`, namespace: 'team-a', uid: 'b2f92f14', resource_version: '1047243', timestamp: { created: '2026-12-06T07:00:00Z' } },
        timestamp: { first_occurrence: '2026-12-06T06:59:00Z', last_occurrence: '2026-12-06T07:00:00Z' },
      },
    },
  };
}

const CASES = EVENT_OBJECT_CASES;

test('the Logstash events branch names the job exactly as the contract reads it from the involved object (Oniguruma)', async () => {
  const branch = await loadEventsBranch(pipelineOf(dev));
  assert.equal(branch.condition, LOGSTASH_EVENTS_CONDITION);
  const seen = new Set<string | undefined>();
  for (const [kind, name] of CASES) {
    const out = branch.run(metricbeatEvent(kind, name, 'BackOff'));
    const expected = eventJob(kind, name);
    seen.add(expected);
    assert.equal(get(out, '[mlobs][job]'), expected, `${kind}/${name}`);
    assert.equal(get(out, '[mlobs][source]'), EVENTS_SOURCE);
    assert.equal(get(out, '[kubernetes][namespace]'), 'team-a', 'the event namespace is where log lines keep theirs');
    assert.equal(get(out, 'message'), `BackOff for ${name}`);
    assert.equal(get(out, ES_EVENT_FIELDS.message), undefined, 'the message is moved, not copied (the redacted copy is the only one)');
    assert.equal(get(out, 'mlobs_event_job'), undefined, 'the temporary capture is gone');
  }
  assert.ok(seen.has(undefined) && seen.size > 5, 'the cases cover attributed and unattributed events');
});

test('events skip the log-line filters: catalog, timestamp, counters and volume live in the other branch; redaction runs on both', () => {
  const text = pipelineOf(dev);
  const start = text.indexOf(`if ${LOGSTASH_EVENTS_CONDITION} {`);
  const split = text.indexOf('\n  } else {\n', start);
  const events = text.slice(start, split);
  const lines = text.slice(split);
  for (const id of ['mlobs_timestamp', 'mlobs_job"', 'mlobs_volume_progress', '# events: first rule found']) {
    assert.ok(!events.includes(id), `${id} is not in the events branch`);
    assert.ok(lines.includes(id), `${id} is in the log-line branch`);
  }
  const redactions = (s: string): string[] => [...s.matchAll(/id => "(mlobs_redact_[\w-]+)"/g)].map((m) => m[1]!);
  assert.ok(redactions(events).length > 10);
  assert.deepEqual(redactions(events), redactions(lines), 'the same redaction rules on event messages');
  assert.ok(events.indexOf('mlobs_redact_') > events.indexOf('"message"'), 'redaction after the message is moved into place');
});

test('without events the pipeline has no events branch and no Metricbeat; Kibana has no events searches', () => {
  const off = synthEnvironment({ ...loadEnvironmentFile('dev'), logs: { ...(loadEnvironmentFile('dev').logs ?? {}), events: { enabled: false } } }, 'dev');
  assert.ok(!pipelineOf(off).includes(LOGSTASH_EVENTS_CONDITION));
  assert.equal(metricbeatOf(off), undefined);
  assert.equal(off.stack.observability.elastic?.kibanaObjects.ids.eventsSearch, undefined);
  assert.ok(pipelineOf(dev).includes(LOGSTASH_EVENTS_CONDITION));
});

// ---------------------------------------------------------------- the shipper

type BeatSpec = {
  type: string;
  version: string;
  config: { 'metricbeat.modules': Record<string, unknown>[]; 'output.logstash': Record<string, unknown> };
  deployment: { replicas: number; strategy: { type: string }; podTemplate: { spec: { serviceAccountName: string; securityContext: Record<string, unknown>; containers: { securityContext: Record<string, unknown>; volumeMounts?: { mountPath: string }[] }[]; volumes?: { secret: { secretName: string } }[] } } };
};

test('the Metricbeat Beat validates against its CRD: metricbeat, one replica recreated, the event metricset, to Logstash with its CA', () => {
  const b = metricbeatOf(dev);
  assert.ok(b);
  assertValidCustomResource(b);
  const spec = b.spec as unknown as BeatSpec;
  assert.equal(spec.type, 'metricbeat');
  assert.equal(spec.version, ELASTIC_STACK_VERSION);
  assert.equal(spec.deployment.replicas, 1, 'one watcher: two would send each event twice');
  assert.equal(spec.deployment.strategy.type, 'Recreate');
  const modules = spec.config['metricbeat.modules'];
  assert.ok(modules.length >= 1);
  for (const m of modules) {
    assert.equal(m.module, 'kubernetes');
    assert.deepEqual(m.metricsets, ['event']);
    assert.equal(m.skip_older, true);
  }
  const ls = dev.stack.observability.elastic!.logstashComponent;
  assert.deepEqual(spec.config['output.logstash'].hosts, [ls.beatsHost]);
  // dev has TLS on the collectors hop: the Logstash CA verifies the beats input
  assert.ok(ls.beatsCertificateSecret);
  assert.equal(spec.config['output.logstash']['ssl.verification_mode'], 'full');
  const caFile = (spec.config['output.logstash']['ssl.certificate_authorities'] as string[])[0]!;
  const pod = spec.deployment.podTemplate.spec;
  assert.ok(caFile.startsWith(pod.containers[0]!.volumeMounts![0]!.mountPath + '/'));
  assert.equal(pod.volumes?.[0]?.secret.secretName, ls.beatsCertificateSecret);
});

test('Metricbeat is Pod Security restricted and may only read events: ClusterRoleBinding for every namespace, RoleBindings for listed ones', () => {
  const base = { name: 'mlobs', namespace: 'mlobs', labels: {}, version: ELASTIC_STACK_VERSION, resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } }, logstashHost: 'mlobs-ls-beats.mlobs.svc:5044' };
  const all = renderMetricbeatEvents({ ...base, events: { enabled: true, namespaces: [] } });
  const some = renderMetricbeatEvents({ ...base, events: { enabled: true, namespaces: ['team-a', 'team-b'] } });
  for (const r of [all, some]) {
    const spec = r.beat.spec as unknown as BeatSpec;
    const pod = spec.deployment.podTemplate.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.notEqual(pod.securityContext.runAsUser, 0);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    const sc = pod.containers[0]!.securityContext;
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.deepEqual(sc.capabilities, { drop: ['ALL'] });
    const roles = r.rbac.filter((o) => o.kind === 'ClusterRole') as (KubeManifest & { rules: unknown[] })[];
    assert.equal(roles.length, 1);
    assert.deepEqual(roles[0]!.rules, [{ ...METRICBEAT_EVENTS_RBAC_RULE }], 'events get/list/watch and nothing else');
    const sa = r.rbac.find((o) => o.kind === 'ServiceAccount')!;
    assert.equal(pod.serviceAccountName, sa.metadata.name);
    assert.equal(r.beat.metadata.name, eventsBeatName('mlobs'));
  }
  assert.deepEqual(all.rbac.filter((o) => o.kind.endsWith('Binding')).map((o) => o.kind), ['ClusterRoleBinding']);
  assert.deepEqual(some.rbac.filter((o) => o.kind.endsWith('Binding')).map((o) => `${o.kind}/${o.metadata.namespace}`), ['RoleBinding/team-a', 'RoleBinding/team-b']);
  assert.deepEqual((some.beat.spec as unknown as BeatSpec).config['metricbeat.modules'].map((m) => m.namespace), ['team-a', 'team-b'], 'one module entry per namespace (the metricset watches one)');
  assert.equal((all.beat.spec as unknown as BeatSpec).config['metricbeat.modules'][0]!.namespace, undefined, 'no namespace: every namespace');
});

test('the events shipper reaches Logstash through a recorded flow; ECK labels select its pod', () => {
  const elastic = dev.stack.observability.elastic!;
  const w = elastic.workloads.events;
  assert.ok(w);
  assert.deepEqual(w.podSelector, { 'beat.k8s.elastic.co/name': eventsBeatName(elastic.name) });
  assert.notDeepEqual(w.podSelector, elastic.workloads.filebeat.podSelector, 'not the Filebeat pods');
  const policies = dev.customResources.filter((o) => o.kind === 'NetworkPolicy');
  const json = JSON.stringify(policies);
  assert.ok(json.includes(eventsBeatName(elastic.name)), 'a NetworkPolicy admits the events shipper');
});

// ---------------------------------------------------------------- Kibana and the index template

test('Kibana: the events searches use mapped fields, the failure search lists the contract reasons, the dashboard shows it', () => {
  const k = dev.stack.observability.elastic!.kibanaObjects;
  assert.ok(k.ids.eventsSearch && k.ids.jobFailureEventsSearch);
  const failure = k.objects.find((o) => o.id === k.ids.jobFailureEventsSearch)!;
  const source = JSON.parse((failure.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string }).searchSourceJSON) as { query: { query: string } };
  for (const r of JOB_FAILURE_REASONS) assert.ok(source.query.query.includes(r), r);
  assert.deepEqual((failure.attributes.columns as string[]).slice(0, 1), ['mlobs.job'], 'job first');
  const dash = k.objects.find((o) => o.type === 'dashboard')!;
  assert.ok(dash.references.some((r) => r.id === k.ids.jobFailureEventsSearch));
  // the render refuses a search on an unmapped field: drop the events mapping and it throws
  const template = renderIndexTemplate({ dataset: 'ml', policyName: 'p', replicas: 0, totalFieldsLimit: 2000 });
  const fields = mappedFields(template);
  assert.equal(fields['kubernetes.event.reason'], 'keyword');
  const { ['kubernetes.event.reason']: _dropped, ...without } = fields;
  assert.throws(() => renderKibanaObjects({ dataStream: 'logs-ml-default', fields: without, kubernetesEvents: true }), /kubernetes\.event\.reason, which the index template does not map/);
});

// ---------------------------------------------------------------- contract, wiring and bad input

test('the pod-name patterns become grok captures; a contract pattern of another shape is refused at synth', () => {
  assert.ok(logstashPodJobPatterns().every((p) => p.startsWith('^(?<mlobs_event_job>')));
  assert.throws(() => logstashPodJobPatterns(['^(.+)-(worker)-[0-9]+$']), /exactly one capturing group/);
  assert.throws(() => logstashPodJobPatterns(['(.+)-worker-[0-9]+$']), /must start with \^\(/);
});

test('KubernetesEvents refuses a Logstash built without the events branch, naming both', () => {
  // Testing.app writes into a temporary folder (an App() would create cdktf.out in the checkout)
  const app = Testing.app();
  const stack = new TerraformStack(app, 's');
  const common = { namespace: 'mlobs', agentsNamespace: 'mlobs-agents', clusterName: 't', environment: 't', labels: {}, monitorSelector: {} };
  const resources = new CustomResourceChart(stack, 'resources', { namespace: common.namespace });
  const p = new ElasticPipeline(stack, 'elastic', { common, resources, events: { enabled: false, namespaces: [] } });
  assert.throws(
    () => new KubernetesEvents(stack, 'events', { common, operator: p.operator, resources, logstash: p.logstashComponent }),
    /s\/events: props\.logstash \(s\/elastic\/logstash\) was built without kubernetesEvents: true/,
  );
});

test('bad events settings: a namespace that is not a DNS-1123 label or listed twice, from the config file and from props', () => {
  assert.throws(() => checkEventsSettings({ enabled: true, namespaces: ['Team_A'] }, 'X: props.events'), /X: props\.events\.namespaces: "Team_A" is not a namespace name/);
  assert.throws(() => checkEventsSettings({ enabled: true, namespaces: ['a', 'a'] }, 'X: props.events'), /lists a namespace twice/);
  assert.throws(
    () => parseEnvironment('qa', { ...MINIMAL_INPUT, logs: { pipelines: ['elastic'], events: { namespaces: ['Team_A'] } } }),
    (e: unknown) => e instanceof ConfigError && /logs\.events\.namespaces/.test(e.message),
  );
});
