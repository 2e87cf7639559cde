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
import { DEFAULT_ELASTIC_NAME, DEFAULT_DATASET } from '../../config/schema/elastic';
import { esElasticUserSecret, esHttpCaSecret, esHttpService, esHttpUrl } from '../elastic/names';

/** The label the dashboard sidecar watches; teams put it on their dashboard ConfigMaps. */
export const DASHBOARD_LABEL = { key: 'mlobs.dev/dashboard', value: '1' } as const;

/** Datasource uids, stable so dashboards can reference them. */
export const DATASOURCE_UIDS = { prometheus: 'prometheus', alertmanager: 'alertmanager', loki: 'loki', elasticsearch: 'elasticsearch' } as const;

/**
 * In-cluster endpoints of the log stores.
 * TODO(loki issue): derive from the Loki construct (gateway Service) instead of this convention.
 * Elasticsearch: derived from the ElasticPipeline's names (constructs/elastic/names.ts):
 * `<name>-es-http`, always HTTPS (ECK's CA or the tls issuer; the CA comes from ECK's
 * `<name>-es-http-certs-public` Secret), authenticated from ECK's generated Secret, mounted as
 * files (no password in values).
 */
export const LOG_STORE_SERVICES = {
  loki: { service: 'loki-gateway', httpPort: 80, httpsPort: 443 },
  elasticsearch: { service: esHttpService(DEFAULT_ELASTIC_NAME), httpPort: 9200, httpsPort: 9200, index: `logs-${DEFAULT_DATASET}-*` },
} as const;

export interface GrafanaValuesProps {
  readonly common: CommonConfig;
  readonly replicas: number;
  readonly resources: { readonly requests: Readonly<Record<string, string>>; readonly limits: Readonly<Record<string, string>> };
  /** Existing Secret with the admin user and password. */
  readonly adminCredentials: { readonly secretName: string; readonly userKey: string; readonly passwordKey: string };
  /** Log datasources to add, each with whether its hop uses TLS. @default - none */
  readonly logDatasources?: { readonly loki?: { readonly tls: boolean }; readonly elasticsearch?: ElasticsearchDatasourceProps };
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

/** The Elasticsearch datasource: which ECK cluster. `tls` is accepted for symmetry; ECK always serves HTTPS. */
export interface ElasticsearchDatasourceProps {
  /** Whether the environment asks TLS on this hop (ECK serves HTTPS either way). */
  readonly tls: boolean;
  /** Name of the ECK Elasticsearch resource. @default DEFAULT_ELASTIC_NAME */
  readonly name?: string;
  /** Index pattern. @default logs-<DEFAULT_DATASET>-* */
  readonly index?: string;
}

/** Where Grafana mounts ECK's CA and elastic-user Secrets for the Elasticsearch datasource. */
export const ES_DATASOURCE_MOUNTS = { ca: '/etc/secrets/elasticsearch-ca', user: '/etc/secrets/elasticsearch-user' } as const;

function elasticsearchDatasource(ns: string, p: ElasticsearchDatasourceProps): HelmValues {
  const name = p.name ?? DEFAULT_ELASTIC_NAME;
  const user = esElasticUserSecret(name);
  return {
    name: 'Elasticsearch',
    uid: DATASOURCE_UIDS.elasticsearch,
    type: 'elasticsearch',
    access: 'proxy',
    url: esHttpUrl(name, ns),
    editable: false,
    basicAuth: true,
    basicAuthUser: user.key,
    jsonData: {
      index: p.index ?? LOG_STORE_SERVICES.elasticsearch.index,
      timeField: '@timestamp',
      logMessageField: 'message',
      logLevelField: 'ml.level',
      tlsAuthWithCACert: true,
      tlsSkipVerify: false,
    },
    // Grafana expands $__file{} when it reads the provisioning file: the values hold paths only.
    secureJsonData: {
      tlsCACert: `$__file{${ES_DATASOURCE_MOUNTS.ca}/ca.crt}`,
      basicAuthPassword: `$__file{${ES_DATASOURCE_MOUNTS.user}/${user.key}}`,
    },
  };
}

function elasticsearchMounts(p: ElasticsearchDatasourceProps): HelmValues[] {
  const name = p.name ?? DEFAULT_ELASTIC_NAME;
  return [
    { name: 'elasticsearch-ca', secretName: esHttpCaSecret(name), mountPath: ES_DATASOURCE_MOUNTS.ca, readOnly: true },
    { name: 'elasticsearch-user', secretName: esElasticUserSecret(name).name, mountPath: ES_DATASOURCE_MOUNTS.user, readOnly: true },
  ];
}

export function renderGrafanaValues(props: GrafanaValuesProps): HelmValues {
  const ns = props.common.namespace;
  const logs = props.logDatasources ?? {};
  const additional = [
    ...(logs.loki ? [lokiDatasource(ns, logs.loki.tls)] : []),
    ...(logs.elasticsearch ? [elasticsearchDatasource(ns, logs.elasticsearch)] : []),
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
    ...(logs.elasticsearch ? { extraSecretMounts: elasticsearchMounts(logs.elasticsearch) } : {}),
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
