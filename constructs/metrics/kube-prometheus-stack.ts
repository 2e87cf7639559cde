import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import type { EnvironmentSettings } from '../../config/schema/environment';
import type { CommonConfig } from '../core/common';
import { PinnedRelease } from '../core/pinned-release';
import type { HelmValues } from '../core/values';
import type { Tls } from '../tls/tls';
import { CHARTS } from '../versions';
import { renderAlertmanagerConfig, type RenderedAlertmanagerConfig } from './alertmanager-config.render';
import { METRICS_DASHBOARDS } from './dashboards/stack-health';
import type { DashboardSpec } from './dashboards/builder';
import { renderDashboardConfigMap } from './dashboards/dashboard-config-map.render';
import { renderGrafanaValues } from './grafana.values';
import { renderKubePrometheusStackValues, type UiIngressProps } from './kube-prometheus-stack.values';
import type { IngressSettings } from '../../config/schema/metrics';
import { lokiEndpointFor } from '../loki/endpoint';

/** Helm release name of kube-prometheus-stack (a Terraform-visible name: do not change). */
export const DEFAULT_KPS_RELEASE_NAME = 'kube-prometheus-stack';

export interface KubePrometheusStackProps {
  readonly common: CommonConfig;
  /** The environment's `prometheus`, `alertmanager`, `grafana`, `retention` and `logs` settings (`loki`, `elastic`: for the datasources). */
  readonly settings: Pick<EnvironmentSettings, 'prometheus' | 'alertmanager' | 'grafana' | 'retention' | 'logs' | 'tls' | 'elastic' | 'loki'>;
  /** TLS component; UIs with an ingress get a certificate when it serves the `ui` hop. @default - no TLS */
  readonly tls?: Tls;
  /** Dashboards delivered through the Grafana sidecar. @default METRICS_DASHBOARDS */
  readonly dashboards?: readonly DashboardSpec[];
  /** Deep-merged last over the chart values (the one escape hatch). @default - none */
  readonly valuesOverrides?: HelmValues;
  /** Resources the release waits for (e.g. the namespace). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * Metrics and alerting: kube-prometheus-stack (Prometheus Operator with its CRDs kept current
 * by the chart's upgrade job, Prometheus, Alertmanager with our routes, Grafana, node-exporter,
 * kube-state-metrics) and the dashboards as sidecar ConfigMaps.
 */
export class KubePrometheusStack extends Construct {
  /** The pinned release (its `release` is the helm_release escape hatch). */
  readonly chart: PinnedRelease;
  /** The rendered Alertmanager configuration and the Secrets it reads. */
  readonly alertmanagerConfig: RenderedAlertmanagerConfig;

  constructor(scope: Construct, id: string, props: KubePrometheusStackProps) {
    super(scope, id);
    const { common, settings: s } = props;
    const ui = (name: string, i: IngressSettings | undefined): UiIngressProps | undefined => {
      if (!i) return undefined;
      const tlsOn = props.tls?.enabledFor('ui') ?? false;
      const secretName = tlsOn && props.tls ? props.tls.certificateFor({ name, dnsNames: [i.host] }).secretName : undefined;
      return { host: i.host, className: i.className, ...(secretName ? { tlsSecretName: secretName } : {}) };
    };
    this.alertmanagerConfig = renderAlertmanagerConfig({ alerting: s.alertmanager });
    const pipelines = s.logs.pipelines;
    const tlsHop = (hop: 'loki' | 'elasticsearch'): boolean => s.tls.enabled && s.tls.hops[hop];
    const grafanaIngress = ui('grafana', s.grafana.ingress);
    const promIngress = ui('prometheus', s.prometheus.ingress);
    const amIngress = ui('alertmanager', s.alertmanager.ingress);
    const values = renderKubePrometheusStackValues({
      common,
      prometheus: {
        replicas: s.prometheus.replicas,
        resources: s.prometheus.resources,
        storage: s.prometheus.storage,
        scrapeInterval: s.prometheus.scrapeInterval,
        retentionTime: s.retention.prometheus.time,
        retentionSizeGiB: s.retention.prometheus.sizeGiB,
        ...(promIngress ? { ingress: promIngress } : {}),
      },
      alertmanager: {
        replicas: s.alertmanager.replicas,
        resources: s.alertmanager.resources,
        storage: s.alertmanager.storage,
        config: this.alertmanagerConfig.config,
        secretNames: this.alertmanagerConfig.secretNames,
        ...(amIngress ? { ingress: amIngress } : {}),
      },
      grafana: renderGrafanaValues({
        common,
        replicas: s.grafana.replicas,
        resources: s.grafana.resources,
        adminCredentials: s.grafana.adminCredentials,
        logDatasources: {
          // The same endpoint the Loki construct exposes (lokiEndpointFor), from the same settings.
          ...(pipelines.includes('loki')
            ? { loki: lokiEndpointFor({ namespace: common.namespace, environment: common.environment, authEnabled: s.loki.authEnabled, tenant: s.loki.tenant, tls: tlsHop('loki') }) }
            : {}),
          ...(pipelines.includes('elastic') ? { elasticsearch: { tls: tlsHop('elasticsearch'), name: s.elastic.name } } : {}),
        },
        ...(grafanaIngress ? { ingress: grafanaIngress } : {}),
      }),
    });
    this.chart = new PinnedRelease(this, 'release', {
      chart: CHARTS.kubePrometheusStack,
      releaseName: DEFAULT_KPS_RELEASE_NAME,
      namespace: common.namespace,
      values,
      ...(props.valuesOverrides ? { valuesOverrides: props.valuesOverrides } : {}),
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
    });
    for (const d of props.dashboards ?? METRICS_DASHBOARDS) {
      const cm = renderDashboardConfigMap(d, common, { loki: pipelines.includes('loki') });
      new ConfigMapV1(this, `dashboard-${d.uid}`, {
        metadata: { name: cm.metadata.name, namespace: common.namespace, labels: { ...cm.metadata.labels } },
        data: cm.data as Record<string, string>,
        ...(props.dependsOn ? { dependsOn: [...props.dependsOn] } : {}),
      });
    }
  }
}
