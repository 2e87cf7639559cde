/**
 * The GPU quarantine responder's decision logic. Pure: no I/O, no clock of its own; the server
 * gives it the webhook, the nodes the alerts name, the recent quarantines and the time, and
 * applies what it returns.
 *
 * What it does: for a firing alert that the stack classes as fatal for the GPU (the paging Xids,
 * whose NVIDIA action is a GPU reset, a reboot or an RMA; uncorrectable ECC errors; a failed
 * row remap) on a GPU node, it decides to quarantine the node: cordon it
 * (`spec.unschedulable`), add the {@link QUARANTINE_TAINT} NoSchedule taint and write the
 * {@link QUARANTINE_ANNOTATIONS}. It never drains, resets, reboots or uncordons.
 *
 * Every alert gets exactly one decision, acted or refused with a {@link RefusalReason}, checked
 * in this order: not-fatal, resolved-never-uncordons, missing-node-label, unknown-node,
 * not-a-gpu-node, opted-out, already-quarantined, released-by-operator, rate-limited-count,
 * rate-limited-percent, dry-run. Dry-run decisions take part in the batch's rate limit exactly
 * as acts would, so a dry run reports what a live run would have done.
 *
 * The only import is the Xid classification (constructs/contracts/xid.ts, pure data with no
 * imports), so the compiled responder needs no node_modules.
 */
import { CRITICAL_XIDS } from '../constructs/contracts/xid';
import type { AlertmanagerWebhook, WebhookAlert } from './webhook';

/** A Kubernetes node taint. */
export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  readonly timeAdded?: string;
}

/** The taint the responder adds: NoSchedule (running pods stay; new ones are not placed). */
export const QUARANTINE_TAINT: Taint = { key: 'mlobs.dev/gpu-quarantine', value: 'fatal-gpu-error', effect: 'NoSchedule' };

/**
 * The annotations the responder writes on a node it quarantines. `at` (RFC 3339, the
 * responder's clock) is also the rate limit's memory: the recent quarantines are read back
 * from the GPU nodes' `at` annotations, so a restart of the responder does not reset the limit.
 */
export const QUARANTINE_ANNOTATIONS = {
  /** When the responder quarantined the node (RFC 3339). */
  at: 'mlobs.dev/quarantined-at',
  /** The alert name that caused it. */
  alert: 'mlobs.dev/quarantine-alert',
  /** The Xid code, when the alert is an Xid alert ('' otherwise). */
  xid: 'mlobs.dev/quarantine-xid',
  /** Alertmanager's fingerprint of the alert. */
  fingerprint: 'mlobs.dev/quarantine-fingerprint',
  /** The alert's startsAt: with the fingerprint, identifies the occurrence of the alert. */
  alertStartsAt: 'mlobs.dev/quarantine-alert-starts-at',
  /** The GPU index and UUID from the alert's labels, when present. */
  gpu: 'mlobs.dev/quarantine-gpu',
} as const;

/** Our opt-out: a node labelled `mlobs.dev/remediation=disabled` is never quarantined. */
export const OPT_OUT_LABEL = 'mlobs.dev/remediation';
/** The value of {@link OPT_OUT_LABEL} that opts a node out. */
export const OPT_OUT_VALUE = 'disabled';

/**
 * NVSentinel's opt-out labels: a node with either set to "false" is left alone by NVSentinel,
 * and so by us. Read in NVIDIA/NVSentinel:
 * - `k8saas.nvidia.com/ManagedByNVSentinel=false`: the Node rule of every default rule set in
 *   distros/kubernetes/nvsentinel/charts/fault-quarantine/values.yaml (commit 0e0829ea) and
 *   docs/configuration/fault-quarantine.md (commit 00b7ca12), "Fatal GPU Errors ... AND node
 *   not labeled with k8saas.nvidia.com/ManagedByNVSentinel=false".
 * - `nvsentinel.dgxc.nvidia.com/managed=false`: the newer opt-out (ADR-040 external
 *   remediation; platform-connectors turn the node's events to STORE_ONLY), documented in
 *   docs/configuration/labeler.md (commit 37262daf) "nodes opted out with
 *   nvsentinel.dgxc.nvidia.com/managed=false ... are excluded".
 */
