/**
 * Components take their own typed props; an environment file reaches them through one adapter
 * (stacks/environment-props.ts), and the schema takes its defaults from the components' constants.
 * So an environment that says nothing and a composition from props alone must synthesize the
 * same stack, and each component's defaults must be the schema's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Testing, TerraformStack } from 'cdktf';
import { parseEnvironment } from '../../config/load';
import { ObservabilityStack, type ObservabilityStackProps } from '../../constructs/observability-stack';
import { observabilityPropsFor } from '../../stacks/environment-props';
import { APP_CONTEXT } from '../../stacks/app';
import { gpuSettings } from '../../constructs/gpu/settings';
import { trainingSettings } from '../../constructs/training/settings';
import { lokiSettings } from '../../constructs/loki/settings';
import { alertmanagerSettings, grafanaSettings, prometheusSettings } from '../../constructs/metrics/settings';
import { elasticsearchSettings, filebeatSettings, kibanaSettings, logstashSettings } from '../../constructs/elastic/settings';

const ADMIN = { adminCredentials: { secretName: 'grafana-admin' } } as const;

function synth(props: ObservabilityStackProps): string {
  const stack = new TerraformStack(Testing.app({ context: { ...APP_CONTEXT } }), 'x');
  new ObservabilityStack(stack, 'mlobs', props);
  return Testing.synth(stack);
}

test('an environment that says nothing and props that say nothing synthesize the same stack', () => {
  const env = parseEnvironment('x', { grafana: ADMIN, logs: { pipelines: ['loki', 'elastic'] } });
  const fromEnv = synth(observabilityPropsFor('x', env.settings));
  const fromProps = synth({ environment: 'x', metrics: { grafana: ADMIN }, loki: {}, elastic: {} });
  assert.equal(fromProps, fromEnv);
});

test('a changed default would show: one prop set differently gives a different stack', () => {
  const base = { environment: 'x', metrics: { grafana: ADMIN } } as const;
  assert.notEqual(synth({ ...base, loki: { loki: { retentionPeriod: '720h' } } }), synth({ ...base, loki: {} }));
});

test('each component\'s defaults are the schema\'s defaults', () => {
  const s = parseEnvironment('x', { grafana: ADMIN }).settings;
  assert.deepEqual(gpuSettings(), gpuSettings(s.gpu));
  assert.deepEqual(trainingSettings(), trainingSettings(s.training));
  assert.deepEqual(lokiSettings(), lokiSettings({ ...s.loki, retentionPeriod: s.retention.loki.period }));
  assert.deepEqual(prometheusSettings(), prometheusSettings({ ...s.prometheus, retentionTime: s.retention.prometheus.time, retentionSizeGiB: s.retention.prometheus.sizeGiB }));
  assert.deepEqual(alertmanagerSettings(), alertmanagerSettings(s.alertmanager));
  assert.deepEqual(grafanaSettings(ADMIN), grafanaSettings(s.grafana));
  const e = s.elastic;
  assert.deepEqual(
    elasticsearchSettings(),
    elasticsearchSettings({ ...s.elasticsearch, antiAffinity: e.antiAffinity, httpCertificate: e.httpCertificate, tiers: e.tiers, dataStream: e.dataStream, totalFieldsLimit: e.totalFieldsLimit, retention: s.retention.elasticsearch }),
  );
  assert.deepEqual(kibanaSettings(), kibanaSettings(e.kibana));
  assert.deepEqual(logstashSettings(), logstashSettings(e.logstash));
  assert.deepEqual(filebeatSettings(), filebeatSettings(e.filebeat));
});

test('props with a problem the schema would catch fail at construction, naming the path and the prop', () => {
  const base = { environment: 'x', metrics: { grafana: ADMIN } } as const;
  assert.throws(() => synth({ ...base, loki: { loki: { deploymentMode: 'scalable' } } }), /^Error: x\/mlobs\/loki: props\.loki\.objectStorage is required when props\.loki\.deploymentMode is "scalable"/);
  assert.throws(() => synth({ ...base, loki: { loki: { debugRetention: '800h' } } }), /props\.loki\.debugRetention "800h" must be shorter than props\.loki\.retentionPeriod "744h"/);
  assert.throws(
    () => synth({ ...base, metrics: { grafana: ADMIN, alertmanager: { routing: { critical: 'pager' } } } }),
    /^Error: x\/mlobs\/metrics: props\.alertmanager\.routing\.critical: "pager" is not a receiver \(defined: none defined\)/,
  );
});
