/**
 * The one output schema every ML log format is normalized to, identical in Elasticsearch
 * (Logstash) and Loki (Alloy/Promtail). Field meanings follow `../shared/corpus/README.md`.
 */

/** Normalized severity. */
export const LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type Level = (typeof LEVELS)[number];

/** Classified ML event carried by a line. */
export const EVENTS = [
  'oom',
  'nan_loss',
  'nccl_error',
  'nccl_timeout',
  'xid',
  'gpu_lost',
  'train_progress',
  'eval_metrics',
  'checkpoint',
  'run_start',
  'run_end',
  'traceback',
] as const;
export type EventName = (typeof EVENTS)[number];

/** Fields whose value is a number. */
export const NUMBER_FIELDS = [
  'epoch',
  'epochs_total',
  'step',
  'steps_total',
  'loss',
  'eval_loss',
  'accuracy',
  'learning_rate',
  'grad_norm',
  'throughput',
  'step_time_s',
  'gpu',
  'rank',
  'pid',
  'xid',
  'oom_requested_bytes',
  'uptime_s',
] as const;
export type NumberField = (typeof NUMBER_FIELDS)[number];

/** Fields whose value is a string. */
export const STRING_FIELDS = [
  'level',
  'timestamp',
  'event',
  'throughput_unit',
  'pci_bus',
  'host',
  'logger',
  'message',
  'framework',
] as const;
export type StringField = (typeof STRING_FIELDS)[number];

/** Every output field name. */
export type FieldName = NumberField | StringField;
export const FIELD_NAMES: readonly FieldName[] = [...STRING_FIELDS, ...NUMBER_FIELDS];

/** Throughput units after normalization. */
export const THROUGHPUT_UNITS = ['it/s', 'samples/s', 'qps', 'tokens/s'] as const;
export type ThroughputUnit = (typeof THROUGHPUT_UNITS)[number];

/** The fields extracted from one line; a field the line does not carry is absent. */
export interface MlLogFields {
  /** Severity normalized from the line's marker (W/WARN/WARNING -> warning, ...). */
  readonly level?: Level;
  /** The written timestamp rewritten as ISO 8601, fraction digits kept, zone only when written. */
  readonly timestamp?: string;
  /** The ML event the line reports. */
  readonly event?: EventName;
  /** Epoch counter as written. */
  readonly epoch?: number;
  /** Total epochs (`Epoch 1/10` -> 10). */
  readonly epochs_total?: number;
  /** Step, iteration or batch counter as written. */
  readonly step?: number;
  /** Total of the `n/N` counter. */
  readonly steps_total?: number;
  /** Main training loss. */
  readonly loss?: number;
  /** Validation/evaluation loss. */
  readonly eval_loss?: number;
  /** Plain accuracy (`acc`/`accuracy`). */
  readonly accuracy?: number;
  /** Learning rate. */
  readonly learning_rate?: number;
  /** Gradient norm. */
  readonly grad_norm?: number;
  /** Throughput value, always with `throughput_unit`. */
  readonly throughput?: number;
  /** Unit of `throughput`. */
  readonly throughput_unit?: ThroughputUnit;
  /** Seconds per step (`s/it`, `ms/step` converted). */
  readonly step_time_s?: number;
  /** GPU index. */
  readonly gpu?: number;
  /** Global rank. */
  readonly rank?: number;
  /** Process id, only when labelled as one. */
  readonly pid?: number;
  /** NVIDIA Xid code. */
  readonly xid?: number;
  /** PCI address as written. */
  readonly pci_bus?: string;
  /** Requested allocation of an OOM in bytes. */
  readonly oom_requested_bytes?: number;
  /** Kernel seconds since boot. */
  readonly uptime_s?: number;
  /** Host name as written. */
  readonly host?: string;
  /** Source/logger name as written. */
  readonly logger?: string;
  /** Free text after the prefix (an exact substring of the line). */
  readonly message?: string;
  /** Family of the format that matched (not scored; useful as a bounded label). */
  readonly framework?: string;
}

/** A mutable field bag used while parsing. */
export type MutableFields = { -readonly [K in keyof MlLogFields]?: MlLogFields[K] };

export function isNumberField(name: string): name is NumberField {
  return (NUMBER_FIELDS as readonly string[]).includes(name);
}

export function isFieldName(name: string): name is FieldName {
  return (FIELD_NAMES as readonly string[]).includes(name);
}
