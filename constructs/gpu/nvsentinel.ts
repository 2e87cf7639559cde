/**
 * `nvsentinel` mode: observe NVIDIA NVSentinel (a GPU fault detector and break-fix controller the
 * team runs beside mlobs) through the node state it publishes, and keep our GPU health pages
 * quiet for a node NVSentinel is already handling. Pure building blocks, no cdktf import: the
 * rule group, the recording rule, Alertmanager inhibit rules, the kube-state-metrics values
 * fragment, the Grafana panels and a PodMonitor for NVSentinel's own metrics.
 *
 * ## What NVSentinel writes, and where that was read (github.com/NVIDIA/NVSentinel, Apache-2.0)
 * - Remediation state label `dgxc.nvidia.com/nvsentinel-state` with the values `quarantined`
 *   (fault-quarantine), `draining` / `drain-succeeded` / `drain-failed` (node-drainer),
 *   `remediating` / `remediation-succeeded` / `remediation-failed` (fault-remediation); removed
 *   when the node is unquarantined or a human uncordons it:
 *   commons/pkg/statemanager/statemanager.go (stored version read through the code index; the
 *   package comment gives the label sequences and names drain-failed and remediation-failed as
 *   terminal), docs runbook "Check Node State".
 * - On quarantine (fault-quarantine/pkg/reconciler/reconciler.go @ b7e4a8c71c990791a4ab4fb313f21972003c605c,
 *   prepareAnnotations / applyQuarantine / performUncordon / handleManualUncordon): the node is
 *   cordoned (`spec.unschedulable`) when a matching rule set says `cordon.shouldCordon`; the state
 *   label is set to `quarantined` only together with the cordon; labels
 *   `k8saas.nvidia.com/cordon-by=NVSentinel`, `…/cordon-reason=<rule set name>`,
 *   `…/cordon-timestamp` (prefix `labelPrefix`, default `k8saas.nvidia.com/`); annotations
 *   `quarantineHealthEvent` (JSON of the health events), `quarantineHealthEventIsCordoned=True`,
 *   `quarantineHealthEventAppliedTaints` (JSON) when a rule set taints. A manual uncordon makes
 *   NVSentinel drop the quarantine annotations and the state label and add
 *   `quarantinedNodeUncordonedManually=True`. Annotation keys: fault-quarantine/pkg/common/common.go
 *   @ 569d1eb25704ca12e3e1b16276ecdbbeabe72497 (they carry no prefix).
 * - Taints: none by default; the documented example rule set taint is
 *   `nvidia.com/gpu-error=fatal:NoSchedule` (docs/configuration/fault-quarantine.md @
 *   00b7ca12fbf962fb327df8d43dc65bf2feeeca24; commented out in the chart's values.yaml).
 * - Opt-out: the default rule sets skip nodes labelled `k8saas.nvidia.com/ManagedByNVSentinel=false`
 *   or `nvsentinel.dgxc.nvidia.com/managed=false` (`skipNodeLabels`):
 *   distros/kubernetes/nvsentinel/charts/fault-quarantine/values.yaml @ 1197f6a85bc676145225d875dbd8cc6a692f3b35.
 * - Node conditions: the platform connector sets one condition per health check, type = the
 *   check name (e.g. `GpuXidError`), status True with reason `<check>IsNotHealthy` for a fatal
 *   event, False / `<check>IsHealthy` on recovery:
 *   platform-connectors/pkg/connectors/kubernetes/process_node_events.go (stored version
 *   033cd4939c13d03288896936dd621eba39759b05). Informative only: a condition is not a quarantine
 *   (the rule sets decide), so nothing here keys on it.
 * - Metrics (fault-quarantine/pkg/metrics/metrics.go @ 1197f6a85bc676145225d875dbd8cc6a692f3b35,
 *   docs/METRICS.md @ 105f61cc34a8257be0a3dad6733de09b59a8109e): every module serves `/metrics` on
 *   its container port named `metrics` (2112 by default); the umbrella chart ships a PodMonitor
 *   `nvsentinel-pod-monitor` selecting pods `app.kubernetes.io/instance In [nvsentinel]`
 *   (distros/kubernetes/nvsentinel/templates/podMonitor.yaml @ 3942dd92a5ed78f0fc6cd935c068a4a3572b7f35)
 *   without the label our Prometheus selects monitors by, hence {@link renderNvsentinelPodMonitor}.
 *   The circuit breaker gauge is `fault_quarantine_breaker_state{state="CLOSED"|"TRIPPED"}`
 *   (fault-quarantine/pkg/breaker, stored versions 487385d111c819a3e941787e24ae77e76e2ef41c and
 *   the State constants).
 *
 * ## How kube-state-metrics shows that state
 * `kube_node_spec_unschedulable{node}`, `kube_node_spec_taint{node,key,value,effect}` and
 * `kube_node_status_condition{node,condition,status}` always; node labels and annotations only
 * when allowlisted ({@link nvsentinelKubeStateMetricsValues}), as `kube_node_labels` /
 * `kube_node_annotations` with label names from {@link ksmLabelName} (kube-state-metrics
 * internal/store/utils.go: invalid characters to `_`, then snake case, then lower case).
 *
 * ## When is a node "quarantined by NVSentinel" here
 * It carries the state label (any value) AND is cordoned, or it carries one of the quarantine
 * taint keys (rule sets that taint without cordoning). The cordon is required with the label so
 * that a node NVSentinel only annotates (dry run) is never treated as handled: pages for it go
 * out as usual.
 */
