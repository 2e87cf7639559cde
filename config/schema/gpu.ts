/**
 * The `gpu` and `training` sections of the environment schema: which dcgm-exporter runs and
 * where, and the thresholds/durations of the GPU health and training alerts. Every default is
 * a named constant of the component (constructs/gpu/settings.ts, constructs/training/settings.ts),
 * repeated in the field's description so that editors show it.
 */
import { z } from 'zod';
import { dnsLabel, duration, labelKey, labelMap, resourceRequirements, secretRef } from './primitives';
import { DEFAULT_JOB_LABEL_KEYS, MAX_JOB_LABEL_KEYS } from '../../constructs/contracts/jobs';
import type { Conforms } from './conforms';
import {
  DEFAULT_GPU_ALERTS,
  DEFAULT_GPU_EXPORTER,
  DEFAULT_GPU_NODE_SELECTOR,
  DEFAULT_GPU_OPERATOR,
  DEFAULT_GPU_PROFILING_METRICS,
  DEFAULT_GPU_REMEDIATION_MODE,
  DEFAULT_GPU_RESPONDER,
  DEFAULT_GPU_TOLERATIONS,
  GPU_EXPORTER_MODES,
  GPU_REMEDIATION_MODES,
  MAX_RESPONDER_WINDOW_SECONDS,
  type GpuAlertSettings,
  type GpuExporterMode,
  type GpuSettings,
  type GpuToleration,
} from '../../constructs/gpu/settings';
import {
  DEFAULT_TRAINING_ALERTS,
  DEFAULT_TRAINING_METRICS_PORT,
  DEFAULT_TRAINING_SCRAPE_LABEL,
  type TrainingAlertSettings,
  type TrainingSettings,
} from '../../constructs/training/settings';

export { GPU_EXPORTER_MODES, GPU_REMEDIATION_MODES, DEFAULT_GPU_REMEDIATION_MODE, DEFAULT_GPU_RESPONDER, DEFAULT_GPU_NODE_SELECTOR, DEFAULT_GPU_TOLERATIONS, DEFAULT_GPU_OPERATOR, DEFAULT_GPU_ALERTS };
export { DEFAULT_TRAINING_ALERTS, DEFAULT_TRAINING_SCRAPE_LABEL, DEFAULT_TRAINING_METRICS_PORT };
export type { GpuExporterMode, GpuToleration, GpuSettings, GpuAlertSettings, TrainingSettings, TrainingAlertSettings };

const toleration = z.strictObject({
  key: z.string().min(1).describe('Taint key, e.g. nvidia.com/gpu'),
  operator: z.enum(['Exists', 'Equal']).default('Exists').describe('Default: Exists'),
  value: z.string().optional().describe('Taint value (operator Equal only)'),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional().describe('Taint effect. Default: every effect'),
});

const fraction = (what: string, dflt: number) =>
  z
    .number()
    .gt(0, { message: 'must be more than 0' })
    .max(1, { message: 'must be at most 1 (a fraction, e.g. 0.95)' })
    .default(dflt)
    .describe(`${what}. Default: ${dflt}`);

const celsius = (what: string, dflt: number) =>
  z.number().int().min(30, { message: 'must be at least 30 (°C)' }).max(120, { message: 'must be at most 120 (°C)' }).default(dflt).describe(`${what}. Default: ${dflt}`);

const d = (what: string, dflt: string) => duration(`${what}. Default: ${dflt}`).default(dflt);
const above1 = (what: string, dflt: number) =>
  z.number().gt(1, { message: 'must be more than 1 (e.g. 2 = twice the baseline)' }).max(1000, { message: 'must be at most 1000' }).default(dflt).describe(`${what}. Default: ${dflt}`);

/** What to write for the responder's token (shown in errors). */
const TOKEN_SECRET_EXAMPLE = 'tokenSecret: { name: mlobs-gpu-responder-token, key: token }';

