/**
 * Values for the grafana subchart of kube-prometheus-stack (`grafana.*`). Pure: no cdktf import.
 *
 * - Admin user and password come from an existing Secret (`admin.existingSecret`); no literal.
 * - Anonymous access and sign-up are off.
 * - Datasources: Prometheus (and Alertmanager) through the chart's datasource sidecar, always;
 *   Loki and Elasticsearch when the environment's `logs.pipelines` include them.
 * - Dashboards: the sidecar loads every ConfigMap labelled {@link DASHBOARD_LABEL} in any
 *   namespace, ours (dashboards/) and teams'.
 */
import type { CommonConfig } from '../core/common';
import type { HelmValues } from '../core/values';
import type { UiIngressProps } from './kube-prometheus-stack.values';
import type { LokiEndpoint } from '../loki/endpoint';
import { TENANT_HEADER } from '../contracts/log-stores';

import { DASHBOARD_LABEL, DATASOURCE_UIDS } from '../contracts/dashboards';
export { DASHBOARD_LABEL, DATASOURCE_UIDS };

/*
 * Log datasources come from the pipelines (KubePrometheusStack.addDatasource): Loki as the
 * {@link LokiEndpoint} its construct serves, Elasticsearch as the URL, index and Secrets the
 * ElasticPipeline names (ECK's HTTPS Service and CA, its generated user Secret, mounted as files:
 * no password in values). Nothing here restates another component's names.
 */

export interface GrafanaValuesProps {
  readonly common: CommonConfig;
  readonly replicas: number;
  readonly resources: { readonly requests: Readonly<Record<string, string>>; readonly limits: Readonly<Record<string, string>> };
  /** Existing Secret with the admin user and password. */
  readonly adminCredentials: { readonly secretName: string; readonly userKey: string; readonly passwordKey: string };
  /** Log datasources to add: Loki by its endpoint (URL, tenant, TLS CA), Elasticsearch by its URL, index and Secrets. @default - none */
  readonly logDatasources?: { readonly loki?: LokiEndpoint; readonly elasticsearch?: ElasticsearchDatasourceProps };
  /** @default - not exposed */
  readonly ingress?: UiIngressProps;
}

/** A log datasource as the pipeline that serves it describes itself. */
export type LogDatasource =
  | { readonly kind: 'loki'; readonly endpoint: LokiEndpoint }
  | { readonly kind: 'elasticsearch'; readonly elasticsearch: ElasticsearchDatasourceProps };

/** A log pipeline Grafana can read: `KubePrometheusStack.addDatasource(pipeline)`. */
export interface GrafanaLogSource {
  readonly grafanaLogDatasource: LogDatasource;
}

/** Where Grafana mounts the Loki gateway's CA (the `ca.crt` of its certificate Secret). */
export const LOKI_DATASOURCE_CA_DIR = '/etc/secrets/loki-ca';

/**
 * The Loki datasource: the gateway URL, the tenant in {@link TENANT_HEADER} (Grafana sends
 * `httpHeaderName1`/`httpHeaderValue1` on every query; the tenant id is not a secret, but
 * Grafana only reads header values from secureJsonData), and the gateway CA when TLS is on.
 * @see https://grafana.com/docs/grafana/latest/datasources/loki/
 */
function lokiDatasource(e: LokiEndpoint): HelmValues {
  const ca = e.tls && e.caSecretName;
  return {
    name: 'Loki',
    uid: DATASOURCE_UIDS.loki,
    type: 'loki',
    access: 'proxy',
    url: e.url,
    editable: false,
    jsonData: {
      maxLines: 1000,
      ...(e.tenant ? { httpHeaderName1: TENANT_HEADER } : {}),
      ...(ca ? { tlsAuthWithCACert: true, tlsSkipVerify: false } : {}),
    },
    ...(e.tenant || ca
      ? {
          secureJsonData: {
            ...(e.tenant ? { httpHeaderValue1: e.tenant } : {}),
            ...(ca ? { tlsCACert: `$__file{${LOKI_DATASOURCE_CA_DIR}/ca.crt}` } : {}),
          },
        }
      : {}),
  };
}

function lokiMounts(e: LokiEndpoint): HelmValues[] {
  return e.tls && e.caSecretName ? [{ name: 'loki-ca', secretName: e.caSecretName, mountPath: LOKI_DATASOURCE_CA_DIR, readOnly: true }] : [];
}

/** The Elasticsearch datasource: which ECK cluster. `tls` is accepted for symmetry; ECK always serves HTTPS. */
export interface ElasticsearchDatasourceProps {
  /** The cluster's HTTPS URL (ECK's `<name>-es-http` Service). */
  readonly url: string;
  /** Index pattern Grafana queries (the pipeline's data streams, `logs-<dataset>-*`). */
  readonly index: string;
  /** Secret holding the CA of the HTTP certificate (`ca.crt`). */
  readonly caSecretName: string;
  /**
   * The user Grafana reads as: a basic-auth Secret (`username`, `password` keys), mounted and read
   * through `$__file` (both the name and the password). A read-only user, not `elastic`.
   */
  readonly user: { readonly secretName: string };
}

