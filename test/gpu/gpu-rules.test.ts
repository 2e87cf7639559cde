/**
 * GPU health alerts: promtool check + test rules, each alert firing and quiet, on series
 * shaped like dcgm-exporter's (with the `node` label our ServiceMonitor adds).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderGpuRuleGroups, CRITICAL_XIDS, DCGM_JOB } from '../../constructs/gpu';
import { gpuSchema } from '../../config/schema/gpu';
import { promtoolCheckRules, promtoolTestRules, type AlertExpectation, type RuleTest, type SeriesInput } from '../helpers/promtool';
import { alertNames, findAlert, renderedAnnotations } from './helpers';

const settings = gpuSchema.parse({});
const groups = renderGpuRuleGroups(settings.alerts);

/** Labels of a GPU allocated to a training pod, as scraped. */
const GPU0 = {
  gpu: '0',
  UUID: 'GPU-5fa3c2a1-0000-4f6e-9a0b-1c2d3e4f5a60',
  modelName: 'NVIDIA H100 80GB HBM3',
  Hostname: 'gpu-node-1',
  node: 'gpu-node-1',
  instance: '10.42.3.17:9400',
  job: DCGM_JOB,
  namespace: 'ml-research',
  pod: 'llama-ft-worker-0',
  container: 'trainer',
};
const GPU1 = { ...GPU0, gpu: '1', UUID: 'GPU-5fa3c2a1-0001-4f6e-9a0b-1c2d3e4f5a61', namespace: '', pod: '', container: '' };

function sel(metric: string, labels: Readonly<Record<string, string>>): string {
  const inner = Object.entries(labels)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  return `${metric}{${inner}}`;
}
const series = (metric: string, labels: Readonly<Record<string, string>>, values: string): SeriesInput => ({ series: sel(metric, labels), values });
const nonEmpty = (l: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(l).filter(([, v]) => v !== ''));

function fires(alertname: string, evalTime: string, labels: Readonly<Record<string, string>>, value: string): AlertExpectation {
  const a = findAlert(groups, alertname);
  const l = nonEmpty(labels);
  return { evalTime, alertname, expAlerts: [{ expLabels: { ...l, ...a.labels }, expAnnotations: renderedAnnotations(a, l, value) }] };
}
const quiet = (alertname: string, evalTime: string): AlertExpectation => ({ evalTime, alertname, expAlerts: [] });

test('GPU rules pass promtool check rules and the house rules (severity, component: gpu, annotations)', () => {
  promtoolCheckRules(groups);
  for (const name of alertNames(groups)) {
    const a = findAlert(groups, name);
    assert.equal(a.labels.component, 'gpu', name);
    assert.match(a.annotations.description, /What to do:/, `${name}: the description says what to do`);
  }
});

test('the critical Xid set is 48, 63, 64, 74, 79, 92, 94, 95, 119, 120, each with its meaning and NVIDIA action', () => {
  assert.deepEqual(CRITICAL_XIDS.flatMap((x) => x.codes).sort((a, b) => a - b), [48, 63, 64, 74, 79, 92, 94, 95, 119, 120]);
  for (const x of CRITICAL_XIDS) {
    const a = findAlert(groups, x.alert);
    assert.equal(a.labels.severity, 'critical');
    for (const c of x.codes) assert.match(a.annotations.description, new RegExp(`Xid[^.]*\\b${c}\\b`), `${x.alert} explains Xid ${c}`);
    assert.ok(a.annotations.description.includes(x.action));
  }
});

test('promtool: Xid 79 on one GPU fires GpuFellOffBus (critical) with its gpu and node labels; the other GPU stays quiet', () => {
  promtoolTestRules(groups, [
    {
      name: 'xid 79',
      inputSeries: [series('DCGM_FI_DEV_XID_ERRORS', GPU0, '0 0 79x10'), series('DCGM_FI_DEV_XID_ERRORS', GPU1, '0x12')],
      alertRuleTests: [
        quiet('GpuFellOffBus', '1m'),
        fires('GpuFellOffBus', '5m', GPU0, '79'),
        quiet('GpuXidError', '5m'),
        quiet('GpuXidDoubleBitEcc', '5m'),
      ],
    },
  ]);
  const a = findAlert(groups, 'GpuFellOffBus');
  assert.equal(a.labels.severity, 'critical');
});