const R = DEFAULT_GPU_RESPONDER;
const responder = z
  .strictObject({
    dryRun: z
      .boolean()
      .default(R.dryRun)
      .describe(`Decide, log and record Events, but change no node; an environment must say false for the responder to act. Default: ${R.dryRun}`),
    maxNodes: z
      .number()
      .int({ message: 'must be a whole number of nodes' })
      .min(0, { message: 'must be at least 0 (0: never act)' })
      .max(10_000, { message: 'must be at most 10000' })
      .default(R.maxNodes)
      .describe(`Never more than this many nodes quarantined within windowSeconds (0: never act). Default: ${R.maxNodes}`),
    maxPercent: z
      .number()
      .gt(0, { message: 'must be more than 0 (use maxNodes: 0 to never act)' })
      .max(100, { message: 'must be at most 100 (a percentage)' })
      .default(R.maxPercent)
      .describe(`Never more than this percentage of the GPU nodes quarantined within windowSeconds (strict: with 3 GPU nodes and 25, none). Default: ${R.maxPercent}`),
    windowSeconds: z
      .number()
      .int({ message: 'must be a whole number of seconds' })
      .min(1, { message: 'must be at least 1' })
      .max(MAX_RESPONDER_WINDOW_SECONDS, { message: `must be at most ${MAX_RESPONDER_WINDOW_SECONDS} (a week)` })
      .default(R.windowSeconds)
      .describe(`The rate-limit window, in seconds. Default: ${R.windowSeconds}`),
    // A string here (a literal token) is refused by config/errors.ts's literal-credential message.
    tokenSecret: secretRef
      .optional()
      .describe(`The bearer token Alertmanager presents and the responder checks: a key of a Secret you create in the stack namespace (never the token itself). Required in responder mode, e.g. ${TOKEN_SECRET_EXAMPLE}`),
    resources: resourceRequirements.default(R.resources).describe(`Requests and limits of the responder. Default: ${JSON.stringify(R.resources)}`),
  })
  .prefault({})
  .describe('The quarantine responder (responder mode): safety settings and its token Secret');

const remediation = z
  .strictObject({
    mode: z
      .enum(GPU_REMEDIATION_MODES)
      .default(DEFAULT_GPU_REMEDIATION_MODE)
      .describe(
        `What acts on a node whose GPU failed fatally. nvsentinel: the team runs NVIDIA NVSentinel; responder: the stack's quarantine responder cordons and taints the node (never drains, resets or reboots); none: alerts page humans only. Default: ${DEFAULT_GPU_REMEDIATION_MODE}`,
      ),
    responder,
  })
  .superRefine((r, ctx) => {
    if (r.mode === 'responder' && r.responder.tokenSecret === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['responder', 'tokenSecret'],
        message: `is required in responder mode (Alertmanager authenticates with this token); create a Secret in the stack namespace and please set: gpu.remediation.responder.${TOKEN_SECRET_EXAMPLE}`,
      });
    }
  })
  .prefault({})
  .describe('GPU remediation: NVSentinel, the stack\'s quarantine responder, or none');

const D = DEFAULT_GPU_ALERTS;
const gpuAlerts = z
  .strictObject({
    temperatureWarningCelsius: celsius('GpuTemperatureHigh fires at or above this GPU temperature (°C), sustained for temperatureFor', D.temperatureWarningCelsius),
    temperatureCriticalCelsius: celsius('GpuTemperatureCritical fires at or above this temperature (°C): near the slowdown limit of data-center GPUs', D.temperatureCriticalCelsius),
    temperatureFor: d('How long the temperature must stay high', D.temperatureFor),
    throttledFraction: fraction('Thermal/power throttling alerts fire when the GPU was throttled more than this fraction of the time', D.throttledFraction),
    throttledFor: d('How long throttling must last', D.throttledFor),
    memoryUsedFraction: fraction('GpuMemoryNearlyFull fires when framebuffer used / (used + free) is above this', D.memoryUsedFraction),
    memoryFor: d('How long the framebuffer must stay nearly full', D.memoryFor),
    idleUtilizationPercent: z.number().min(0).max(100).default(D.idleUtilizationPercent).describe(`GpuAllocatedIdle: a GPU allocated to a pod whose utilization stays below this percent. Default: ${D.idleUtilizationPercent}`),
    idleFor: d('How long an allocated GPU must stay idle', D.idleFor),
    nvlinkErrorsPer15m: z.number().int().min(0).default(D.nvlinkErrorsPer15m).describe(`GpuNvlinkErrors fires when NVLink CRC/replay/recovery errors in 15 minutes exceed this. Default: ${D.nvlinkErrorsPer15m}`),
    lostLookback: d('GpuLost: a GPU seen within this window but no longer reported', D.lostLookback),
    lostFor: d('How long a GPU (or its exporter) must be gone before GpuLost fires', D.lostFor),
  })
  .prefault({})
  .describe('Thresholds and durations of the GPU health alerts');