import type { AlertRule, RecordingRule, RuleGroup } from '../core/prometheus-rule';
import { isAlertRule } from '../core/prometheus-rule';
import type { CommonConfig } from '../core/common';
import type { KubeManifest } from '../core/manifest';
import type { InhibitRuleSettings } from '../metrics/settings';
import { promql, stat, timeseries, type PanelSpec } from '../contracts/dashboards';
import { GPU_COMPONENT } from '../contracts/components';

// ---------------------------------------------------------------------------------------------
// NVSentinel's names
// ---------------------------------------------------------------------------------------------

/** The NVSentinel sources read for the names below (repository and the commits of the files read). */
export const NVSENTINEL_SOURCES = {
  repository: 'https://github.com/NVIDIA/NVSentinel',
  files: {
    'fault-quarantine/pkg/reconciler/reconciler.go': 'b7e4a8c71c990791a4ab4fb313f21972003c605c',
    'fault-quarantine/pkg/common/common.go': '569d1eb25704ca12e3e1b16276ecdbbeabe72497',
    'fault-quarantine/pkg/metrics/metrics.go': '1197f6a85bc676145225d875dbd8cc6a692f3b35',
    'distros/kubernetes/nvsentinel/charts/fault-quarantine/values.yaml': '1197f6a85bc676145225d875dbd8cc6a692f3b35',
    'distros/kubernetes/nvsentinel/templates/podMonitor.yaml': '3942dd92a5ed78f0fc6cd935c068a4a3572b7f35',
    'docs/METRICS.md': '105f61cc34a8257be0a3dad6733de09b59a8109e',
    'docs/configuration/fault-quarantine.md': '00b7ca12fbf962fb327df8d43dc65bf2feeeca24',
    'platform-connectors/pkg/connectors/kubernetes/process_node_events.go': '033cd4939c13d03288896936dd621eba39759b05',
    'fault-quarantine/pkg/breaker/breaker.go': '487385d111c819a3e941787e24ae77e76e2ef41c',
  },
} as const;

/** The node label carrying NVSentinel's remediation state. */
export const NVSENTINEL_STATE_LABEL = 'dgxc.nvidia.com/nvsentinel-state';

/** The values of {@link NVSENTINEL_STATE_LABEL}, in the order of a successful break-fix. */
export const NVSENTINEL_STATES = {
  quarantined: 'quarantined',
  draining: 'draining',
  drainSucceeded: 'drain-succeeded',
  drainFailed: 'drain-failed',
  remediating: 'remediating',
  remediationSucceeded: 'remediation-succeeded',
  remediationFailed: 'remediation-failed',
} as const;
export type NvsentinelState = (typeof NVSENTINEL_STATES)[keyof typeof NVSENTINEL_STATES];

