/**
 * One source of truth for what holds data. A resource that holds data (or whose removal deletes
 * data: the namespace, an operator with its CRDs, the chart carrying Elasticsearch) declares it
 * with a reason, and the declaration is written into the synthesized resource as a Terraform JSON
 * comment (`"//": { "mlobs-stateful": "<reason>" }`, which Terraform ignores). The plan preview,
 * the construct-ID guard and the README read that declaration. Pure: no cdktf import.
 */

/** The key, inside a resource's `//` comment object, that carries the reason. */
export const STATEFUL_KEY = 'mlobs-stateful';

/** Why each stateful part of the stack holds data. */
export const STATEFUL_REASONS = {
  namespace: 'the namespace: destroying it deletes everything in it',
  kubePrometheusStack: 'Prometheus and Alertmanager StatefulSets and their PersistentVolumeClaims',
  loki: 'Loki StatefulSet and its PersistentVolumeClaims (chunks, index)',
  eckOperator: 'the ECK operator and its CRDs: removing them deletes every Elasticsearch resource',
  customResources:
    'the custom-resource chart: every custom resource of the stack (Elasticsearch and its volumes when the elastic pipeline runs, Kibana, PrometheusRules, monitors)',
} as const;

/** Custom-resource kinds whose deletion loses data (their volumes go with them). */
export const STATEFUL_KINDS: Readonly<Record<string, string>> = {
  Elasticsearch: 'Elasticsearch and its PersistentVolumeClaims',
  Prometheus: 'Prometheus and its PersistentVolumeClaims',
  Alertmanager: 'Alertmanager and its PersistentVolumeClaims',
  Logstash: 'Logstash and its queue volumes',
  StatefulSet: 'a StatefulSet and its PersistentVolumeClaims',
  PersistentVolumeClaim: 'a PersistentVolumeClaim',
};

/** The declared reason of a synthesized resource body, if it declares one. */
export function declaredStateful(body: unknown): string | undefined {
  const comment = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)['//'] : undefined;
  const reason = comment !== null && typeof comment === 'object' ? (comment as Record<string, unknown>)[STATEFUL_KEY] : undefined;
  return typeof reason === 'string' ? reason : undefined;
}