export const gpuSchema = z
  .strictObject({
    exporter: z
      .enum(GPU_EXPORTER_MODES)
      .default(DEFAULT_GPU_EXPORTER)
      .describe(
        `bundled: deploy dcgm-exporter on GPU nodes; gpu-operator: scrape the one the NVIDIA GPU Operator runs; none. Default: ${DEFAULT_GPU_EXPORTER}`,
      ),
    nodeSelector: labelMap
      .default({ ...DEFAULT_GPU_NODE_SELECTOR })
      .describe(`bundled: the exporter DaemonSet runs only on nodes with these labels. Default: ${JSON.stringify(DEFAULT_GPU_NODE_SELECTOR)}`),
    tolerations: z
      .array(toleration)
      .default(DEFAULT_GPU_TOLERATIONS.map((t) => ({ ...t })))
      .describe(`bundled: taints of GPU nodes the exporter tolerates. Default: ${JSON.stringify(DEFAULT_GPU_TOLERATIONS)}`),
    profilingMetrics: z
      .boolean()
      .default(DEFAULT_GPU_PROFILING_METRICS)
      .describe(`bundled: export DCP profiling fields (DCGM_FI_PROF_*, Volta and newer); grants the exporter the SYS_ADMIN capability. Default: ${DEFAULT_GPU_PROFILING_METRICS}`),
    operator: z
      .strictObject({
        namespace: dnsLabel(`gpu-operator: namespace of the GPU Operator. Default: ${DEFAULT_GPU_OPERATOR.namespace}`).default(DEFAULT_GPU_OPERATOR.namespace),
        serviceLabels: labelMap
          .default({ ...DEFAULT_GPU_OPERATOR.serviceLabels })
          .describe(`gpu-operator: labels of its dcgm-exporter Service. Default: ${JSON.stringify(DEFAULT_GPU_OPERATOR.serviceLabels)}`),
        portName: z.string().min(1).default(DEFAULT_GPU_OPERATOR.portName).describe(`gpu-operator: name of the Service's metrics port. Default: ${DEFAULT_GPU_OPERATOR.portName}`),
        countersConfigMap: dnsLabel(
          `gpu-operator: the ConfigMap (in the operator's namespace) the stack writes the counters CSV into; set the ClusterPolicy's spec.dcgmExporter.config.name to it. Default: ${DEFAULT_GPU_OPERATOR.countersConfigMap}`,
        ).default(DEFAULT_GPU_OPERATOR.countersConfigMap),
      })
      .prefault({})
      .describe('Where the GPU Operator runs dcgm-exporter (gpu-operator mode)'),
    alerts: gpuAlerts,
    remediation,
  })
  .prefault({})
  .describe('GPU metrics, alerts and remediation');

