/**
 * Helm values for kube-prometheus-stack (Prometheus Operator, Prometheus, Alertmanager,
 * node-exporter, kube-state-metrics; Grafana values come from grafana.values.ts).
 * Pure: no cdktf import.
 *
 * CRDs (decision, see README "Metrics"): Helm installs a chart's `crds/` on first install and
 * never upgrades them (prometheus-community/helm-charts#3843), so after a chart bump the
 * operator would run against stale CRDs. We enable the chart's own `crds.upgradeJob`: a
 * pre-install/pre-upgrade/pre-rollback hook Job that `kubectl apply --server-side
 * --force-conflicts` the CRDs bundled in this exact chart version. The CRDs therefore always
 * match the pinned chart, in the same `helm_release` and the same apply, without a second
 * release or a `kubernetes_manifest` (which would need the CRD at plan time). The chart marks
 * the job "preview"; it runs non-root with a read-only root filesystem. Removing the release
 * does not delete the CRDs (Helm never deletes them), which is what we want: deleting a CRD
 * deletes every PrometheusRule/ServiceMonitor of every team.
 *
 * Selectors: Prometheus selects PrometheusRules, ServiceMonitors, PodMonitors, Probes and
 * ScrapeConfigs by `common.monitorSelector` (label `mlobs.dev/monitor: <namespace>`) in every
 * namespace; nothing else in the cluster is picked up. The chart's own monitors and rules get
 * the label through `commonLabels` and the subcharts' `additionalLabels`. Teams add the same
 * label to their objects to have them scraped/evaluated.
 */
import type { ResourceRequirements } from '../core/settings';
import type { CommonConfig } from '../core/common';
import type { HelmValues } from '../core/values';
import type { AlertmanagerConfig } from './alertmanager-config.render';
import { IMAGES } from '../versions';

/** Resources of the CRD upgrade hook Job (kubectl apply of the bundled CRDs). */

/** The chart's fullnameOverride: its Services are `mlobs-alertmanager`, `mlobs-prometheus`, ... */
export const KPS_FULLNAME = 'mlobs';

export const DEFAULT_CRD_UPGRADE_JOB_RESOURCES: ResourceRequirements = {
  requests: { cpu: '10m', memory: '64Mi' },
  limits: { memory: '256Mi' },
};

/** Restricted container security context, for the chart's containers that do not set it. */
export const RESTRICTED_CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
} as const;

/** Requests and limits of the chart's small workloads (operator, kube-state-metrics, node-exporter, webhook jobs). */
export const DEFAULT_KPS_HELPER_RESOURCES = {
  operator: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
  kubeStateMetrics: { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  nodeExporter: { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '128Mi' } },
  admissionJobs: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
} as const;

/** Access mode of the Prometheus and Alertmanager volumes. */
export const DEFAULT_VOLUME_ACCESS_MODES = ['ReadWriteOnce'] as const;

/** Selector fields of the Prometheus CR that we set to `common.monitorSelector`. */
export const PROMETHEUS_SELECTORS = ['rule', 'serviceMonitor', 'podMonitor', 'probe', 'scrapeConfig'] as const;

export interface StorageProps {
  /** StorageClass. @default - the cluster default */
  readonly className?: string;
  /** Size in GiB. */
  readonly sizeGiB: number;
}

/** An Ingress for one UI, with TLS when `tlsSecretName` is set. */
export interface UiIngressProps {
  readonly host: string;
  readonly className: string;
  /** Secret with the certificate (from the tls/ component). @default - plain HTTP */
  readonly tlsSecretName?: string;
}

export interface KubePrometheusStackValuesProps {
  readonly common: CommonConfig;
  readonly prometheus: {
    readonly replicas: number;
    readonly resources: ResourceRequirements;
    readonly storage: StorageProps;
    /** Default scrape (and rule evaluation) interval, e.g. `30s`. */
    readonly scrapeInterval: string;
    /** --storage.tsdb.retention.time, e.g. `15d`. */
    readonly retentionTime: string;
    /** --storage.tsdb.retention.size in GiB. */
    readonly retentionSizeGiB: number;
    /** @default - not exposed */
    readonly ingress?: UiIngressProps;
  };
  readonly alertmanager: {
    readonly replicas: number;
    readonly resources: ResourceRequirements;
    readonly storage: StorageProps;
    /** The rendered alertmanager.yaml. */
    readonly config: AlertmanagerConfig;
    /** Secrets mounted at /etc/alertmanager/secrets/<name>/ (read by `*_file` fields). */
    readonly secretNames: readonly string[];
    /** Message template files (name → text), mounted beside the config and loaded by its `templates`. */
    readonly templateFiles?: Readonly<Record<string, string>>;
    /** @default - not exposed */
    readonly ingress?: UiIngressProps;
  };
  /** Values for the grafana subchart (from renderGrafanaValues). */
  readonly grafana: HelmValues;
}