export const NVSENTINEL_OPT_OUT_LABELS: readonly string[] = ['k8saas.nvidia.com/ManagedByNVSentinel', 'nvsentinel.dgxc.nvidia.com/managed'];
/** The value of an {@link NVSENTINEL_OPT_OUT_LABELS} label that opts a node out. */
export const NVSENTINEL_OPT_OUT_VALUE = 'false';

/** The alert label naming the node: our ServiceMonitor's `node` (from the exporter pod's node); see constructs/gpu/gpu-rules.ts. */
export const DEFAULT_NODE_LABEL = 'node';

/** Uncorrectable (double-bit) ECC errors alert, in constructs/gpu/gpu-rules.ts (a test holds the name to the rendered rules). */
export const GPU_ECC_UNCORRECTABLE_ALERT = 'GpuEccUncorrectableErrors';
/** Row-remapping failure alert, in constructs/gpu/gpu-rules.ts. */
export const GPU_ROW_REMAP_FAILURE_ALERT = 'GpuRowRemapFailure';

/** An alert the responder treats as fatal for the GPU. */
export interface FatalAlert {
  /** Alert name (the `alertname` label). */
  readonly alert: string;
  /** The Xid codes the alert covers (empty for a non-Xid alert). */
  readonly xids: readonly number[];
  /** Why it is fatal (for the Event and the log). */
  readonly why: string;
}

/**
 * The default fatal classification: every Xid alert of constructs/contracts/xid.ts (the Xids the
 * stack pages on; each one's NVIDIA action is a GPU reset, a reboot or an RMA), uncorrectable
 * ECC errors and a row-remapping failure. An environment may narrow it (never widen it).
 */
export const DEFAULT_FATAL_ALERTS: readonly FatalAlert[] = [
  ...CRITICAL_XIDS.map((x) => ({ alert: x.alert, xids: x.codes, why: x.meaning })),
  { alert: GPU_ECC_UNCORRECTABLE_ALERT, xids: [], why: 'new uncorrectable (double-bit) ECC errors in GPU memory' },
  { alert: GPU_ROW_REMAP_FAILURE_ALERT, xids: [], why: 'the GPU failed to remap a memory row: its memory can no longer be repaired in the field' },
];

/** The alert names of {@link DEFAULT_FATAL_ALERTS} (e.g. for the Alertmanager route's matcher). */
export const DEFAULT_FATAL_ALERT_NAMES: readonly string[] = DEFAULT_FATAL_ALERTS.map((a) => a.alert);

/** Default: at most this many nodes quarantined per window. */
export const DEFAULT_MAX_NODES = 2;
/** Default: at most this percentage of the GPU nodes quarantined per window. */
export const DEFAULT_MAX_PERCENT = 25;
/** Default window of the rate limit, in seconds. */
export const DEFAULT_WINDOW_SECONDS = 3600;
/** Default: dry run (decide, log and record Events, change no node). */
export const DEFAULT_DRY_RUN = true;

/** The policy's settings. */
export interface PolicyConfig {
  /** Never more than this many distinct nodes quarantined in a window (0: never act). */
  readonly maxNodes: number;
  /** Never more than this percentage (0-100] of the GPU nodes quarantined in a window. */
  readonly maxPercent: number;
  /** The rate limit's window, in seconds. */
  readonly windowSeconds: number;
  /** Decide and report, change nothing. */
  readonly dryRun: boolean;
  /** The alerts that quarantine. */
  readonly fatalAlerts: readonly FatalAlert[];
  /** The alert label that names the node. */
  readonly nodeLabel: string;
}

