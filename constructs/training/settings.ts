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
}

/** The training component's settings, every default applied. */
export interface TrainingSettings {
  readonly scrapeLabel: { readonly key: string; readonly value: string };
  readonly metricsPort: string;
  /** Pod label keys that name a pod's training job, tried in order (contracts/jobs.ts). */
  readonly jobLabelKeys: readonly string[];
  readonly alerts: TrainingAlertSettings;
}

/** What a caller passes: every field optional, each with the default named above. */
export interface TrainingOptions {
  /** @default DEFAULT_TRAINING_SCRAPE_LABEL */
  readonly scrapeLabel?: { readonly key: string; readonly value: string };
  /** @default DEFAULT_TRAINING_METRICS_PORT ('metrics') */
  readonly metricsPort?: string;
  /** @default DEFAULT_JOB_LABEL_KEYS (Kubeflow Trainer/Training Operator, JobSet, LeaderWorkerSet, Volcano, KubeRay, batch Job) */
  readonly jobLabelKeys?: readonly string[];
  /** @default DEFAULT_TRAINING_ALERTS (field by field) */
  readonly alerts?: Partial<TrainingAlertSettings>;
}

/** The settings for `options`, defaults applied field by field. */
export function trainingSettings(options: TrainingOptions = {}): TrainingSettings {
  return {
    scrapeLabel: options.scrapeLabel ?? DEFAULT_TRAINING_SCRAPE_LABEL,
    metricsPort: options.metricsPort ?? DEFAULT_TRAINING_METRICS_PORT,
    jobLabelKeys: options.jobLabelKeys ?? DEFAULT_JOB_LABEL_KEYS,
    alerts: withDefaults<TrainingAlertSettings>(DEFAULT_TRAINING_ALERTS, options.alerts),
  };
}
