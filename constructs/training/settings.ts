/**
 * The training component's props vocabulary: which pods are scraped for their own /metrics and
 * the thresholds of the log-derived training alerts. Every default is a named constant here; the
 * environment schema (config/schema/gpu.ts) takes its defaults from them. Pure: no cdktf, no zod.
 */
import { withDefaults } from '../core/settings';
import { DEFAULT_JOB_LABEL_KEYS } from '../contracts/jobs';

/** Training alert thresholds and durations. */
export const DEFAULT_TRAINING_ALERTS = {
  stalledFor: '30m',
  stepTimeRatio: 1.5,
  stepTimeWindow: '15m',
  stepTimeBaseline: '2h',
  stepTimeFor: '15m',
  lossSpikeRatio: 2,
  lossSpikeWindow: '10m',
  lossSpikeBaseline: '1h',
  lossSpikeFor: '5m',
  gradNormRatio: 10,
  gradNormWindow: '5m',
  gradNormBaseline: '1h',
  gradNormFor: '2m',
  throughputDropRatio: 0.5,
  throughputWindow: '15m',
  throughputBaseline: '2h',
  throughputFor: '15m',
  errorLines: 50,
  errorLinesWindow: '5m',
} as const;

/** The label a training pod carries to have its /metrics scraped by the training PodMonitor. */
export const DEFAULT_TRAINING_SCRAPE_LABEL = { key: 'mlobs.dev/scrape', value: 'training' } as const;
/** Name of the container port a training pod exposes /metrics on. */
export const DEFAULT_TRAINING_METRICS_PORT = 'metrics';

export interface TrainingAlertSettings {
  /** TrainingJobStalled: no progress lines for this long while the pod is Running. */
  readonly stalledFor: string;
  /** TrainingStepTimeRegression: recent mean step time above this multiple of the baseline (> 1). */
  readonly stepTimeRatio: number;
  readonly stepTimeWindow: string;
  readonly stepTimeBaseline: string;
  readonly stepTimeFor: string;
  /** TrainingLossSpike: a job's mean loss over the window above this multiple (> 1) of its mean over the baseline just before. */
  readonly lossSpikeRatio: number;
  readonly lossSpikeWindow: string;
  readonly lossSpikeBaseline: string;
  readonly lossSpikeFor: string;
  /** TrainingGradientExplosion: a job's largest grad norm over the window above this multiple (> 1) of its mean over the baseline. */
  readonly gradNormRatio: number;
  readonly gradNormWindow: string;
  readonly gradNormBaseline: string;
  readonly gradNormFor: string;
  /** TrainingThroughputDrop: a job's mean throughput over the window below this fraction (0 < r < 1) of its baseline mean. */
  readonly throughputDropRatio: number;
  readonly throughputWindow: string;
  readonly throughputBaseline: string;
  readonly throughputFor: string;
  /** TrainingErrorLines: more than this many error-level lines from one job in the window. */
  readonly errorLines: number;
  readonly errorLinesWindow: string;
}

/** The training component's settings, every default applied. */
export interface TrainingSettings {
  readonly scrapeLabel: { readonly key: string; readonly value: string };
  readonly metricsPort: string;
  /** Pod label keys that name a pod's training job, tried in order (contracts/jobs.ts). */
  readonly jobLabels: readonly string[];
  readonly alerts: TrainingAlertSettings;
}

/** What a caller passes: every field optional, each with the default named above. */
export interface TrainingOptions {
  /** @default DEFAULT_TRAINING_SCRAPE_LABEL */
  readonly scrapeLabel?: { readonly key: string; readonly value: string };
  /** @default DEFAULT_TRAINING_METRICS_PORT ('metrics') */
  readonly metricsPort?: string;
  /** @default DEFAULT_JOB_LABEL_KEYS (Kubeflow Trainer/Training Operator, JobSet, LeaderWorkerSet, Volcano, KubeRay, batch Job) */
  readonly jobLabels?: readonly string[];
  /** @default DEFAULT_TRAINING_ALERTS (field by field) */
  readonly alerts?: Partial<TrainingAlertSettings>;
}

/** The settings for `options`, defaults applied field by field. */
export function trainingSettings(options: TrainingOptions = {}): TrainingSettings {
  return {
    scrapeLabel: options.scrapeLabel ?? DEFAULT_TRAINING_SCRAPE_LABEL,
    metricsPort: options.metricsPort ?? DEFAULT_TRAINING_METRICS_PORT,
    jobLabels: options.jobLabels ?? DEFAULT_JOB_LABEL_KEYS,
    alerts: withDefaults<TrainingAlertSettings>(DEFAULT_TRAINING_ALERTS, options.alerts),
  };
}