/** The policy's view of a node (read from the API just before deciding). */
export interface NodeView {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly unschedulable: boolean;
  readonly taints: readonly Taint[];
  /** Whether the node matches the GPU node selector. */
  readonly isGpuNode: boolean;
}

/** A quarantine in the rate limit's memory: a node and when (epoch ms; NaN when unreadable, counted as recent). */
export interface QuarantineRecord {
  readonly node: string;
  readonly at: number;
}

/** Everything {@link decide} needs. */
export interface PolicyInput {
  readonly payload: AlertmanagerWebhook;
  /** The nodes the fatal firing alerts name, by name; a name missing here is an unknown node. */
  readonly nodes: ReadonlyMap<string, NodeView>;
  /** How many nodes match the GPU node selector now. */
  readonly gpuNodeCount: number;
  /** Recent quarantines (any age; the policy keeps those inside the window). */
  readonly history: readonly QuarantineRecord[];
  /** Now, epoch ms. */
  readonly now: number;
  readonly config: PolicyConfig;
}

/** Why the responder did not act. */
export type RefusalReason =
  | 'not-fatal'
  | 'resolved-never-uncordons'
  | 'missing-node-label'
  | 'unknown-node'
  | 'not-a-gpu-node'
  | 'opted-out'
  | 'already-quarantined'
  | 'released-by-operator'
  | 'rate-limited-count'
  | 'rate-limited-percent'
  | 'dry-run';

/** Every refusal reason, in the order they are checked. */
export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'not-fatal',
  'resolved-never-uncordons',
  'missing-node-label',
  'unknown-node',
  'not-a-gpu-node',
  'opted-out',
  'already-quarantined',
  'released-by-operator',
  'rate-limited-count',
  'rate-limited-percent',
  'dry-run',
];

interface DecisionBase {
  /** The node the alert names (undefined when the alert has no node label). */
  readonly node: string | undefined;
  /** The alert name ('' when the alert has none). */
  readonly alert: string;
  readonly fingerprint: string;
  readonly alertStatus: WebhookAlert['status'];
  /** The Xid code when the alert is an Xid alert and the code is known. */
  readonly xid: number | undefined;
  /** A human-readable sentence: what and why. */
  readonly message: string;
}

/** Quarantine the node: cordon, add {@link taint}, write {@link annotations}. */
export interface ActDecision extends DecisionBase {
  readonly action: 'act';
  readonly reason: 'fatal';
  readonly node: string;
  readonly taint: Taint;
  readonly annotations: Readonly<Record<string, string>>;
}

/** Leave the node alone, and say why. */
export interface RefuseDecision extends DecisionBase {
  readonly action: 'refuse';
  readonly reason: RefusalReason;
}

/** One decision per alert of the webhook, in the webhook's order. */
export type Decision = ActDecision | RefuseDecision;

const XID_IN_TEXT = /\bXid (\d+)\b/;

/** The Xid of an Xid alert: its `xid` label, else the code in its description, else the alert's only code. */
export function alertXid(alert: WebhookAlert, fatal: FatalAlert | undefined): number | undefined {
  if (!fatal || fatal.xids.length === 0) return undefined;
  const candidates = [alert.labels.xid, XID_IN_TEXT.exec(alert.annotations.description ?? '')?.[1], XID_IN_TEXT.exec(alert.annotations.summary ?? '')?.[1]];
  for (const c of candidates) {
    if (c === undefined || !/^\d+$/.test(c)) continue;
    const n = Number(c);
    if (fatal.xids.includes(n)) return n;
  }
  return fatal.xids.length === 1 ? fatal.xids[0] : undefined;
}

/** Whether a node carries an opt-out label (ours or NVSentinel's); returns the label or undefined. */
export function optOutLabel(labels: Readonly<Record<string, string>>): string | undefined {
  if (labels[OPT_OUT_LABEL] === OPT_OUT_VALUE) return `${OPT_OUT_LABEL}=${OPT_OUT_VALUE}`;
  for (const l of NVSENTINEL_OPT_OUT_LABELS) if (labels[l] === NVSENTINEL_OPT_OUT_VALUE) return `${l}=${NVSENTINEL_OPT_OUT_VALUE}`;
  return undefined;
}

