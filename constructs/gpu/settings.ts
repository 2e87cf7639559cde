/**
 * The GPU component's props vocabulary: which dcgm-exporter runs and where, and the thresholds of
 * the GPU health alerts. Every default is a named constant here; the environment schema
 * (config/schema/gpu.ts) takes its defaults from them. Pure: no cdktf, no zod.
 */
import { withDefaults, type ResourceRequirements, type SecretRef, type Toleration } from '../core/settings';
import { DEFAULT_DRY_RUN, DEFAULT_MAX_NODES, DEFAULT_MAX_PERCENT, DEFAULT_WINDOW_SECONDS } from '../../responder/policy';

export const GPU_EXPORTER_MODES = ['bundled', 'gpu-operator', 'none'] as const;
/** bundled: deploy dcgm-exporter on GPU nodes; gpu-operator: scrape the one the NVIDIA GPU Operator runs; none. */
export type GpuExporterMode = (typeof GPU_EXPORTER_MODES)[number];
export const DEFAULT_GPU_EXPORTER: GpuExporterMode = 'bundled';

/** Nodes the bundled exporter runs on: the label NVIDIA GPU Feature Discovery / the GPU Operator set. */
export const DEFAULT_GPU_NODE_SELECTOR: Readonly<Record<string, string>> = { 'nvidia.com/gpu.present': 'true' };

/** A toleration of a GPU node taint. */
export type GpuToleration = Toleration;

/** GPU nodes are usually tainted `nvidia.com/gpu` so that only GPU workloads land there. */
export const DEFAULT_GPU_TOLERATIONS: readonly GpuToleration[] = [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }];

/** The bundled exporter exports DCP profiling fields (DCGM_FI_PROF_*; needs SYS_ADMIN). */
export const DEFAULT_GPU_PROFILING_METRICS = true;

/** Where the NVIDIA GPU Operator runs its dcgm-exporter (its defaults). */
export const DEFAULT_GPU_OPERATOR = {
  namespace: 'gpu-operator',
  serviceLabels: { app: 'nvidia-dcgm-exporter' },
  portName: 'gpu-metrics',
  /** The ConfigMap (in the operator's namespace) with our counters, named by the ClusterPolicy's `spec.dcgmExporter.config.name`. */
  countersConfigMap: 'mlobs-dcgm-metrics',
} as const;

/**
 * What acts on a node whose GPU failed fatally (README "GPU remediation"):
 * - `nvsentinel`: the team runs NVIDIA NVSentinel beside the stack (its wiring is the
 *   nvsentinel module's, not the responder's);
 * - `responder`: the stack deploys its quarantine responder (cordon + taint + Event, never
 *   drain, reset or reboot), which Alertmanager calls for the fatal GPU alerts;
 * - `none`: nothing acts; the alerts page humans only.
 */
export const GPU_REMEDIATION_MODES = ['nvsentinel', 'responder', 'none'] as const;
export type GpuRemediationMode = (typeof GPU_REMEDIATION_MODES)[number];
export const DEFAULT_GPU_REMEDIATION_MODE: GpuRemediationMode = 'none';

/** Longest rate-limit window the responder accepts: a week (responder/main.ts MAX_WINDOW_SECONDS). */
export const MAX_RESPONDER_WINDOW_SECONDS = 7 * 24 * 3600;

/**
 * The responder's safety settings, the same defaults as the responder's own (responder/policy.ts):
 * a dry run unless the environment says `dryRun: false`; at most 2 nodes and at most 25% of the
 * GPU nodes quarantined within an hour.
 */
export const DEFAULT_GPU_RESPONDER = {
  dryRun: DEFAULT_DRY_RUN,
  maxNodes: DEFAULT_MAX_NODES,
  maxPercent: DEFAULT_MAX_PERCENT,
  windowSeconds: DEFAULT_WINDOW_SECONDS,
  resources: { requests: { cpu: '10m', memory: '48Mi' }, limits: { memory: '128Mi' } } as ResourceRequirements,
} as const;

/** The quarantine responder (`responder` mode). */
export interface GpuResponderSettings {
  /** Decide, log and record Events, but change no node. */
  readonly dryRun: boolean;
  /** Never more than this many nodes quarantined within the window (0: never act). */
  readonly maxNodes: number;
  /** Never more than this percentage of the GPU nodes quarantined within the window (strict). */
  readonly maxPercent: number;
  /** The rate-limit window, in seconds. */
  readonly windowSeconds: number;
  /**
   * The bearer token Alertmanager presents and the responder checks: a key of a Secret the user
   * creates in the stack namespace (never a value in config). Required in `responder` mode.
   */
  readonly tokenSecret?: SecretRef | undefined;
  readonly resources: ResourceRequirements;
}