test('promtool: every critical Xid fires its own alert, and only that one', () => {
  const tests: RuleTest[] = CRITICAL_XIDS.flatMap((x) =>
    x.codes.map((code) => ({
      name: `xid ${code}`,
      inputSeries: [series('DCGM_FI_DEV_XID_ERRORS', GPU0, `0 0 ${code}x10`)],
      alertRuleTests: [
        fires(x.alert, '5m', GPU0, String(code)),
        quiet('GpuXidError', '5m'),
        ...CRITICAL_XIDS.filter((o) => o.alert !== x.alert).map((o) => quiet(o.alert, '5m')),
      ],
    })),
  );
  promtoolTestRules(groups, tests);
});

test('promtool: Xid 13 (application error) raises only the GpuXidError warning, never a page', () => {
  promtoolTestRules(groups, [
    {
      name: 'xid 13',
      inputSeries: [series('DCGM_FI_DEV_XID_ERRORS', GPU0, '0 0 13x10')],
      alertRuleTests: [fires('GpuXidError', '5m', GPU0, '13'), ...CRITICAL_XIDS.map((x) => quiet(x.alert, '5m'))],
    },
    { name: 'no xid', inputSeries: [series('DCGM_FI_DEV_XID_ERRORS', GPU0, '0x10')], alertRuleTests: [quiet('GpuXidError', '5m')] },
  ]);
  assert.equal(findAlert(groups, 'GpuXidError').labels.severity, 'warning');
});

test('promtool: uncorrectable ECC, row-remap failure and pending remaps fire; clean memory is quiet', () => {
  promtoolTestRules(groups, [
    {
      name: 'memory errors',
      inputSeries: [
        series('DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', GPU0, '0 0 0 2x20'),
        series('DCGM_FI_DEV_ROW_REMAP_FAILURE', GPU0, '0 0 0 1x20'),
        series('DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', GPU0, '0 0 0 1x20'),
      ],
      alertRuleTests: [
        fires('GpuEccUncorrectableErrors', '5m', GPU0, ''),
        fires('GpuRowRemapFailure', '5m', GPU0, '1'),
        fires('GpuMemoryRemapPending', '5m', GPU0, ''),
      ],
    },
    {
      name: 'clean memory',
      inputSeries: [
        series('DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', GPU0, '3x20'),
        series('DCGM_FI_DEV_ROW_REMAP_FAILURE', GPU0, '0x20'),
        series('DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', GPU0, '1x20'),
        series('DCGM_FI_DEV_RETIRED_PENDING', GPU0, '0x20'),
      ],
      alertRuleTests: [quiet('GpuEccUncorrectableErrors', '15m'), quiet('GpuRowRemapFailure', '15m'), quiet('GpuMemoryRemapPending', '15m')],
    },
  ]);
});

test('promtool: NVLink errors increasing fire GpuNvlinkErrors; flat counters are quiet', () => {
  const nv = (k: string, v: string) => series(`DCGM_FI_DEV_NVLINK_${k}_ERROR_COUNT_TOTAL`, GPU0, v);
  promtoolTestRules(groups, [
    {
      name: 'nvlink replay errors',
      inputSeries: [nv('CRC_FLIT', '0x20'), nv('CRC_DATA', '0x20'), nv('REPLAY', '0+5x20'), nv('RECOVERY', '0x20')],
      alertRuleTests: [fires('GpuNvlinkErrors', '10m', GPU0, '')],
    },
    {
      name: 'nvlink clean',
      inputSeries: [nv('CRC_FLIT', '7x20'), nv('CRC_DATA', '0x20'), nv('REPLAY', '2x20'), nv('RECOVERY', '0x20')],
      alertRuleTests: [quiet('GpuNvlinkErrors', '10m')],
    },
  ]);
});