/** Whether the node has the quarantine taint. */
export function hasQuarantineTaint(taints: readonly Taint[]): boolean {
  return taints.some((t) => t.key === QUARANTINE_TAINT.key && t.effect === QUARANTINE_TAINT.effect);
}

/** The quarantine records the GPU nodes' annotations hold (the rate limit's memory across restarts). */
export function historyFromNodes(nodes: readonly { readonly name: string; readonly annotations: Readonly<Record<string, string>> }[]): QuarantineRecord[] {
  const out: QuarantineRecord[] = [];
  for (const n of nodes) {
    const at = n.annotations[QUARANTINE_ANNOTATIONS.at];
    if (at === undefined) continue;
    out.push({ node: n.name, at: Date.parse(at) });
  }
  return out;
}

/** The fatal alerts of a classification, by name. */
function fatalByName(config: PolicyConfig): ReadonlyMap<string, FatalAlert> {
  return new Map(config.fatalAlerts.map((f) => [f.alert, f]));
}

/** The nodes the server must read before deciding: those named by fatal firing alerts. */
export function nodesToInspect(payload: AlertmanagerWebhook, config: PolicyConfig): string[] {
  const fatal = fatalByName(config);
  const names = new Set<string>();
  for (const a of payload.alerts) {
    const node = a.labels[config.nodeLabel];
    if (a.status === 'firing' && fatal.has(a.labels.alertname ?? '') && node) names.add(node);
  }
  return [...names];
}

/** The GPU from the alert's labels, e.g. "gpu=0 UUID=GPU-1234". */
function gpuOf(alert: WebhookAlert): string {
  return [alert.labels.gpu !== undefined ? `gpu=${alert.labels.gpu}` : '', alert.labels.UUID !== undefined ? `UUID=${alert.labels.UUID}` : ''].filter((s) => s).join(' ');
}

