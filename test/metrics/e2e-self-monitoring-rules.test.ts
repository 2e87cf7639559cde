/**
 * The stack watches itself (issue 17 item 3): the self-monitoring groups of the stack's
 * PrometheusRule (Loki, collectors, certificates, Elasticsearch) against the real promtool 3.14.
 * Every alert fires on series shaped as its source exports them (labels read in the upstream code,
 * see metrics/stack-rules.ts) and stays quiet when the part is healthy or belongs to another namespace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEnvironment } from '../../config/load';
import { commonConfigFor } from '../../stacks/environment-props';
import { isAlertRule, type AlertRule } from '../../constructs/core/prometheus-rule';
import { LOGS_COMPONENT, PLATFORM_COMPONENT } from '../../constructs/contracts/components';
import { SELF_MONITORING_GROUP_NAMES, renderStackRuleGroups } from '../../constructs/metrics/stack-rules';
import { promtoolCheckRules, promtoolTestRules, type AlertExpectation, type SeriesInput } from '../helpers/promtool';
import { ENVIRONMENTS, loadEnvironmentFile } from './env-files';
import { FILEBEAT_DAEMONSET_SUFFIX, FILEBEAT_OUTPUT_EVENTS_METRIC, FILEBEAT_RATE_LIMITED_METRIC, FILEBEAT_REPORTS_METRIC, LOGSTASH_FILTER_FAILURES_METRIC, LOGSTASH_HEARTBEAT_METRIC, LOGSTASH_METRICS_MONITOR_SUFFIX } from '../../constructs/contracts/logstash-monitoring';

const settings = parseEnvironment('prod', loadEnvironmentFile('prod')).settings;
const common = commonConfigFor('prod', settings);
const groups = renderStackRuleGroups({ common, retentionTime: '30d' });
const NS = common.namespace;
const selfGroups = groups.filter((g) => (Object.values(SELF_MONITORING_GROUP_NAMES) as string[]).includes(g.name));
const alerts = new Map<string, AlertRule>(selfGroups.flatMap((g) => g.rules).filter(isAlertRule).map((a) => [a.alert, a]));

const EXPECTED: Record<string, { group: keyof typeof SELF_MONITORING_GROUP_NAMES; severity: string; component: string }> = {
  LokiRequestErrors: { group: 'loki', severity: 'critical', component: LOGS_COMPONENT },
  LokiRequestLatency: { group: 'loki', severity: 'warning', component: LOGS_COMPONENT },
  LokiDiscardingSamples: { group: 'loki', severity: 'warning', component: LOGS_COMPONENT },
  AlloyDroppingLogEntries: { group: 'collectors', severity: 'critical', component: LOGS_COMPONENT },
  AlloyLokiSendFailures: { group: 'collectors', severity: 'warning', component: LOGS_COMPONENT },
  PromtailDroppingLogEntries: { group: 'collectors', severity: 'critical', component: LOGS_COMPONENT },
  PromtailLokiSendFailures: { group: 'collectors', severity: 'warning', component: LOGS_COMPONENT },
  CertificateNotReady: { group: 'certificates', severity: 'warning', component: PLATFORM_COMPONENT },
  CertificateRenewalOverdue: { group: 'certificates', severity: 'warning', component: PLATFORM_COMPONENT },
  CertificateExpiringSoon: { group: 'certificates', severity: 'critical', component: PLATFORM_COMPONENT },
  ElasticsearchClusterRed: { group: 'elasticsearch', severity: 'critical', component: LOGS_COMPONENT },
  ElasticsearchUnassignedShards: { group: 'elasticsearch', severity: 'warning', component: LOGS_COMPONENT },
  ElasticsearchDiskLowWatermark: { group: 'elasticsearch', severity: 'warning', component: LOGS_COMPONENT },
  ElasticsearchDiskHighWatermark: { group: 'elasticsearch', severity: 'critical', component: LOGS_COMPONENT },
  LogstashPipelineStalled: { group: 'logstash', severity: 'critical', component: LOGS_COMPONENT },
  LogstashFilterExceptions: { group: 'logstash', severity: 'warning', component: LOGS_COMPONENT },
  FilebeatNotReporting: { group: 'filebeat', severity: 'critical', component: LOGS_COMPONENT },
  FilebeatDroppingEvents: { group: 'filebeat', severity: 'critical', component: LOGS_COMPONENT },
  FilebeatSendFailures: { group: 'filebeat', severity: 'warning', component: LOGS_COMPONENT },
  FilebeatRateLimitingLines: { group: 'filebeat', severity: 'warning', component: LOGS_COMPONENT },
};

/** The alert's annotations as Prometheus renders them for these labels and this (formatted) value. */
function rendered(a: AlertRule, labels: Record<string, string>, value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, t] of Object.entries(a.annotations)) {
    out[k] = t
      .replace(/\{\{ \$labels\.([a-z_]+) \}\}/g, (_, l: string) => labels[l] ?? '')
      .replace(/\{\{ \$value( \| (humanize|humanizePercentage|humanizeDuration))? \}\}/g, value);
    assert.doesNotMatch(out[k], /\{\{/, `${a.alert}.${k}: a template the test does not render: ${out[k]}`);
  }
  return out;
}

/** One firing expectation: the alert's own labels plus the grouping labels, annotations rendered. */
function firing(alertname: string, evalTime: string, labels: Record<string, string>, value: string): AlertExpectation {
  const a = alerts.get(alertname);
  assert.ok(a, alertname);
  return { evalTime, alertname, expAlerts: [{ expLabels: { alertname, ...a.labels, ...labels }, expAnnotations: rendered(a, labels, value) }] };
}
const quiet = (alertname: string, evalTime: string): AlertExpectation => ({ evalTime, alertname, expAlerts: [] });
const series = (name: string, labels: Record<string, string>, values: string): SeriesInput => ({
  series: `${name}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`,
  values,
});

test('self-monitoring: the expected alerts, each with severity, component, summary, a description with "What to do:" and an https runbook; promtool loads them', () => {
  assert.deepEqual([...alerts.keys()].sort(), Object.keys(EXPECTED).sort());
  for (const [name, e] of Object.entries(EXPECTED)) {
    const a = alerts.get(name)!;
    const group = selfGroups.find((g) => g.rules.includes(a))!;
    assert.equal(group.name, SELF_MONITORING_GROUP_NAMES[e.group], name);
    assert.equal(a.labels.severity, e.severity, name);
    assert.equal(a.labels.component, e.component, name);
    assert.ok(a.annotations.summary.trim(), name);
    assert.match(a.annotations.description, /What to do: \S/, name);
    assert.match(a.annotations.runbook_url, /^https:\/\//, name);
    assert.ok(a.for, `${name} has a for:`);
  }
  const total = groups.flatMap((g) => g.rules).length;
  assert.match(promtoolCheckRules(groups), new RegExp(`SUCCESS: ${total} rules found`));
});

test('self-monitoring: Loki rules select the stack\'s namespace, collector rules the agents namespace, certificate rules both, in every environment', () => {
  for (const env of ENVIRONMENTS) {
    const c = commonConfigFor(env, parseEnvironment(env, loadEnvironmentFile(env)).settings);
    const g = renderStackRuleGroups({ common: c, retentionTime: '7d' });
    const rulesOf = (name: string) => g.filter((x) => x.name === name).flatMap((x) => x.rules).filter(isAlertRule);
    for (const r of rulesOf(SELF_MONITORING_GROUP_NAMES.loki)) assert.ok(r.expr.includes(`namespace="${c.namespace}"`), `${env}: ${r.alert} selects namespace ${c.namespace}: ${r.expr}`);
    for (const r of rulesOf(SELF_MONITORING_GROUP_NAMES.collectors)) {
      assert.ok(r.expr.includes(`namespace="${c.agentsNamespace}"`), `${env}: ${r.alert} selects the agents namespace ${c.agentsNamespace}: ${r.expr}`);
    }
    for (const r of rulesOf(SELF_MONITORING_GROUP_NAMES.certificates)) {
      assert.ok(r.expr.includes(`namespace=~"${c.namespace}|${c.agentsNamespace}"`), `${env}: ${r.alert} selects both namespaces: ${r.expr}`);
    }
  }
});

const LOKI = { namespace: NS, job: `${NS}/loki`, route: 'loki_api_v1_push', method: 'POST', ws: 'false' };
const grouped = (l: Record<string, string>, keys: string[]): Record<string, string> => Object.fromEntries(keys.map((k) => [k, l[k] ?? '']));

test('promtool: LokiRequestErrors fires on 5xx above 10% of a route for 15m, quiet below and elsewhere', () => {
  const ok = { ...LOKI, status_code: '204' };
  const bad = { ...LOKI, status_code: '500' };
  const labels = grouped(LOKI, ['namespace', 'job', 'route']);
  promtoolTestRules(groups, [
    {
      name: 'half of the pushes fail',
      inputSeries: [series('loki_request_duration_seconds_count', ok, '0+30x40'), series('loki_request_duration_seconds_count', bad, '0+30x40')],
      alertRuleTests: [quiet('LokiRequestErrors', '10m'), firing('LokiRequestErrors', '25m', labels, '50%')],
    },
    {
      name: 'quiet: a few errors (2%), and errors in another namespace',
      inputSeries: [
        series('loki_request_duration_seconds_count', ok, '0+49x40'),
        series('loki_request_duration_seconds_count', bad, '0+1x40'),
        series('loki_request_duration_seconds_count', { ...bad, namespace: 'team-a' }, '0+30x40'),
      ],
      alertRuleTests: [quiet('LokiRequestErrors', '30m')],
    },
  ]);
});

test('promtool: LokiRequestLatency fires on a p99 over 1s per route for 15m, quiet when fast and on tail routes', () => {
  const b = (le: string, values: string, route = LOKI.route) => series('loki_request_duration_seconds_bucket', { ...LOKI, route, status_code: '204', le }, values);
  const labels = grouped(LOKI, ['namespace', 'job', 'route']);
  promtoolTestRules(groups, [
    {
      // Every request between 1s and 2.5s: p99 = 1 + 0.99 * 1.5 = 2.485s.
      name: 'slow pushes',
      inputSeries: [b('0.5', '0x40'), b('1', '0x40'), b('2.5', '0+10x40'), b('+Inf', '0+10x40')],
      alertRuleTests: [quiet('LokiRequestLatency', '10m'), firing('LokiRequestLatency', '25m', labels, '2.485s')],
    },
    {
      name: 'quiet: fast pushes, and a slow tail route',
      inputSeries: [
        b('0.5', '0+10x40'),
        b('1', '0+10x40'),
        b('2.5', '0+10x40'),
        b('+Inf', '0+10x40'),
        b('0.5', '0x40', 'loki_api_v1_tail'),
        b('+Inf', '0+10x40', 'loki_api_v1_tail'),
      ],
      alertRuleTests: [quiet('LokiRequestLatency', '30m')],
    },
  ]);
});

test('promtool: LokiDiscardingSamples fires while Loki discards lines for 15m, quiet when it stops or elsewhere', () => {
  const l = { namespace: NS, tenant: 'fake', reason: 'rate_limited', retention_hours: '744', policy: '', format: 'loki', job: `${NS}/loki`, pod: 'loki-0' };
  const labels = grouped(l, ['namespace', 'tenant', 'reason']);
  const a = alerts.get('LokiDiscardingSamples')!;
  // One literal check, independent of the template renderer above.
  assert.equal(rendered(a, labels, '1').summary, 'Loki is discarding log lines (rate_limited)');
  promtoolTestRules(groups, [
    {
      name: 'one line per second discarded',
      inputSeries: [series('loki_discarded_samples_total', l, '0+60x40')],
      alertRuleTests: [quiet('LokiDiscardingSamples', '10m'), firing('LokiDiscardingSamples', '25m', labels, '1')],
    },
    {
      name: 'quiet: discards that stopped, and discards in another namespace',
      inputSeries: [series('loki_discarded_samples_total', l, '0+60x5 300x60'), series('loki_discarded_samples_total', { ...l, namespace: 'team-a' }, '0+60x40')],
      alertRuleTests: [quiet('LokiDiscardingSamples', '40m')],
    },
  ]);
});

for (const [collector, dropped, requests, extra] of [
  ['Alloy', 'loki_write_dropped_entries_total', 'loki_write_request_duration_seconds_count', { tenant: '', component_id: 'loki.write.default', component_path: '/' }],
  ['Promtail', 'promtail_dropped_entries_total', 'promtail_request_duration_seconds_count', {}],
] as const) {
  const pod = `${collector.toLowerCase()}-x7k2p`;
  // the collectors run in the agents namespace (their own series carry the scraped pod's namespace)
  const base = { namespace: common.agentsNamespace, pod, host: `loki-gateway.${NS}.svc:443`, ...extra };

  test(`promtool: ${collector}DroppingLogEntries fires when ${collector} drops lines for 5m, quiet otherwise`, () => {
    const l = { ...base, tenant: '', reason: 'queue_is_full' };
    const labels = grouped(l, ['namespace', 'pod', 'reason']);
    promtoolTestRules(groups, [
      {
        name: 'one line per second dropped',
        inputSeries: [series(dropped, l, '0+60x20')],
        alertRuleTests: [quiet(`${collector}DroppingLogEntries`, '3m'), firing(`${collector}DroppingLogEntries`, '10m', labels, '1')],
      },
      {
        name: 'quiet: nothing dropped, and drops in another namespace',
        inputSeries: [series(dropped, l, '0x20'), series(dropped, { ...l, namespace: 'team-a' }, '0+60x20')],
        alertRuleTests: [quiet(`${collector}DroppingLogEntries`, '15m')],
      },
    ]);
  });

  test(`promtool: ${collector}LokiSendFailures fires when over 10% of pushes fail (transport errors are status -1), quiet below`, () => {
    const labels = grouped(base, ['namespace', 'pod']);
    promtoolTestRules(groups, [
      {
        name: 'half the pushes fail to connect',
        inputSeries: [series(requests, { ...base, status_code: '204' }, '0+30x40'), series(requests, { ...base, status_code: '-1' }, '0+30x40')],
        alertRuleTests: [quiet(`${collector}LokiSendFailures`, '10m'), firing(`${collector}LokiSendFailures`, '25m', labels, '50%')],
      },
      {
        name: 'quiet: a few 429s (about 3%)',
        inputSeries: [series(requests, { ...base, status_code: '204' }, '0+29x40'), series(requests, { ...base, status_code: '429' }, '0+1x40')],
        alertRuleTests: [quiet(`${collector}LokiSendFailures`, '30m')],
      },
    ]);
  });
}

const CERT = { namespace: NS, name: 'grafana-tls', issuer_name: 'mlobs-selfsigned', issuer_kind: 'Issuer', issuer_group: 'cert-manager.io', pod: 'cert-manager-5d9c-abcde', job: `${NS}/cert-manager` };
const certLabels = grouped(CERT, ['namespace', 'name', 'issuer_name']);

test('promtool: CertificateNotReady fires after 15m not Ready, quiet when Ready or in another namespace', () => {
  const ready = (condition: string, v: string, ns = NS) => series('certmanager_certificate_ready_status', { ...CERT, namespace: ns, condition }, v);
  promtoolTestRules(groups, [
    {
      name: 'not ready',
      inputSeries: [ready('True', '0x30'), ready('False', '1x30'), ready('Unknown', '0x30')],
      alertRuleTests: [quiet('CertificateNotReady', '10m'), firing('CertificateNotReady', '20m', certLabels, '1')],
    },
    {
      name: 'quiet: ready, and a failing certificate of another namespace',
      inputSeries: [ready('True', '1x30'), ready('False', '0x30'), ready('False', '1x30', 'team-a')],
      alertRuleTests: [quiet('CertificateNotReady', '25m')],
    },
    {
      name: "the agents namespace's trust bundle not ready (the collectors cannot verify their hop)",
      inputSeries: [ready('True', '0x30', common.agentsNamespace), ready('False', '1x30', common.agentsNamespace)],
      alertRuleTests: [firing('CertificateNotReady', '20m', { ...certLabels, namespace: common.agentsNamespace }, '1')],
    },
  ]);
});

test('promtool: CertificateRenewalOverdue and CertificateExpiringSoon fire when a renewal is overdue (the latter under 7 days left), quiet before the renewal time', () => {
  // promtool's clock starts at the epoch: a renewal time of 0 is overdue by the evaluation time.
  const renewal = (v: string) => series('certmanager_certificate_renewal_timestamp_seconds', CERT, v);
  const expiry = (v: string) => series('certmanager_certificate_expiration_timestamp_seconds', CERT, v);
  promtoolTestRules(groups, [
    {
      name: 'renewal due at 0, certificate valid for one day',
      inputSeries: [renewal('0x200'), expiry('86400x200')],
      alertRuleTests: [
        quiet('CertificateRenewalOverdue', '1h'),
        firing('CertificateRenewalOverdue', '2h', certLabels, '2h 0m 0s'),
        quiet('CertificateExpiringSoon', '1h'),
        firing('CertificateExpiringSoon', '2h', certLabels, '22h 0m 0s'),
      ],
    },
    {
      name: 'quiet: renewal not due yet (a certificate expiring in a day); an overdue certificate with months left only warns',
      inputSeries: [
        renewal('80000x200'),
        expiry('86400x200'),
        series('certmanager_certificate_renewal_timestamp_seconds', { ...CERT, name: 'long' }, '0x200'),
        series('certmanager_certificate_expiration_timestamp_seconds', { ...CERT, name: 'long' }, '10000000x200'),
      ],
      // The overdue one with months left is overdue, not expiring: only the warning fires, for it alone.
      alertRuleTests: [firing('CertificateRenewalOverdue', '3h', { ...certLabels, name: 'long' }, '3h 0m 0s'), quiet('CertificateExpiringSoon', '3h')],
    },
  ]);
});

const ES = { cluster: 'mlobs-logs', job: 'elasticsearch-exporter', instance: '10.0.0.9:9108' };

test('promtool: ElasticsearchClusterRed and ElasticsearchUnassignedShards fire on a red cluster and unassigned shards, quiet when green', () => {
  const health = (color: string, v: string) => series('elasticsearch_cluster_health_status', { ...ES, color }, v);
  const unassigned = (v: string) => series('elasticsearch_cluster_health_unassigned_shards', ES, v);
  const labels = { cluster: ES.cluster };
  promtoolTestRules(groups, [
    {
      name: 'red with three unassigned shards',
      inputSeries: [health('green', '0x60'), health('yellow', '0x60'), health('red', '1x60'), unassigned('3x60')],
      alertRuleTests: [
        quiet('ElasticsearchClusterRed', '3m'),
        firing('ElasticsearchClusterRed', '10m', labels, '1'),
        quiet('ElasticsearchUnassignedShards', '20m'),
        firing('ElasticsearchUnassignedShards', '40m', labels, '3'),
      ],
    },
    {
      name: 'quiet: green, all shards assigned',
      inputSeries: [health('green', '1x60'), health('yellow', '0x60'), health('red', '0x60'), unassigned('0x60')],
      alertRuleTests: [quiet('ElasticsearchClusterRed', '40m'), quiet('ElasticsearchUnassignedShards', '40m')],
    },
  ]);
});

test('promtool: the Elasticsearch disk watermark alerts fire past 85% and 90% used, quiet below', () => {
  const node = { ...ES, host: '10.0.1.4', name: 'mlobs-es-default-0', es_master_node: 'true', es_data_node: 'true', es_ingest_node: 'true', es_client_node: 'true', mount: '/usr/share/elasticsearch/data (/dev/sdb)', path: '/usr/share/elasticsearch/data' };
  const disk = (availableGiB: number) => [
    series('elasticsearch_filesystem_data_available_bytes', node, `${availableGiB * 2 ** 30}x40`),
    series('elasticsearch_filesystem_data_size_bytes', node, `${100 * 2 ** 30}x40`),
  ];
  const labels = grouped(node, ['cluster', 'name', 'mount']);
  promtoolTestRules(groups, [
    {
      name: '88% used: low watermark only',
      inputSeries: disk(12),
      alertRuleTests: [firing('ElasticsearchDiskLowWatermark', '20m', labels, '88%'), quiet('ElasticsearchDiskHighWatermark', '20m')],
    },
    {
      name: '95% used: both',
      inputSeries: disk(5),
      alertRuleTests: [firing('ElasticsearchDiskLowWatermark', '20m', labels, '95%'), firing('ElasticsearchDiskHighWatermark', '20m', labels, '95%')],
    },
    {
      name: 'quiet: 50% used',
      inputSeries: disk(50),
      alertRuleTests: [quiet('ElasticsearchDiskLowWatermark', '30m'), quiet('ElasticsearchDiskHighWatermark', '30m')],
    },
  ]);
});

// Logstash's own counters (contracts/logstash-monitoring.ts), as its sidecar's PodMonitor stores them:
// the Logstash pod's namespace/pod (honorLabels keeps the target's; the series has none of its own).
const LS = { namespace: NS, pod: 'mlobs-ls-0', container: 'statsd-exporter', endpoint: 'event-metrics', job: `${NS}/mlobs${LOGSTASH_METRICS_MONITOR_SUFFIX}`, instance: '10.0.0.7:9198' };
const lsLabels = grouped(LS, ['namespace', 'pod']);

test('promtool: LogstashPipelineStalled fires when the scraped Logstash counts no heartbeat for 5m (then 10m), quiet while heartbeats flow or when nothing is scraped', () => {
  const up = (v: string, labels: Record<string, string> = LS) => series('up', labels, v);
  // a heartbeat every 30s = 2 a minute while the pipeline moves; at 10m it stops
  const beats = (v: string, labels: Record<string, string> = LS) => series(LOGSTASH_HEARTBEAT_METRIC, labels, v);
  promtoolTestRules(groups, [
    {
      name: 'the pipeline stops at 10m',
      inputSeries: [up('1x40'), beats('0+2x10 20x30')],
      alertRuleTests: [quiet('LogstashPipelineStalled', '9m'), quiet('LogstashPipelineStalled', '20m'), firing('LogstashPipelineStalled', '30m', lsLabels, '1')],
    },
    {
      name: 'quiet: heartbeats flow; a stalled Logstash of another namespace; a Logstash that is not scraped (down: other alerts)',
      inputSeries: [up('1x40'), beats('0+2x40'), up('1x40', { ...LS, namespace: 'team-a', job: `team-a/mlobs${LOGSTASH_METRICS_MONITOR_SUFFIX}` }), up('0x40', { ...LS, pod: 'mlobs-ls-1' })],
      alertRuleTests: [quiet('LogstashPipelineStalled', '35m')],
    },
  ]);
});

test('promtool: LogstashFilterExceptions fires on Ruby filter exceptions for 15m, quiet on data failures (JSON, timestamp)', () => {
  const failures = (tag: string, v: string) => series(LOGSTASH_FILTER_FAILURES_METRIC, { ...LS, tag }, v);
  promtoolTestRules(groups, [
    {
      name: 'a filter raising on one event a minute',
      inputSeries: [failures('_rubyexception', '0+1x30')],
      alertRuleTests: [quiet('LogstashFilterExceptions', '10m'), firing('LogstashFilterExceptions', '25m', lsLabels, '16.67m')],
    },
    {
      name: 'quiet: lines that only look like JSON, unreadable times',
      inputSeries: [failures('_mlobs_json_failure', '0+60x30'), failures('_mlobs_timestamp_failure', '0+60x30')],
      alertRuleTests: [quiet('LogstashFilterExceptions', '25m')],
    },
  ]);
});

// Filebeat's counters as Logstash's sidecar stores them (by node; the Logstash pod's target labels), and
// kube-state-metrics' kube_pod_info for the Filebeat DaemonSet ECK creates (`<beat>-beat-filebeat`).
const FB = { ...LS, node: 'gpu-node-1' };
const fbPod = (node: string, v: string) =>
  series('kube_pod_info', { namespace: common.agentsNamespace, pod: `mlobs${FILEBEAT_DAEMONSET_SUFFIX}-${node}`, node, created_by_kind: 'DaemonSet', created_by_name: `mlobs${FILEBEAT_DAEMONSET_SUFFIX}`, job: 'kube-state-metrics' }, v);

test('promtool: FilebeatNotReporting fires for a node whose Filebeat runs but whose reports stopped, quiet while they arrive and on nodes without Filebeat', () => {
  const reports = (node: string, v: string) => series(FILEBEAT_REPORTS_METRIC, { ...FB, node }, v);
  promtoolTestRules(groups, [
    {
      name: 'reports stop at 10m on gpu-node-1, go on on gpu-node-2',
      inputSeries: [fbPod('gpu-node-1', '1x40'), fbPod('gpu-node-2', '1x40'), reports('gpu-node-1', '0+2x10 20x30'), reports('gpu-node-2', '0+2x40')],
      alertRuleTests: [quiet('FilebeatNotReporting', '15m'), firing('FilebeatNotReporting', '35m', { node: 'gpu-node-1' }, '1')],
    },
    {
      name: 'quiet: a Filebeat that never ran reports nothing expected; a node without Filebeat',
      inputSeries: [fbPod('gpu-node-2', '1x40'), reports('gpu-node-2', '0+2x40'), reports('gpu-node-3', '0x40')],
      alertRuleTests: [quiet('FilebeatNotReporting', '35m')],
    },
  ]);
});

test('promtool: FilebeatDroppingEvents fires on dropped events, FilebeatSendFailures over 10% failed sends for 15m; quiet below', () => {
  const out = (result: string, v: string) => series(FILEBEAT_OUTPUT_EVENTS_METRIC, { ...FB, result }, v);
  promtoolTestRules(groups, [
    {
      name: 'drops and a quarter of the sends failing',
      inputSeries: [out('acked', '0+30x40'), out('failed', '0+10x40'), out('dropped', '0x10 5x30')],
      alertRuleTests: [
        quiet('FilebeatDroppingEvents', '9m'),
        firing('FilebeatDroppingEvents', '13m', { node: 'gpu-node-1' }, '5'),
        quiet('FilebeatSendFailures', '10m'),
        firing('FilebeatSendFailures', '32m', { node: 'gpu-node-1' }, '25%'),
      ],
    },
    {
      name: 'quiet: nothing dropped, 3% failed',
      inputSeries: [out('acked', '0+97x40'), out('failed', '0+3x40'), out('dropped', '0x40')],
      alertRuleTests: [quiet('FilebeatDroppingEvents', '35m'), quiet('FilebeatSendFailures', '35m')],
    },
  ]);
});

test('promtool: FilebeatRateLimitingLines fires when a node keeps dropping lines over the per-stream limit for 15m, quiet for a short burst', () => {
  const limited = (v: string) => series(FILEBEAT_RATE_LIMITED_METRIC, FB, v);
  promtoolTestRules(groups, [
    {
      name: '100 lines dropped every minute',
      inputSeries: [limited('0+100x40')],
      alertRuleTests: [quiet('FilebeatRateLimitingLines', '10m'), firing('FilebeatRateLimitingLines', '30m', { node: 'gpu-node-1' }, '1.5k')],
    },
    {
      name: 'quiet: one burst at 2m, nothing since',
      inputSeries: [limited('0 0 500x38')],
      alertRuleTests: [quiet('FilebeatRateLimitingLines', '35m')],
    },
  ]);
});