test('promtool: sustained high temperature warns, near the slowdown limit pages; a short spike is quiet', () => {
  promtoolTestRules(groups, [
    {
      name: 'hot',
      inputSeries: [series('DCGM_FI_DEV_GPU_TEMP', GPU0, '70 85x30')],
      alertRuleTests: [quiet('GpuTemperatureHigh', '10m'), fires('GpuTemperatureHigh', '20m', GPU0, '85'), quiet('GpuTemperatureCritical', '20m')],
    },
    {
      name: 'very hot',
      inputSeries: [series('DCGM_FI_DEV_GPU_TEMP', GPU0, '70 90x30')],
      alertRuleTests: [fires('GpuTemperatureCritical', '10m', GPU0, '90')],
    },
    {
      name: 'spike',
      inputSeries: [series('DCGM_FI_DEV_GPU_TEMP', GPU0, '70 90x3 70x30')],
      alertRuleTests: [quiet('GpuTemperatureHigh', '25m'), quiet('GpuTemperatureCritical', '25m')],
    },
  ]);
});

test('promtool: thermal and power throttling above the fraction fire; light throttling is quiet', () => {
  // Counters in ns: +30e9 per minute = throttled half of the time; +6e9 = 10%.
  promtoolTestRules(groups, [
    {
      name: 'throttled',
      inputSeries: [series('DCGM_FI_DEV_THERMAL_VIOLATION', GPU0, '0+30000000000x40'), series('DCGM_FI_DEV_POWER_VIOLATION', GPU0, '0+30000000000x40')],
      alertRuleTests: [fires('GpuThermalThrottling', '25m', GPU0, ''), fires('GpuPowerThrottling', '25m', GPU0, '')],
    },
    {
      name: 'lightly throttled',
      inputSeries: [series('DCGM_FI_DEV_THERMAL_VIOLATION', GPU0, '0+6000000000x40'), series('DCGM_FI_DEV_POWER_VIOLATION', GPU0, '0+6000000000x40')],
      alertRuleTests: [quiet('GpuThermalThrottling', '25m'), quiet('GpuPowerThrottling', '25m')],
    },
  ]);
});

test('promtool: framebuffer nearly full for 30m fires; 75% used is quiet', () => {
  promtoolTestRules(groups, [
    {
      name: 'fb full',
      inputSeries: [series('DCGM_FI_DEV_FB_USED', GPU0, '79000x45'), series('DCGM_FI_DEV_FB_FREE', GPU0, '1000x45')],
      alertRuleTests: [quiet('GpuMemoryNearlyFull', '20m'), fires('GpuMemoryNearlyFull', '40m', GPU0, '')],
    },
    {
      name: 'fb ok',
      inputSeries: [series('DCGM_FI_DEV_FB_USED', GPU0, '60000x45'), series('DCGM_FI_DEV_FB_FREE', GPU0, '20000x45')],
      alertRuleTests: [quiet('GpuMemoryNearlyFull', '40m')],
    },
  ]);
});

test('promtool: a GPU allocated to a pod but idle for an hour fires; busy or unallocated GPUs are quiet', () => {
  promtoolTestRules(groups, [
    {
      name: 'idle allocated',
      inputSeries: [series('DCGM_FI_DEV_GPU_UTIL', GPU0, '0x90'), series('DCGM_FI_DEV_GPU_UTIL', GPU1, '0x90')],
      alertRuleTests: [quiet('GpuAllocatedIdle', '30m'), fires('GpuAllocatedIdle', '80m', GPU0, '')],
    },
    {
      name: 'busy',
      inputSeries: [series('DCGM_FI_DEV_GPU_UTIL', GPU0, '95x90')],
      alertRuleTests: [quiet('GpuAllocatedIdle', '80m')],
    },
  ]);
});