const T = DEFAULT_TRAINING_ALERTS;
export const trainingSchema = z
  .strictObject({
    scrapeLabel: z
      .strictObject({
        key: z.string().min(1).default(DEFAULT_TRAINING_SCRAPE_LABEL.key).describe(`Default: ${DEFAULT_TRAINING_SCRAPE_LABEL.key}`),
        value: z.string().min(1).default(DEFAULT_TRAINING_SCRAPE_LABEL.value).describe(`Default: ${DEFAULT_TRAINING_SCRAPE_LABEL.value}`),
      })
      .prefault({})
      .describe('Pods with this label (in any namespace) get their /metrics scraped by the training PodMonitor'),
    metricsPort: z.string().min(1).default(DEFAULT_TRAINING_METRICS_PORT).describe(`Name of the container port serving /metrics. Default: ${DEFAULT_TRAINING_METRICS_PORT}`),
    jobLabels: z
      .array(labelKey)
      .min(1, { message: 'needs at least one pod label key; please set e.g. [batch.kubernetes.io/job-name]' })
      .max(MAX_JOB_LABEL_KEYS, { message: `must list at most ${MAX_JOB_LABEL_KEYS} keys (each is one more relabeling input per target)` })
      .refine((a) => new Set(a).size === a.length, { message: 'lists a key twice' })
      .default([...DEFAULT_JOB_LABEL_KEYS])
      .describe(`Pod label keys that name a pod's training job (the \`job\` label on log streams, log-derived metrics and scraped training metrics), tried in order. Default: ${DEFAULT_JOB_LABEL_KEYS.join(', ')}`),
    alerts: z
      .strictObject({
        stalledFor: d('TrainingJobStalled: no progress lines for this long while the pod is Running', T.stalledFor),
        stepTimeRatio: z.number().gt(1, { message: 'must be more than 1 (e.g. 1.5 = 50% slower)' }).default(T.stepTimeRatio).describe(`TrainingStepTimeRegression: recent mean step time above this multiple of the baseline. Default: ${T.stepTimeRatio}`),
        stepTimeWindow: d('Window of the recent mean step time', T.stepTimeWindow),
        stepTimeBaseline: d('Window of the baseline, just before the recent window', T.stepTimeBaseline),
        stepTimeFor: d('How long the regression must last', T.stepTimeFor),
        lossSpikeRatio: above1('TrainingLossSpike: a job\'s mean loss over lossSpikeWindow above this multiple of its mean over the lossSpikeBaseline before', T.lossSpikeRatio),
        lossSpikeWindow: d('Window of the recent mean loss', T.lossSpikeWindow),
        lossSpikeBaseline: d('Window of the loss baseline, just before the recent window', T.lossSpikeBaseline),
        lossSpikeFor: d('How long the spike must last', T.lossSpikeFor),
        gradNormRatio: above1('TrainingGradientExplosion: a job\'s largest grad norm over gradNormWindow above this multiple of its mean over the gradNormBaseline before', T.gradNormRatio),
        gradNormWindow: d('Window of the recent largest grad norm', T.gradNormWindow),
        gradNormBaseline: d('Window of the grad-norm baseline, just before the recent window', T.gradNormBaseline),
        gradNormFor: d('How long the explosion must last', T.gradNormFor),
        throughputDropRatio: z
          .number()
          .gt(0, { message: 'must be more than 0' })
          .lt(1, { message: 'must be less than 1 (e.g. 0.5 = half the baseline)' })
          .default(T.throughputDropRatio)
          .describe(`TrainingThroughputDrop: a job's mean throughput over throughputWindow below this fraction of its mean over the throughputBaseline before. Default: ${T.throughputDropRatio}`),
        throughputWindow: d('Window of the recent mean throughput', T.throughputWindow),
        throughputBaseline: d('Window of the throughput baseline, just before the recent window', T.throughputBaseline),
        throughputFor: d('How long the drop must last', T.throughputFor),
        errorLines: z
          .number()
          .int({ message: 'must be a whole number of lines' })
          .min(1, { message: 'must be at least 1' })
          .max(1_000_000, { message: 'must be at most 1000000' })
          .default(T.errorLines)
          .describe(`TrainingErrorLines: more than this many error-level lines from one job in errorLinesWindow. Default: ${T.errorLines}`),
        errorLinesWindow: d('Window in which error lines are counted', T.errorLinesWindow),
      })
      .prefault({})
      .describe('Thresholds and durations of the training alerts'),
  })
  .prefault({})
  .describe('Training jobs: scraping of their own metrics and the log-derived training alerts');

/** The schema's output is what the components take (compile-time check). */
export type GpuSchemaOutput = Conforms<z.output<typeof gpuSchema>, GpuSettings>;
export type TrainingSchemaOutput = Conforms<z.output<typeof trainingSchema>, TrainingSettings>;
