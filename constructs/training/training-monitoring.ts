import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { trainingSettings, type TrainingOptions, type TrainingSettings } from './settings';
import type { CommonConfig } from '../core/common';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import type { KubeManifest } from '../core/manifest';
import { renderPrometheusRule } from '../core/prometheus-rule';
import { addDashboards } from '../contracts/dashboard-config-maps';
import { trainingJobDashboard } from './dashboards';
import { renderTrainingPodMonitor } from './pod-monitor.render';
import { renderTrainingRuleGroups } from './training-rules';

/** Name of the training PrometheusRule. */
export const DEFAULT_TRAINING_RULE_NAME = 'mlobs-training';

export interface TrainingMonitoringProps {
  readonly common: CommonConfig;
  /** Which pods are scraped and the alert thresholds. @default - see {@link TrainingOptions} */
  readonly training?: TrainingOptions;
  /** The stack's custom-resource chart (PodMonitor, PrometheusRule). */
  readonly resources: CustomResourceChart;
  /** The release that installs the monitoring CRDs (kube-prometheus-stack). */
  readonly operatorRelease: ITerraformDependable;
  /** Whether a Loki datasource exists (log panels). @default false */
  readonly loki?: boolean;
  /** Whether Kubernetes events reach Loki (the job dashboard's events panel). @default false */
  readonly events?: boolean;
  /** Resources the dashboard waits for. @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** Training jobs: PodMonitor for their own /metrics, log-derived training alerts, the job dashboard. */
export class TrainingMonitoring extends Construct {
  readonly podMonitor: KubeManifest;
  /** The settings in use, every default applied. */
  readonly settings: TrainingSettings;
  readonly rule: KubeManifest;

  constructor(scope: Construct, id: string, props: TrainingMonitoringProps) {
    super(scope, id);
    const { common } = props;
    const training = trainingSettings(props.training);
    this.settings = training;
    this.podMonitor = renderTrainingPodMonitor({ common, scrapeLabel: training.scrapeLabel, metricsPort: training.metricsPort, jobLabels: training.jobLabels });
    props.resources.add(this.podMonitor, [props.operatorRelease]);
    this.rule = renderPrometheusRule(DEFAULT_TRAINING_RULE_NAME, renderTrainingRuleGroups(training.alerts), common);
    props.resources.add(this.rule, [props.operatorRelease]);
    const d = trainingJobDashboard({ loki: props.loki ?? false, events: props.events ?? false });
    addDashboards(this, [d], common, { loki: props.loki ?? false, dependsOn: props.dependsOn });
  }
}