test('promtool: GpuLost fires for a GPU that stopped reporting on a live node, and for a down exporter; quiet otherwise', () => {
  const gone = { node: GPU1.node, Hostname: GPU1.Hostname, gpu: GPU1.gpu, UUID: GPU1.UUID, modelName: GPU1.modelName };
  const up = { instance: GPU0.instance, job: DCGM_JOB, node: GPU0.node };
  promtoolTestRules(groups, [
    {
      name: 'gpu 1 gone',
      inputSeries: [
        series('DCGM_FI_DEV_GPU_TEMP', GPU0, '60x40'),
        series('DCGM_FI_DEV_GPU_TEMP', GPU1, '60x10'),
        series('kube_node_info', { node: GPU0.node }, '1x40'),
        series('up', up, '1x40'),
      ],
      alertRuleTests: [quiet('GpuLost', '10m'), fires('GpuLost', '30m', gone, '')],
    },
    {
      name: 'exporter down',
      inputSeries: [series('up', up, '1 1 0x20')],
      alertRuleTests: [fires('GpuLost', '15m', up, '0')],
    },
    {
      name: 'node scaled down',
      inputSeries: [series('DCGM_FI_DEV_GPU_TEMP', GPU0, '60x10'), series('kube_node_info', { node: GPU0.node }, '1x10')],
      alertRuleTests: [quiet('GpuLost', '30m')],
    },
    {
      name: 'all present',
      inputSeries: [series('DCGM_FI_DEV_GPU_TEMP', GPU0, '60x40'), series('DCGM_FI_DEV_GPU_TEMP', GPU1, '60x40'), series('kube_node_info', { node: GPU0.node }, '1x40'), series('up', up, '1x40')],
      alertRuleTests: [quiet('GpuLost', '30m')],
    },
  ]);
});

test('promtool: GpuAlertMetricsMissing fires per missing throttling counter on a node whose exporter reports temperatures; quiet with our counters or no exporter', () => {
  const node = { node: GPU0.node };
  promtoolTestRules(groups, [
    {
      name: 'default counters (throttling fields commented out)',
      inputSeries: [series('DCGM_FI_DEV_GPU_TEMP', GPU0, '60x50'), series('DCGM_FI_DEV_GPU_TEMP', GPU1, '60x50')],
      alertRuleTests: [
        quiet('GpuAlertMetricsMissing', '20m'),
        {
          evalTime: '40m',
          alertname: 'GpuAlertMetricsMissing',
          expAlerts: ['DCGM_FI_DEV_POWER_VIOLATION', 'DCGM_FI_DEV_THERMAL_VIOLATION'].map((f) => {
            const labels = { ...node, missing_field: f };
            return { expLabels: { ...labels, ...findAlert(groups, 'GpuAlertMetricsMissing').labels }, expAnnotations: renderedAnnotations(findAlert(groups, 'GpuAlertMetricsMissing'), labels, '2') };
          }),
        },
      ],
    },
    {
      name: 'our counters',
      inputSeries: [
        series('DCGM_FI_DEV_GPU_TEMP', GPU0, '60x50'),
        series('DCGM_FI_DEV_THERMAL_VIOLATION', GPU0, '0x50'),
        series('DCGM_FI_DEV_POWER_VIOLATION', GPU0, '0x50'),
      ],
      alertRuleTests: [quiet('GpuAlertMetricsMissing', '40m')],
    },
    { name: 'no exporter at all', inputSeries: [series('kube_node_info', node, '1x50')], alertRuleTests: [quiet('GpuAlertMetricsMissing', '40m')] },
  ]);
});

test('thresholds come from config: a custom temperature limit changes the rule', () => {
  const custom = renderGpuRuleGroups(gpuSchema.parse({ alerts: { temperatureCriticalCelsius: 92 } }).alerts);
  assert.equal(findAlert(custom, 'GpuTemperatureCritical').expr, 'DCGM_FI_DEV_GPU_TEMP >= 92');
  assert.throws(() => gpuSchema.parse({ alerts: { memoryUsedFraction: 1.5 } }), /at most 1/);
});
