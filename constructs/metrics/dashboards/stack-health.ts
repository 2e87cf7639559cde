/**
 * "mlobs / Stack health": is the observability stack itself healthy (scrapes, rule
 * evaluation, TSDB against its retention, firing alerts by severity, notifications).
 */
import { promql, stat, timeseries, type DashboardSpec } from '../../contracts/dashboards';

export const STACK_HEALTH_DASHBOARD: DashboardSpec = {
  uid: 'mlobs-stack-health',
  title: 'mlobs / Stack health',
  tags: ['mlobs', 'prometheus', 'alertmanager'],
  panels: [
    stat({ title: 'Targets down', width: 6, queries: [promql('count(up == 0) or vector(0)')] }),
    stat({ title: 'Critical alerts firing', width: 6, queries: [promql('count(ALERTS{alertstate="firing", severity="critical"}) or vector(0)')] }),
    stat({ title: 'Warning alerts firing', width: 6, queries: [promql('count(ALERTS{alertstate="firing", severity="warning"}) or vector(0)')] }),
    stat({
      title: 'TSDB size',
      width: 6,
      unit: 'bytes',
      queries: [promql('max(prometheus_tsdb_storage_blocks_bytes + prometheus_tsdb_head_chunks_storage_size_bytes + prometheus_tsdb_wal_storage_size_bytes)')],
    }),
    timeseries({ title: 'Samples ingested per second', unit: 'short', queries: [promql('sum by (pod) (rate(prometheus_tsdb_head_samples_appended_total[5m]))', '{{pod}}')] }),
    timeseries({
      title: 'Scrape duration p99 by job',
      unit: 's',
      queries: [promql('max by (job) (scrape_duration_seconds)', '{{job}}')],
    }),
    timeseries({
      title: 'Rule evaluation failures',
      queries: [promql('sum by (rule_group) (rate(prometheus_rule_evaluation_failures_total[5m]))', '{{rule_group}}')],
    }),
    timeseries({
      title: 'Notifications failed by integration',
      queries: [promql('sum by (integration) (rate(alertmanager_notifications_failed_total[5m]))', '{{integration}}')],
    }),
  ],
};

/** Every dashboard this component ships. */
export const METRICS_DASHBOARDS: readonly DashboardSpec[] = [STACK_HEALTH_DASHBOARD];
