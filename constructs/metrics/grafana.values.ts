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

/** The label the dashboard sidecar watches; teams put it on their dashboard ConfigMaps. */
export const DASHBOARD_LABEL = { key: 'mlobs.dev/dashboard', value: '1' } as const;

/** Datasource uids, stable so dashboards can reference them. */
export const DATASOURCE_UIDS = { prometheus: 'prometheus', alertmanager: 'alertmanager', loki: 'loki', elasticsearch: 'elasticsearch' } as const;

/**
 * In-cluster endpoints of the log stores.
 * TODO(loki issue): derive from the Loki construct (gateway Service) instead of this convention.
 * TODO(elastic issue): derive from the EckElasticsearch construct (`<name>-es-http`), add its
 * credentials (a read-only user from a Secret) and the CA for TLS.
 */
export const LOG_STORE_SERVICES = {
  loki: { service: 'loki-gateway', httpPort: 80, httpsPort: 443 },
  elasticsearch: { service: 'mlobs-es-http', httpPort: 9200, httpsPort: 9200, index: 'logs-ml-*' },
} as const;

export interface GrafanaValuesProps {
  readonly common: CommonConfig;
  readonly replicas: number;
  readonly resources: { readonly requests: Readonly<Record<string, string>>; readonly limits: Readonly<Record<string, string>> };
  /** Existing Secret with the admin user and password. */
  readonly adminCredentials: { readonly secretName: string; readonly userKey: string; readonly passwordKey: string };
  /** Log datasources to add, each with whether its hop uses TLS. @default - none */
  readonly logDatasources?: { readonly loki?: { readonly tls: boolean }; readonly elasticsearch?: { readonly tls: boolean } };
  /** @default - not exposed */
  readonly ingress?: UiIngressProps;
}

function lokiDatasource(ns: string, tls: boolean): HelmValues {
  const s = LOG_STORE_SERVICES.loki;
  return {
    name: 'Loki',
    uid: DATASOURCE_UIDS.loki,
    type: 'loki',
    access: 'proxy',
    url: tls ? `https://${s.service}.${ns}.svc:${s.httpsPort}` : `http://${s.service}.${ns}.svc:${s.httpPort}`,
    editable: false,
    jsonData: { maxLines: 1000, ...(tls ? { tlsSkipVerify: false } : {}) },
  };
}

function elasticsearchDatasource(ns: string, tls: boolean): HelmValues {
  const s = LOG_STORE_SERVICES.elasticsearch;
  return {
    name: 'Elasticsearch',
    uid: DATASOURCE_UIDS.elasticsearch,
    type: 'elasticsearch',
    access: 'proxy',
    url: `${tls ? 'https' : 'http'}://${s.service}.${ns}.svc:${tls ? s.httpsPort : s.httpPort}`,
    editable: false,
    jsonData: { index: s.index, timeField: '@timestamp', logMessageField: 'message', logLevelField: 'log.level', ...(tls ? { tlsSkipVerify: false } : {}) },
  };
}

export function renderGrafanaValues(props: GrafanaValuesProps): HelmValues {
  const ns = props.common.namespace;
  const logs = props.logDatasources ?? {};
  const additional = [
    ...(logs.loki ? [lokiDatasource(ns, logs.loki.tls)] : []),
    ...(logs.elasticsearch ? [elasticsearchDatasource(ns, logs.elasticsearch.tls)] : []),
  ];
  const i = props.ingress;
  return {
    enabled: true,
    replicas: props.replicas,
    resources: props.resources,
    admin: {
      existingSecret: props.adminCredentials.secretName,
      userKey: props.adminCredentials.userKey,
      passwordKey: props.adminCredentials.passwordKey,
    },
    'grafana.ini': {
      'auth.anonymous': { enabled: false },
      users: { allow_sign_up: false },
      security: { disable_gravatar: true, cookie_secure: Boolean(i?.tlsSecretName) },
      ...(i ? { server: { root_url: `${i.tlsSecretName ? 'https' : 'http'}://${i.host}/` } } : {}),
    },
    serviceMonitor: { enabled: true, labels: { ...props.common.monitorSelector } },
    sidecar: {
      dashboards: { enabled: true, label: DASHBOARD_LABEL.key, labelValue: DASHBOARD_LABEL.value, searchNamespace: 'ALL' },
      datasources: { enabled: true, defaultDatasourceEnabled: true, uid: DATASOURCE_UIDS.prometheus, alertmanager: { enabled: true, uid: DATASOURCE_UIDS.alertmanager } },
    },
    additionalDataSources: additional,
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