/** States NVSentinel moves on from by itself (a node should not stay in one for long). */
export const NVSENTINEL_IN_PROGRESS_STATES: readonly NvsentinelState[] = ['quarantined', 'draining', 'drain-succeeded', 'remediating', 'remediation-succeeded'];
/** Terminal states: NVSentinel gave up and a human must act. */
export const NVSENTINEL_FAILED_STATES: readonly NvsentinelState[] = ['drain-failed', 'remediation-failed'];

/** Default `labelPrefix` of fault-quarantine. */
export const NVSENTINEL_LABEL_PREFIX = 'k8saas.nvidia.com/';
/** Labels fault-quarantine sets when it cordons (with the default prefix); cordon-by is `NVSentinel`. */
export const NVSENTINEL_CORDON_LABELS = {
  cordonBy: `${NVSENTINEL_LABEL_PREFIX}cordon-by`,
  cordonReason: `${NVSENTINEL_LABEL_PREFIX}cordon-reason`,
  cordonTimestamp: `${NVSENTINEL_LABEL_PREFIX}cordon-timestamp`,
} as const;
export const NVSENTINEL_CORDON_BY_VALUE = 'NVSentinel';

/** Node annotations of fault-quarantine (no prefix). */
export const NVSENTINEL_ANNOTATIONS = {
  /** JSON of the health events that caused the quarantine (large: never allowlisted). */
  healthEvent: 'quarantineHealthEvent',
  appliedTaints: 'quarantineHealthEventAppliedTaints',
  isCordoned: 'quarantineHealthEventIsCordoned',
  uncordonedManually: 'quarantinedNodeUncordonedManually',
  untaintedManually: 'quarantinedNodeUntaintedManually',
} as const;
/** The value fault-quarantine writes for its boolean annotations. */
export const NVSENTINEL_TRUE = 'True';

/** Node labels that make NVSentinel leave a node alone (its default rule sets and skipNodeLabels). */
export const NVSENTINEL_OPT_OUT_LABELS = [
  { key: 'k8saas.nvidia.com/ManagedByNVSentinel', value: 'false' },
  { key: 'nvsentinel.dgxc.nvidia.com/managed', value: 'false' },
] as const;

/** The taint key NVSentinel's documentation uses for GPU rule sets that taint. */
export const NVSENTINEL_DOCUMENTED_TAINT_KEY = 'nvidia.com/gpu-error';

/** Metrics NVSentinel exports that mlobs uses or shows. */
export const NVSENTINEL_METRICS = {
  /** Gauge, label `state` (`CLOSED`, `TRIPPED`). */
  breakerState: 'fault_quarantine_breaker_state',
  /** Gauge: fraction of GPU nodes cordoned within the breaker's window. */
  breakerUtilization: 'fault_quarantine_breaker_utilization',
  /** Gauge per `node`: 1 while fault-quarantine holds it quarantined. */
  currentQuarantined: 'fault_quarantine_current_quarantined_nodes',
  /** Counter per `node`. */
  manuallyUncordoned: 'fault_quarantine_nodes_manually_uncordoned_total',
  /** Counter per `node`. */
  quarantined: 'fault_quarantine_nodes_quarantined_total',
} as const;
export const NVSENTINEL_BREAKER_TRIPPED = 'TRIPPED';
/** Port name and path of every NVSentinel module's metrics. */
export const NVSENTINEL_METRICS_PORT = 'metrics';
export const NVSENTINEL_METRICS_PATH = '/metrics';
/** The `job` label our PodMonitor gives NVSentinel's targets. */
export const NVSENTINEL_JOB = 'nvsentinel';

