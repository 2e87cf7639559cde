/** The GPU component's LogQL alerts for the Loki ruler (its log-rule mixin). Pure. */
import type { AlertRule } from '../core/prometheus-rule';
import { GPU_COMPONENT } from '../contracts/components';
import { TRAINING_EVENTS } from '../contracts/log-metrics';
import { eventCount, logRule, LOKI_RULE_WINDOW } from '../contracts/log-rules';
import { XID_DOCS_URL } from '../contracts/xid';

/** NVIDIA Xid lines in a node's kernel log, per node. */
export function gpuLogRules(): readonly AlertRule[] {
  return [
    logRule({
      alert: 'LogGpuXidError',
      expr: `${eventCount(TRAINING_EVENTS.xid, ['node'])} > 0`,
      severity: 'critical',
      component: GPU_COMPONENT,
      annotations: {
        summary: 'The kernel log of a node reports an NVIDIA Xid error (Loki ruler)',
        description: `Node {{ $labels.node }} logged {{ $value }} NVIDIA Xid line(s) in the last ${LOKI_RULE_WINDOW}. What to do: read the Xid code in Grafana Explore ({app="kernel", event="xid"}) and follow NVIDIA's table (e.g. 48/79: drain the node and reset or replace the GPU).`,
        runbook_url: XID_DOCS_URL,
      },
    }),
  ];
}
