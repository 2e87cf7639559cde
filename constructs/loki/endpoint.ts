/**
 * Where and how writers (Alloy, Promtail) and readers (Grafana) reach Loki: one pure function
 * that the Loki construct uses for {@link Loki.endpoint} and that components created before it
 * (Grafana, in kube-prometheus-stack) call with the same settings. No cdktf import.
 */
import { DEFAULT_LOKI_RELEASE_NAME, LOKI_GATEWAY_PORTS } from './loki.values';

import { TENANT_HEADER } from '../contracts/log-stores';
export { TENANT_HEADER };
/** The gateway Service every writer and reader talks to. Terraform/Kubernetes-visible: do not change. */
export const LOKI_GATEWAY_SERVICE = `${DEFAULT_LOKI_RELEASE_NAME}-gateway`;
/** The cert-manager Secret (tls.crt, tls.key, ca.crt) of the gateway certificate. */
export const LOKI_GATEWAY_TLS_SECRET = LOKI_GATEWAY_SERVICE;

/** What a writer or reader needs to reach this Loki. */
export interface LokiEndpoint {
  /** Base URL of the gateway, e.g. `https://loki-gateway.mlobs.svc:443`. */
  readonly url: string;
  /** Push URL (`<url>/loki/api/v1/push`). */
  readonly pushUrl: string;
  /** Tenant to send in {@link TENANT_HEADER}; undefined when auth is off. */
  readonly tenant?: string | undefined;
  /** Whether the gateway serves TLS. */
  readonly tls: boolean;
  /** Secret whose `ca.crt` verifies the gateway certificate (when TLS). */
  readonly caSecretName?: string | undefined;
}

export interface LokiEndpointInput {
  readonly namespace: string;
  /** The environment name: the tenant when `loki.tenant` is not set. */
  readonly environment: string;
  readonly authEnabled: boolean;
  /** @default - the environment name */
  readonly tenant?: string | undefined;
  /** Whether the `loki` hop is served over TLS. */
  readonly tls: boolean;
}

/** The DNS names of the gateway certificate. */
export function lokiGatewayDnsNames(namespace: string): string[] {
  const s = LOKI_GATEWAY_SERVICE;
  return [s, `${s}.${namespace}`, `${s}.${namespace}.svc`, `${s}.${namespace}.svc.cluster.local`];
}

export function lokiEndpointFor(i: LokiEndpointInput): LokiEndpoint {
  const url = i.tls
    ? `https://${LOKI_GATEWAY_SERVICE}.${i.namespace}.svc:${LOKI_GATEWAY_PORTS.https}`
    : `http://${LOKI_GATEWAY_SERVICE}.${i.namespace}.svc:${LOKI_GATEWAY_PORTS.http}`;
  return {
    url,
    pushUrl: `${url}/loki/api/v1/push`,
    tenant: i.authEnabled ? (i.tenant ?? i.environment) : undefined,
    tls: i.tls,
    caSecretName: i.tls ? LOKI_GATEWAY_TLS_SECRET : undefined,
  };
}