export const NVSENTINEL_RUNBOOK_URLS = {
  quarantine: 'https://github.com/NVIDIA/NVSentinel/blob/main/docs/configuration/fault-quarantine.md',
  drain: 'https://github.com/NVIDIA/NVSentinel/blob/main/docs/configuration/node-drainer.md',
  remediation: 'https://github.com/NVIDIA/NVSentinel/blob/main/docs/configuration/fault-remediation.md',
} as const;

// ---------------------------------------------------------------------------------------------
// kube-state-metrics
// ---------------------------------------------------------------------------------------------

/**
 * The Prometheus label name kube-state-metrics gives a Kubernetes label or annotation key in
 * `kube_<resource>_labels` / `_annotations` (internal/store/utils.go: labelName).
 */
export function ksmLabelName(prefix: 'label' | 'annotation', key: string): string {
  const sanitized = key.replace(/[^a-zA-Z0-9_]/g, '_');
  return `${prefix}_${sanitized.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

/** Node labels kube-state-metrics must expose in `kube_node_labels`. */
export const NVSENTINEL_NODE_LABEL_ALLOWLIST: readonly string[] = [NVSENTINEL_STATE_LABEL, NVSENTINEL_CORDON_LABELS.cordonBy, ...NVSENTINEL_OPT_OUT_LABELS.map((l) => l.key)];
/** Node annotations kube-state-metrics must expose in `kube_node_annotations` (short values only). */
export const NVSENTINEL_NODE_ANNOTATION_ALLOWLIST: readonly string[] = [NVSENTINEL_ANNOTATIONS.isCordoned, NVSENTINEL_ANNOTATIONS.uncordonedManually];

/** The PromQL label names of the allowlisted keys. */
export const KSM = {
  state: ksmLabelName('label', NVSENTINEL_STATE_LABEL),
  cordonBy: ksmLabelName('label', NVSENTINEL_CORDON_LABELS.cordonBy),
  isCordoned: ksmLabelName('annotation', NVSENTINEL_ANNOTATIONS.isCordoned),
  uncordonedManually: ksmLabelName('annotation', NVSENTINEL_ANNOTATIONS.uncordonedManually),
} as const;

/** One `--metric-*-allowlist` entry for nodes, e.g. `nodes=[a,b]`. */
const nodesEntry = (keys: readonly string[]): string => `nodes=[${keys.join(',')}]`;

/**
 * The kube-prometheus-stack values fragment that makes kube-state-metrics expose NVSentinel's
 * node labels and annotations. Keys as in the pinned kube-state-metrics chart
 * (`metricLabelsAllowlist`, `metricAnnotationsAllowList` with a capital L), each a list of
 * `<resource>=[keys]` entries the chart joins with commas. A merge with other `nodes=[...]`
 * entries must unite the keys into one entry (see {@link mergeNodesAllowlist}).
 */
export function nvsentinelKubeStateMetricsValues(): { readonly 'kube-state-metrics': { readonly metricLabelsAllowlist: readonly string[]; readonly metricAnnotationsAllowList: readonly string[] } } {
  return {
    'kube-state-metrics': {
      metricLabelsAllowlist: [nodesEntry(NVSENTINEL_NODE_LABEL_ALLOWLIST)],
      metricAnnotationsAllowList: [nodesEntry(NVSENTINEL_NODE_ANNOTATION_ALLOWLIST)],
    },
  };
}

/**
 * Unites allowlist entries (`<resource>=[k1,k2]`) so that each resource appears once with the
 * keys of every entry: kube-state-metrics keeps only one list per resource.
 */
export function mergeNodesAllowlist(...lists: readonly (readonly string[])[]): string[] {
  const byResource = new Map<string, string[]>();
  for (const entry of lists.flat()) {
    const m = /^([a-z0-9.-]+)=\[(.*)\]$/.exec(entry.trim());
    if (!m) throw new Error(`allowlist entry "${entry}" is not <resource>=[key,...]`);
    const keys = byResource.get(m[1] as string) ?? [];
    for (const k of (m[2] as string).split(',').map((s) => s.trim()).filter(Boolean)) if (!keys.includes(k)) keys.push(k);
    byResource.set(m[1] as string, keys);
  }
  return [...byResource].map(([r, keys]) => `${r}=[${keys.join(',')}]`);
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

export interface NvsentinelAlertSettings {
  /** How long a node may stay in one in-progress remediation state before it is "stuck". */
  readonly stuckFor: string;
  /** How long a terminal failed state must hold before the warning (rides out relabel races). */
  readonly failedFor: string;
  /** How long a node may be schedulable while it still carries NVSentinel's state label. */
  readonly uncordonedFor: string;
  /** How long the circuit breaker must be tripped. */
  readonly breakerTrippedFor: string;
  /** Taint keys of the NVSentinel rule sets that taint; a node with one counts as quarantined. Empty: only the cordon counts. */
  readonly quarantineTaintKeys: readonly string[];
}

/**
 * Defaults. `stuckFor` is long because a drain in NVSentinel's AllowCompletion mode waits for
 * the running jobs, which legitimately takes hours.
 */
export const DEFAULT_NVSENTINEL_ALERTS: NvsentinelAlertSettings = {
  stuckFor: '6h',
  failedFor: '10m',
  uncordonedFor: '10m',
  breakerTrippedFor: '5m',
  quarantineTaintKeys: [NVSENTINEL_DOCUMENTED_TAINT_KEY],
};

/** 1 per node NVSentinel has quarantined, label `node` only (dashboards and inhibition). */
export const NVSENTINEL_QUARANTINED_RECORD = 'mlobs:node_nvsentinel_quarantined';
/** The alert that fires per quarantined node: the source of the inhibit rules. */
export const NVSENTINEL_QUARANTINED_ALERT = 'GpuNodeQuarantinedByNvsentinel';
export const NVSENTINEL_RULE_GROUP = 'mlobs-gpu-nvsentinel';

const regexEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A PromQL string literal (double quotes; backslashes and quotes escaped). */
const str = (s: string): string => JSON.stringify(s);
const anyOfRe = (values: readonly string[]): string => str(values.map(regexEscape).join('|'));

function alert(a: Omit<AlertRule, 'labels'> & { readonly severity: AlertRule['labels']['severity'] }): AlertRule {
  const { severity, ...rest } = a;
  return { ...rest, labels: { severity, component: GPU_COMPONENT } };
}

/** The expression of {@link NVSENTINEL_QUARANTINED_RECORD}. */
export function nvsentinelQuarantinedExpr(taintKeys: readonly string[]): string {
  const cordoned = `max by (node) (kube_node_labels{${KSM.state}!=""}) and on (node) (max by (node) (kube_node_spec_unschedulable) == 1)`;
  if (taintKeys.length === 0) return cordoned;
  return `max by (node) ((${cordoned}) or max by (node) (kube_node_spec_taint{key=~${anyOfRe(taintKeys)}}))`;
}

const stateExpr = (states: readonly string[]): string =>
  `max without (${KSM.state}) (label_replace(max by (node, ${KSM.state}) (kube_node_labels{${KSM.state}=~${anyOfRe(states)}}), "state", "$1", ${str(KSM.state)}, "(.+)"))`;

/** The rule group of the `nvsentinel` mode. */
export function renderNvsentinelRuleGroups(settings: Partial<NvsentinelAlertSettings> = {}): readonly RuleGroup[] {
  const s: NvsentinelAlertSettings = { ...DEFAULT_NVSENTINEL_ALERTS, ...settings };
  const record: RecordingRule = { record: NVSENTINEL_QUARANTINED_RECORD, expr: nvsentinelQuarantinedExpr(s.quarantineTaintKeys) };
  const why = `kubectl get node {{ $labels.node }} -L ${NVSENTINEL_STATE_LABEL} and the node's ${NVSENTINEL_ANNOTATIONS.healthEvent} annotation say why`;
  const rules: (AlertRule | RecordingRule)[] = [
    record,
    alert({
      alert: NVSENTINEL_QUARANTINED_ALERT,
      expr: `${NVSENTINEL_QUARANTINED_RECORD} == 1`,
      severity: 'info',
      annotations: {
        summary: 'NVSentinel has quarantined a GPU node and is handling the fault',
        description: `Node {{ $labels.node }} is cordoned (or carries a quarantine taint) under NVSentinel's ${NVSENTINEL_STATE_LABEL} label: NVSentinel drains and remediates it, so the GPU health pages for this node are inhibited while it lasts. What to do: nothing unless GpuNodeNvsentinelRemediationStuck or GpuNodeNvsentinelRemediationFailed fires; ${why}.`,
        runbook_url: NVSENTINEL_RUNBOOK_URLS.quarantine,
      },
    }),
    alert({
      alert: 'GpuNodeNvsentinelRemediationStuck',
      expr: stateExpr(NVSENTINEL_IN_PROGRESS_STATES),
      for: s.stuckFor,
      severity: 'warning',
      annotations: {
        summary: 'A GPU node has been in the same NVSentinel remediation state for too long',
        description: `Node {{ $labels.node }} has been in NVSentinel state {{ $labels.state }} for more than ${s.stuckFor}; NVSentinel normally moves on (quarantined, draining, drain-succeeded, remediating, remediation-succeeded, then the label is removed). The node is out of service meanwhile and its GPU pages stay inhibited. What to do: check the node-drainer and fault-remediation logs in NVSentinel's namespace; a drain in AllowCompletion mode waits for the jobs on the node; remediation-succeeded waits for the healthy event after the reboot.`,
        runbook_url: NVSENTINEL_RUNBOOK_URLS.drain,
      },
    }),
    alert({
      alert: 'GpuNodeNvsentinelRemediationFailed',
      expr: stateExpr(NVSENTINEL_FAILED_STATES),
      for: s.failedFor,
      severity: 'warning',
      annotations: {
        summary: 'NVSentinel gave up on a GPU node: a human must finish the repair',
        description: `Node {{ $labels.node }} is in NVSentinel's terminal state {{ $labels.state }}: NVSentinel will do nothing more. The node stays cordoned and its GPU pages stay inhibited. What to do: read the failure in the NVSentinel logs and events (kubectl get events -n default --field-selector involvedObject.name={{ $labels.node }}), drain or repair the node by hand, then uncordon it.`,
        runbook_url: NVSENTINEL_RUNBOOK_URLS.remediation,
      },
    }),
    alert({
      alert: 'GpuNodeUncordonedWhileNvsentinelQuarantined',
      expr: `max by (node) (kube_node_labels{${KSM.state}!=""}) and on (node) (max by (node) (kube_node_spec_unschedulable) == 0)`,
      for: s.uncordonedFor,
      severity: 'warning',
      annotations: {
        summary: 'A GPU node is schedulable although NVSentinel still marks it quarantined',
        description: `Node {{ $labels.node }} has been schedulable for ${s.uncordonedFor} while it carries NVSentinel's ${NVSENTINEL_STATE_LABEL} label. After a manual uncordon NVSentinel clears its state within seconds, so either it is not running or someone uncordoned the node and the cleanup failed: new jobs can land on a GPU that NVSentinel found faulty, and GPU pages for the node are not inhibited. What to do: check that NVSentinel's fault-quarantine runs; cordon the node again unless the fault is known to be gone.`,
        runbook_url: NVSENTINEL_RUNBOOK_URLS.quarantine,
      },
    }),
    alert({
      alert: 'GpuNodeNvsentinelQuarantineCancelled',
      expr: `max by (node) (kube_node_annotations{${KSM.uncordonedManually}=${str(NVSENTINEL_TRUE)}})`,
      severity: 'info',
      annotations: {
        summary: 'A human uncordoned a GPU node NVSentinel had quarantined',
        description: `Node {{ $labels.node }} carries NVSentinel's ${NVSENTINEL_ANNOTATIONS.uncordonedManually} annotation: someone cancelled NVSentinel's break-fix by uncordoning it, and NVSentinel treats the next fault as a new incident. Our GPU health pages for the node are active again. What to do: nothing if the fault was a false positive; otherwise watch the node's GPU alerts.`,
        runbook_url: NVSENTINEL_RUNBOOK_URLS.quarantine,
      },
    }),
    alert({
      alert: 'NvsentinelCircuitBreakerTripped',
      expr: `max without (instance, pod, container, endpoint, module) (${NVSENTINEL_METRICS.breakerState}{state=${str(NVSENTINEL_BREAKER_TRIPPED)}}) == 1`,
      for: s.breakerTrippedFor,
      severity: 'warning',
      annotations: {
        summary: "NVSentinel's circuit breaker tripped: it no longer quarantines GPU nodes",
        description: `NVSentinel's fault-quarantine ({{ $labels.namespace }}) has stopped processing health events because too many GPU nodes were cordoned within its window. New GPU faults are not handled (our GPU pages for them are not inhibited). What to do: find the fleet-wide cause (a driver rollout, a noisy health check), fix it, then reset the breaker as NVSentinel's fault-quarantine documentation describes.`,
        runbook_url: NVSENTINEL_RUNBOOK_URLS.quarantine,
      },
    }),
  ];
  return [{ name: NVSENTINEL_RULE_GROUP, rules }];
}