/** Decides, for every alert of the webhook, whether to quarantine its node. Pure. */
export function decide(input: PolicyInput): Decision[] {
  const { payload, nodes, config, now } = input;
  const fatalAlerts = fatalByName(config);
  const windowStart = now - config.windowSeconds * 1000;
  // Distinct nodes quarantined inside the window (an unreadable timestamp counts as recent).
  const recent = new Set(input.history.filter((h) => !Number.isFinite(h.at) || h.at >= windowStart).map((h) => h.node));
  // Nodes this batch quarantines (or would, in a dry run).
  const batch = new Set<string>();
  const decisions: Decision[] = [];

  for (const alert of payload.alerts) {
    const name = alert.labels.alertname ?? '';
    const fatal = fatalAlerts.get(name);
    const xid = alertXid(alert, fatal);
    const nodeName = alert.labels[config.nodeLabel] || undefined;
    const base = { node: nodeName, alert: name, fingerprint: alert.fingerprint, alertStatus: alert.status, xid };
    const what = `${name || '(no alertname)'}${xid !== undefined ? ` (Xid ${xid})` : ''}`;
    const refuse = (reason: RefusalReason, message: string): void => {
      decisions.push({ ...base, action: 'refuse', reason, message });
    };

    if (!fatal) {
      refuse('not-fatal', `${what} is not a fatal GPU condition; the responder only quarantines for ${[...fatalAlerts.keys()].join(', ')}`);
      continue;
    }
    if (alert.status === 'resolved') {
      refuse('resolved-never-uncordons', `${what} resolved; the responder never uncordons (a human does, after the GPU is reset or replaced)`);
      continue;
    }
    if (nodeName === undefined) {
      refuse('missing-node-label', `${what} has no "${config.nodeLabel}" label: no node to quarantine`);
      continue;
    }
    const node = nodes.get(nodeName);
    if (!node) {
      refuse('unknown-node', `${what} names node ${nodeName}, which does not exist`);
      continue;
    }
    if (!node.isGpuNode) {
      refuse('not-a-gpu-node', `${what} names node ${nodeName}, which is not a GPU node (it does not match the GPU node selector)`);
      continue;
    }
    const optOut = optOutLabel(node.labels);
    if (optOut !== undefined) {
      refuse('opted-out', `node ${nodeName} is labelled ${optOut}: left alone for ${what}`);
      continue;
    }
    const quarantined = node.unschedulable && hasQuarantineTaint(node.taints);
    if (batch.has(nodeName)) {
      refuse('already-quarantined', `node ${nodeName} is ${config.dryRun ? 'to be quarantined (dry run)' : 'quarantined'} by an earlier alert of this notification`);
      continue;
    }
    const sameOccurrence =
      node.annotations[QUARANTINE_ANNOTATIONS.fingerprint] === alert.fingerprint && node.annotations[QUARANTINE_ANNOTATIONS.alertStartsAt] === alert.startsAt;
    if (quarantined) {
      const by = node.annotations[QUARANTINE_ANNOTATIONS.alert];
      refuse('already-quarantined', `node ${nodeName} is already quarantined${by ? ` (for ${by} at ${node.annotations[QUARANTINE_ANNOTATIONS.at] ?? '?'})` : ''}; nothing to do for ${what}`);
      continue;
    }
    if (sameOccurrence) {
      refuse(
        'released-by-operator',
        `node ${nodeName} was quarantined for this same alert (${what}, fingerprint ${alert.fingerprint}) and someone has since released it; the responder does not undo that`,
      );
      continue;
    }
    const after = new Set([...recent, ...batch, nodeName]).size;
    if (after > config.maxNodes) {
      refuse('rate-limited-count', `quarantining node ${nodeName} for ${what} would make ${after} nodes quarantined in ${config.windowSeconds}s (limit ${config.maxNodes})`);
      continue;
    }
    if (input.gpuNodeCount < 1 || after * 100 > config.maxPercent * input.gpuNodeCount) {
      refuse(
        'rate-limited-percent',
        `quarantining node ${nodeName} for ${what} would make ${after} of ${input.gpuNodeCount} GPU nodes quarantined in ${config.windowSeconds}s (limit ${config.maxPercent}%)`,
      );
      continue;
    }
    batch.add(nodeName);
    if (config.dryRun) {
      refuse('dry-run', `dry run: would cordon and taint node ${nodeName} for ${what} (${fatal.why})`);
      continue;
    }
    const gpu = gpuOf(alert);
    decisions.push({
      ...base,
      node: nodeName,
      action: 'act',
      reason: 'fatal',
      taint: QUARANTINE_TAINT,
      annotations: {
        [QUARANTINE_ANNOTATIONS.at]: new Date(now).toISOString(),
        [QUARANTINE_ANNOTATIONS.alert]: name,
        [QUARANTINE_ANNOTATIONS.xid]: xid !== undefined ? String(xid) : '',
        [QUARANTINE_ANNOTATIONS.fingerprint]: alert.fingerprint,
        [QUARANTINE_ANNOTATIONS.alertStartsAt]: alert.startsAt,
        [QUARANTINE_ANNOTATIONS.gpu]: gpu,
      },
      message: `cordoned and tainted node ${nodeName} (${QUARANTINE_TAINT.key}=${QUARANTINE_TAINT.value}:${QUARANTINE_TAINT.effect}) for ${what}${gpu ? ` on ${gpu}` : ''}: ${fatal.why}. Not drained, reset or rebooted: a human uncordons after the repair`,
    });
  }
  return decisions;
}

/**
 * The node's taints with the quarantine taint appended once (unchanged when already there: the
 * API server rejects two taints with the same key and effect).
 */
export function withQuarantineTaint(taints: readonly Taint[]): Taint[] {
  if (hasQuarantineTaint(taints)) return [...taints];
  return [...taints, { ...QUARANTINE_TAINT }];
}