/** GPU remediation: the mode and, in `responder` mode, the responder's settings. */
export interface GpuRemediationSettings {
  readonly mode: GpuRemediationMode;
  readonly responder: GpuResponderSettings;
}

/** GPU alert thresholds and durations. */
export const DEFAULT_GPU_ALERTS = {
  temperatureWarningCelsius: 83,
  temperatureCriticalCelsius: 88,
  temperatureFor: '15m',
  throttledFraction: 0.25,
  throttledFor: '15m',
  memoryUsedFraction: 0.98,
  memoryFor: '30m',
  idleUtilizationPercent: 1,
  idleFor: '1h',
  nvlinkErrorsPer15m: 0,
  lostLookback: '1h',
  lostFor: '5m',
} as const;

/** Thresholds (numbers) and durations (`15m`) of the GPU health alerts. */
export interface GpuAlertSettings {
  readonly temperatureWarningCelsius: number;
  readonly temperatureCriticalCelsius: number;
  readonly temperatureFor: string;
  readonly throttledFraction: number;
  readonly throttledFor: string;
  readonly memoryUsedFraction: number;
  readonly memoryFor: string;
  readonly idleUtilizationPercent: number;
  readonly idleFor: string;
  readonly nvlinkErrorsPer15m: number;
  readonly lostLookback: string;
  readonly lostFor: string;
}

/** Where the GPU Operator's dcgm-exporter Service is. */
export interface GpuOperatorSettings {
  readonly namespace: string;
  readonly serviceLabels: Readonly<Record<string, string>>;
  readonly portName: string;
  /** The counters ConfigMap the stack writes into the operator's namespace (see {@link DEFAULT_GPU_OPERATOR}). */
  readonly countersConfigMap: string;
}

/** The GPU component's settings, every default applied. */
export interface GpuSettings {
  readonly exporter: GpuExporterMode;
  /** bundled: nodes the exporter DaemonSet runs on. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** bundled: taints of GPU nodes the exporter tolerates. */
  readonly tolerations: readonly GpuToleration[];
  /** bundled: export DCP profiling fields (grants SYS_ADMIN). */
  readonly profilingMetrics: boolean;
  /** gpu-operator: where its exporter runs. */
  readonly operator: GpuOperatorSettings;
  readonly alerts: GpuAlertSettings;
  /** What acts on a node whose GPU failed fatally. */
  readonly remediation: GpuRemediationSettings;
}

/** What a caller passes: every field optional, each with the default named above. */
export interface GpuOptions {
  /** @default DEFAULT_GPU_EXPORTER ('bundled') */
  readonly exporter?: GpuExporterMode;
  /** @default DEFAULT_GPU_NODE_SELECTOR */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** @default DEFAULT_GPU_TOLERATIONS */
  readonly tolerations?: readonly GpuToleration[];
  /** @default DEFAULT_GPU_PROFILING_METRICS (true) */
  readonly profilingMetrics?: boolean;
  /** @default DEFAULT_GPU_OPERATOR (field by field) */
  readonly operator?: Partial<GpuOperatorSettings>;
  /** @default DEFAULT_GPU_ALERTS (field by field) */
  readonly alerts?: Partial<GpuAlertSettings>;
  /**
   * What acts on a node whose GPU failed fatally.
   * @default - mode DEFAULT_GPU_REMEDIATION_MODE ('none'); responder settings DEFAULT_GPU_RESPONDER (field by field)
   */
  readonly remediation?: { readonly mode?: GpuRemediationMode; readonly responder?: Partial<GpuResponderSettings> };
}

/** The settings for `options`, defaults applied field by field. */
export function gpuSettings(options: GpuOptions = {}): GpuSettings {
  return {
    exporter: options.exporter ?? DEFAULT_GPU_EXPORTER,
    nodeSelector: options.nodeSelector ?? DEFAULT_GPU_NODE_SELECTOR,
    tolerations: options.tolerations ?? DEFAULT_GPU_TOLERATIONS,
    profilingMetrics: options.profilingMetrics ?? DEFAULT_GPU_PROFILING_METRICS,
    operator: withDefaults<GpuOperatorSettings>(DEFAULT_GPU_OPERATOR, options.operator),
    alerts: withDefaults<GpuAlertSettings>(DEFAULT_GPU_ALERTS, options.alerts),
    remediation: {
      mode: options.remediation?.mode ?? DEFAULT_GPU_REMEDIATION_MODE,
      responder: withDefaults<GpuResponderSettings>(DEFAULT_GPU_RESPONDER, options.remediation?.responder),
    },
  };
}