/** Where Grafana mounts ECK's CA and its reader user's Secret for the Elasticsearch datasource. */
export const ES_DATASOURCE_MOUNTS = { ca: '/etc/secrets/elasticsearch-ca', user: '/etc/secrets/elasticsearch-user' } as const;

function elasticsearchDatasource(p: ElasticsearchDatasourceProps): HelmValues {
  return {
    name: 'Elasticsearch',
    uid: DATASOURCE_UIDS.elasticsearch,
    type: 'elasticsearch',
    access: 'proxy',
    url: p.url,
    editable: false,
    basicAuth: true,
    basicAuthUser: `$__file{${ES_DATASOURCE_MOUNTS.user}/username}`,
    jsonData: {
      index: p.index,
      timeField: '@timestamp',
      logMessageField: 'message',
      logLevelField: 'ml.level',
      tlsAuthWithCACert: true,
      tlsSkipVerify: false,
    },
    // Grafana expands $__file{} when it reads the provisioning file: the values hold paths only.
    secureJsonData: {
      tlsCACert: `$__file{${ES_DATASOURCE_MOUNTS.ca}/ca.crt}`,
      basicAuthPassword: `$__file{${ES_DATASOURCE_MOUNTS.user}/password}`,
    },
  };
}

function elasticsearchMounts(p: ElasticsearchDatasourceProps): HelmValues[] {
  return [
    { name: 'elasticsearch-ca', secretName: p.caSecretName, mountPath: ES_DATASOURCE_MOUNTS.ca, readOnly: true },
    { name: 'elasticsearch-user', secretName: p.user.secretName, mountPath: ES_DATASOURCE_MOUNTS.user, readOnly: true },
  ];
}

/** Container security context of Grafana and its sidecars: restricted, read-only root (writable /tmp and data volume). */
export const GRAFANA_CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/** Grafana's temporary directory (an emptyDir; the root filesystem is read-only). */
export const GRAFANA_SCRATCH_DIR = '/run/grafana';

/** Requests and limits of the dashboard and datasource sidecars. */
export const DEFAULT_GRAFANA_SIDECAR_RESOURCES = { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } } as const;

export function renderGrafanaValues(props: GrafanaValuesProps): HelmValues {
  const logs = props.logDatasources ?? {};
  const additional = [
    ...(logs.loki ? [lokiDatasource(logs.loki)] : []),
    ...(logs.elasticsearch ? [elasticsearchDatasource(logs.elasticsearch)] : []),
  ];
  const mounts = [...(logs.loki ? lokiMounts(logs.loki) : []), ...(logs.elasticsearch ? elasticsearchMounts(logs.elasticsearch) : [])];
  const i = props.ingress;
  return {
    enabled: true,
    replicas: props.replicas,
    resources: props.resources,
    // Read-only root: Grafana writes only its data volume (/var/lib/grafana), temporary files
    // to an emptyDir (TMPDIR), and logs to the console.
    containerSecurityContext: GRAFANA_CONTAINER_SECURITY,
    extraEmptyDirMounts: [{ name: 'scratch', mountPath: GRAFANA_SCRATCH_DIR }],
    env: { TMPDIR: GRAFANA_SCRATCH_DIR },
    admin: {
      existingSecret: props.adminCredentials.secretName,
      userKey: props.adminCredentials.userKey,
      passwordKey: props.adminCredentials.passwordKey,
    },
    'grafana.ini': {
      'auth.anonymous': { enabled: false },
      users: { allow_sign_up: false },
      log: { mode: 'console' },
      security: { disable_gravatar: true, cookie_secure: Boolean(i?.tlsSecretName) },
      ...(i ? { server: { root_url: `${i.tlsSecretName ? 'https' : 'http'}://${i.host}/` } } : {}),
    },
    serviceMonitor: { enabled: true, labels: { ...props.common.monitorSelector } },
    sidecar: {
      resources: DEFAULT_GRAFANA_SIDECAR_RESOURCES,
      securityContext: GRAFANA_CONTAINER_SECURITY,
      dashboards: { enabled: true, label: DASHBOARD_LABEL.key, labelValue: DASHBOARD_LABEL.value, searchNamespace: 'ALL' },
      datasources: { enabled: true, defaultDatasourceEnabled: true, uid: DATASOURCE_UIDS.prometheus, alertmanager: { enabled: true, uid: DATASOURCE_UIDS.alertmanager } },
    },
    additionalDataSources: additional,
    ...(mounts.length > 0 ? { extraSecretMounts: mounts } : {}),
    ingress: i
      ? {
          enabled: true,
          ingressClassName: i.className,
          hosts: [i.host],
          path: '/',
          ...(i.tlsSecretName ? { tls: [{ secretName: i.tlsSecretName, hosts: [i.host] }] } : {}),
        }
      : { enabled: false },
  };
}