// ---------------------------------------------------------------------------------------------
// Alertmanager inhibition
// ---------------------------------------------------------------------------------------------

/**
 * GPU alerts (constructs/gpu/gpu-rules.ts) that are health pages about a node NVSentinel
 * handles: muted while it has the node quarantined. GpuLost is among them because NVSentinel's
 * remediation resets GPUs and reboots the node (the exporter goes away meanwhile).
 */
export const NVSENTINEL_INHIBITED_GPU_ALERTS_EXCEPT_XID = [
  'GpuXidError',
  'GpuEccUncorrectableErrors',
  'GpuRowRemapFailure',
  'GpuMemoryRemapPending',
  'GpuNvlinkErrors',
  'GpuTemperatureHigh',
  'GpuTemperatureCritical',
  'GpuThermalThrottling',
  'GpuPowerThrottling',
  'GpuLost',
] as const;
/**
 * GPU alerts deliberately NOT inhibited for a quarantined node: about the workload or our
 * configuration, not about the hardware NVSentinel repairs.
 */
export const NVSENTINEL_NOT_INHIBITED_GPU_ALERTS = ['GpuMemoryNearlyFull', 'GpuAllocatedIdle', 'GpuAlertMetricsMissing'] as const;

/** The GPU alerts of `gpuGroups` inhibited for a quarantined node: every critical-Xid alert and the list above. Throws on a GPU alert that is in neither list (a new alert needs a decision). */
export function nvsentinelInhibitedGpuAlerts(gpuGroups: readonly RuleGroup[]): string[] {
  const names = gpuGroups.flatMap((g) => g.rules.filter(isAlertRule).map((r) => r.alert));
  const xidGroup = gpuGroups.find((g) => g.name === 'mlobs-gpu-xid');
  const xid = new Set(xidGroup ? xidGroup.rules.filter(isAlertRule).map((r) => r.alert) : []);
  const listed = new Set<string>(NVSENTINEL_INHIBITED_GPU_ALERTS_EXCEPT_XID);
  const excluded = new Set<string>(NVSENTINEL_NOT_INHIBITED_GPU_ALERTS);
  const undecided = names.filter((n) => !xid.has(n) && !listed.has(n) && !excluded.has(n));
  if (undecided.length > 0) throw new Error(`GPU alerts neither inhibited nor excluded for NVSentinel-quarantined nodes: ${undecided.join(', ')}`);
  const missing = [...listed].filter((n) => !names.includes(n));
  if (missing.length > 0) throw new Error(`NVSentinel inhibition lists GPU alerts that do not exist: ${missing.join(', ')}`);
  return names.filter((n) => xid.has(n) || listed.has(n));
}