function volumeClaim(s: StorageProps): HelmValues {
  return {
    volumeClaimTemplate: {
      spec: {
        ...(s.className ? { storageClassName: s.className } : {}),
        accessModes: [...DEFAULT_VOLUME_ACCESS_MODES],
        resources: { requests: { storage: `${s.sizeGiB}Gi` } },
      },
    },
  };
}

/** kube-prometheus-stack's `prometheus.ingress` / `alertmanager.ingress` shape. */
export function kpsIngress(i: UiIngressProps | undefined): HelmValues {
  if (!i) return { enabled: false };
  return {
    enabled: true,
    ingressClassName: i.className,
    hosts: [i.host],
    paths: ['/'],
    ...(i.tlsSecretName ? { tls: [{ secretName: i.tlsSecretName, hosts: [i.host] }] } : {}),
  };
}

/** Labels for every object of the chart: our monitor label and the user's labels (not app.kubernetes.io/*, which the chart sets). */
function chartCommonLabels(common: CommonConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(common.labels)) if (!k.startsWith('app.kubernetes.io/')) out[k] = v;
  return { ...out, ...common.monitorSelector };
}

export function renderKubePrometheusStackValues(props: KubePrometheusStackValuesProps): HelmValues {
  const { common, prometheus: p, alertmanager: a } = props;
  const selector = { matchLabels: { ...common.monitorSelector } };
  const selectors: Record<string, unknown> = {};
  for (const s of PROMETHEUS_SELECTORS) {
    selectors[`${s}SelectorNilUsesHelmValues`] = false;
    selectors[`${s}Selector`] = selector;
    selectors[`${s}NamespaceSelector`] = {};
  }
  const monitorLabels = { ...common.monitorSelector };
  return {
    fullnameOverride: KPS_FULLNAME,
    commonLabels: chartCommonLabels(common),
    crds: {
      enabled: true,
      upgradeJob: {
        enabled: true,
        forceConflicts: true,
        resources: DEFAULT_CRD_UPGRADE_JOB_RESOURCES,
        image: { busybox: { ...IMAGES.crdUpgradeBusybox } },
      },
    },
    // The chart's default rules carry the monitor label through commonLabels.
    defaultRules: { create: true },
    prometheus: {
      enabled: true,
      ingress: kpsIngress(p.ingress),
      prometheusSpec: {
        replicas: p.replicas,
        resources: p.resources,
        scrapeInterval: p.scrapeInterval,
        evaluationInterval: p.scrapeInterval,
        retention: p.retentionTime,
        retentionSize: `${p.retentionSizeGiB}GiB`,
        externalLabels: { cluster: common.clusterName, environment: common.environment },
        storageSpec: volumeClaim(p.storage),
        // Patched by name onto the container the operator builds.
        containers: [{ name: 'prometheus', securityContext: RESTRICTED_CONTAINER_SECURITY }],
        ...selectors,
      },
    },
    alertmanager: {
      enabled: true,
      ingress: kpsIngress(a.ingress),
      // Every top-level key of the chart's default config is set, so Helm's map merge leaves
      // exactly our document (lists replace; see test "deployed alertmanager.yaml equals the rendered config").
      config: a.config,
      ...(a.templateFiles ? { templateFiles: { ...a.templateFiles } } : {}),
      alertmanagerSpec: {
        replicas: a.replicas,
        resources: a.resources,
        storage: volumeClaim(a.storage),
        containers: [{ name: 'alertmanager', securityContext: RESTRICTED_CONTAINER_SECURITY }],
        secrets: [...a.secretNames],
      },
    },
    prometheusOperator: {
      resources: DEFAULT_KPS_HELPER_RESOURCES.operator,
      admissionWebhooks: { patch: { resources: DEFAULT_KPS_HELPER_RESOURCES.admissionJobs } },
    },
    nodeExporter: { enabled: true },
    'prometheus-node-exporter': {
      // Host network, host PID and hostPath: in the agents namespace (Pod Security privileged);
      // its ServiceMonitor goes there too, and Prometheus selects monitors in every namespace.
      namespaceOverride: common.agentsNamespace,
      prometheus: { monitor: { enabled: true, additionalLabels: monitorLabels } },
      resources: DEFAULT_KPS_HELPER_RESOURCES.nodeExporter,
      containerSecurityContext: RESTRICTED_CONTAINER_SECURITY,
    },
    kubeStateMetrics: { enabled: true },
    'kube-state-metrics': {
      prometheus: { monitor: { enabled: true, additionalLabels: monitorLabels } },
      resources: DEFAULT_KPS_HELPER_RESOURCES.kubeStateMetrics,
    },
    grafana: props.grafana,
  };
}
