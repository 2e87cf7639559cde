/**
 * Names ECK derives from a resource name, in one place, so other components (Grafana, Logstash,
 * the setup Job) wire to the Elasticsearch cluster by object, not by a copied string.
 * Pure: no cdktf import.
 */

/** ECK's HTTP Service of an Elasticsearch cluster. */
export const esHttpService = (name: string): string => `${name}-es-http`;
/** ECK's Secret with the HTTP CA (`ca.crt`) and certificate, readable by clients. */
export const esHttpCaSecret = (name: string): string => `${name}-es-http-certs-public`;
/** ECK's generated Secret with the `elastic` superuser password (key `elastic`). Never read by Terraform. */
export const esElasticUserSecret = (name: string): { readonly name: string; readonly key: string } => ({ name: `${name}-es-elastic-user`, key: 'elastic' });
/** ECK's HTTP Service of a Kibana. */
export const kbHttpService = (name: string): string => `${name}-kb-http`;
/** ECK's Secret with Kibana's HTTP CA (`ca.crt`), readable by clients. */
export const kbHttpCaSecret = (name: string): string => `${name}-kb-http-certs-public`;
/** The Logstash Service that receives Beats (ECK names it `<logstash>-ls-<service>`). */
export const lsBeatsService = (logstashName: string): string => `${logstashName}-ls-beats`;

/** In-cluster DNS names of a Service (for certificates). */
export const serviceDnsNames = (service: string, namespace: string): string[] => [service, `${service}.${namespace}`, `${service}.${namespace}.svc`];

/** Elasticsearch HTTP port (always TLS: ECK's CA or the tls component's issuer). */
export const ES_HTTP_PORT = 9200;
/** Kibana HTTP port (TLS: ECK's CA or the tls component's issuer). */
export const KB_HTTP_PORT = 5601;
/** Logstash Beats input port. */
export const LS_BEATS_PORT = 5044;
/** Port of Logstash's Prometheus-format event counters (the alert path on the free tier). */
export const LS_METRICS_PORT = 9198;

/** The in-cluster HTTPS endpoint of an Elasticsearch cluster. */
export const esHttpUrl = (name: string, namespace: string): string => `https://${esHttpService(name)}.${namespace}.svc:${ES_HTTP_PORT}`;
/** The in-cluster HTTPS endpoint of a Kibana. */
export const kbHttpUrl = (name: string, namespace: string): string => `https://${kbHttpService(name)}.${namespace}.svc:${KB_HTTP_PORT}`;

/** Elasticsearch transport port (node to node). */
export const ES_TRANSPORT_PORT = 9300;
/** Container port of the ECK operator's validating webhook (the chart's Service maps 443 to it). */
export const ECK_WEBHOOK_PORT = 9443;

/** A set of pods by its labels (structurally a core/network Workload). */
export interface EckWorkload {
  readonly name: string;
  readonly podSelector: Readonly<Record<string, string>>;
}

/**
 * Labels ECK puts on the pods it creates for each resource (documented by Elastic, e.g. in
 * its network policy guide; ECK-managed pods are not rendered by any chart, so tests check
 * these against the operator's documented labels, not a render).
 * @see https://www.elastic.co/docs/deploy-manage/security/k8s-network-policies
 */
export const eckPods = {
  elasticsearch: (name: string): EckWorkload => ({ name: 'elasticsearch', podSelector: { 'elasticsearch.k8s.elastic.co/cluster-name': name } }),
  kibana: (name: string): EckWorkload => ({ name: 'kibana', podSelector: { 'kibana.k8s.elastic.co/name': name } }),
  logstash: (name: string): EckWorkload => ({ name: 'logstash', podSelector: { 'logstash.k8s.elastic.co/name': name } }),
  beat: (name: string, workload = 'filebeat'): EckWorkload => ({ name: workload, podSelector: { 'beat.k8s.elastic.co/name': name } }),
} as const;