/** Labels both sides must share: the node (kube-state-metrics' `node` = our GPU series' `node`) in the same cluster. */
export const NVSENTINEL_INHIBIT_EQUAL = ['cluster', 'node'] as const;

/**
 * Inhibit rules for `alerting.inhibitRules` (the settings shape of constructs/metrics/settings.ts):
 * while {@link NVSENTINEL_QUARANTINED_ALERT} fires for a node, the GPU health alerts of that node
 * are muted. `gpuGroups`: the GPU rule groups as the stack renders them.
 */
export function nvsentinelInhibitRules(gpuGroups: readonly RuleGroup[]): readonly InhibitRuleSettings[] {
  const targets = nvsentinelInhibitedGpuAlerts(gpuGroups);
  return [
    {
      sourceMatchers: [`alertname=${str(NVSENTINEL_QUARANTINED_ALERT)}`],
      targetMatchers: [`alertname=~${str(targets.join('|'))}`],
      equal: [...NVSENTINEL_INHIBIT_EQUAL],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Grafana
// ---------------------------------------------------------------------------------------------

/**
 * Panels for the GPU fleet dashboard marking quarantined nodes. `nodeMatcher`: the selector the
 * dashboard uses for its node variable (the GPU fleet dashboard: `node=~"$node"`).
 */
export function nvsentinelPanels(nodeMatcher = 'node=~"$node"'): readonly PanelSpec[] {
  return [
    stat({
      title: 'GPU nodes quarantined by NVSentinel',
      width: 4,
      queries: [promql(`count(${NVSENTINEL_QUARANTINED_RECORD}{${nodeMatcher}}) or vector(0)`)],
    }),
    timeseries({
      title: 'Quarantined by NVSentinel (1 = quarantined)',
      description: `Nodes NVSentinel has cordoned or tainted (${NVSENTINEL_QUARANTINED_RECORD}); their GPU health pages are inhibited.`,
      width: 10,
      queries: [promql(`${NVSENTINEL_QUARANTINED_RECORD}{${nodeMatcher}}`, '{{node}}')],
    }),
    timeseries({
      title: 'NVSentinel remediation state per node',
      description: `The ${NVSENTINEL_STATE_LABEL} label (quarantined, draining, drain-succeeded/failed, remediating, remediation-succeeded/failed).`,
      width: 10,
      queries: [promql(`max by (node, ${KSM.state}) (kube_node_labels{${nodeMatcher}, ${KSM.state}!=""})`, `{{node}} {{${KSM.state}}}`)],
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Scraping NVSentinel
// ---------------------------------------------------------------------------------------------

export interface NvsentinelPodMonitorProps {
  readonly common: CommonConfig;
  /** Namespace NVSentinel runs in. @default 'nvsentinel' */
  readonly nvsentinelNamespace?: string;
  /** Its Helm release name (NVSentinel's own PodMonitor requires `nvsentinel`). @default 'nvsentinel' */
  readonly releaseName?: string;
  /** @default '30s' (as NVSentinel's chart) */
  readonly interval?: string;
  /** @default 'nvsentinel' */
  readonly name?: string;
}

/**
 * A PodMonitor for every NVSentinel module's metrics, in our namespace with our monitor label
 * (NVSentinel's own PodMonitor lacks it, so our Prometheus would not select it). `job` is fixed
 * to {@link NVSENTINEL_JOB}; `module` comes from the pod's `app.kubernetes.io/name`.
 */
export function renderNvsentinelPodMonitor(p: NvsentinelPodMonitorProps): KubeManifest {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: p.name ?? 'nvsentinel', namespace: p.common.namespace, labels: { ...p.common.labels, ...p.common.monitorSelector } },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/instance': p.releaseName ?? 'nvsentinel' } },
      namespaceSelector: { matchNames: [p.nvsentinelNamespace ?? 'nvsentinel'] },
      podMetricsEndpoints: [
        {
          port: NVSENTINEL_METRICS_PORT,
          path: NVSENTINEL_METRICS_PATH,
          interval: p.interval ?? '30s',
          relabelings: [
            { action: 'replace', targetLabel: 'job', replacement: NVSENTINEL_JOB },
            { action: 'replace', sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], targetLabel: 'module' },
          ],
        },
      ],
    },
  };
}
