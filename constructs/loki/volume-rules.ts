/**
 * The alert on the collector's per-stream line limit (contracts/log-volume.ts): a stream whose
 * lines the collector keeps dropping. Pure: no cdktf import.
 *
 * Dropped DEBUG lines and sampled progress-bar redraws are dropped on purpose, all the time: no
 * alert watches them (their counters, `*_dropped_lines_total{reason="mlobs_level_debug"}` and
 * `*_dropped_lines_by_label_total{label_name="mlobs_progress_stream"}`, are there to read). The
 * per-stream limit is different: a stream over it is losing lines it did not mean to lose, so
 * sustained drops there alert, naming the stream (namespace/pod/container).
 */
import type { RuleGroup } from '../core/prometheus-rule';
import { LOGS_COMPONENT } from '../contracts/components';
import { LIMIT_LABELS } from '../contracts/log-volume';
import type { CollectorName } from './settings';

export const LOG_VOLUME_RULE_NAME = 'mlobs-log-volume';
export const LOG_VOLUME_GROUP_NAME = 'mlobs-log-volume';
/** How long a stream must keep losing lines before the alert fires. */
export const STREAM_RATE_LIMITED_FOR = '15m';
export const LOG_VOLUME_RUNBOOK_URL = 'https://grafana.com/docs/alloy/latest/reference/components/loki/loki.process/#stagelimit';

/** The per-label drop counter of each collector's stage.limit (limit.go in Alloy and in Promtail). */
export const DROPPED_BY_LABEL_METRIC: { readonly [C in CollectorName]: string } = {
  alloy: 'loki_process_dropped_lines_by_label_total',
  promtail: 'logentry_dropped_lines_by_label_total',
};

/** The alert for the collector in use, on its series in the stack's namespace. */
export function renderLogVolumeRuleGroups(namespace: string, collector: CollectorName): RuleGroup[] {
  const metric = DROPPED_BY_LABEL_METRIC[collector];
  const name = collector === 'alloy' ? 'Alloy' : 'Promtail';
  return [
    {
      name: LOG_VOLUME_GROUP_NAME,
      rules: [
        {
          alert: 'LogStreamRateLimited',
          expr: `sum by (namespace, pod, label_value) (rate(${metric}{namespace=${JSON.stringify(namespace)}, label_name=${JSON.stringify(LIMIT_LABELS.stream)}}[5m])) > 0`,
          for: STREAM_RATE_LIMITED_FOR,
          labels: { severity: 'warning', component: LOGS_COMPONENT },
          annotations: {
            summary: 'Log stream {{ $labels.label_value }} is over its line limit',
            description:
              `${name} {{ $labels.pod }} has dropped {{ $value | humanize }} lines per second of the stream {{ $labels.label_value }} (namespace/pod/container) for ${STREAM_RATE_LIMITED_FOR}: ` +
              'the stream logs faster than logs.volume.perStream allows, and the lines over the limit are not stored. ' +
              'What to do: look at what the job prints in a loop (kubectl logs on that pod); if the rate is expected, raise logs.volume.perStream.linesPerSecond (Loki\'s per-stream limits follow).',
            runbook_url: LOG_VOLUME_RUNBOOK_URL,
          },
        },
      ],
    },
  ];
}
