/**
 * The Kibana custom resource (ECK `kibana.k8s.elastic.co/v1`), connected to the Elasticsearch
 * cluster by `elasticsearchRef` (ECK creates its service account token and trusts the CA).
 * HTTP TLS from ECK's CA or a cert-manager Secret. Pure: no cdktf import.
 */
import type { KubeManifest } from '../core/manifest';
import type { ResourceRequirements } from '../core/settings';
import { ECK_CONTAINER_SECURITY, ECK_POD_SECURITY } from './elasticsearch.render';
import { kbHttpService, KB_HTTP_PORT } from './names';

export const KIBANA_API_VERSION = 'kibana.k8s.elastic.co/v1';

export interface KibanaRenderProps {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly version: string;
  /** Name of the Elasticsearch resource. */
  readonly elasticsearchName: string;
  readonly count: number;
  readonly resources: ResourceRequirements;
  /** cert-manager Secret for HTTP TLS. @default - ECK's self-signed CA */
  readonly httpCertificateSecret?: string;
}

export function renderKibana(p: KibanaRenderProps): KubeManifest {
  return {
    apiVersion: KIBANA_API_VERSION,
    kind: 'Kibana',
    metadata: { name: p.name, namespace: p.namespace, labels: { ...p.labels } },
    spec: {
      version: p.version,
      count: p.count,
      elasticsearchRef: { name: p.elasticsearchName },
      http: { tls: p.httpCertificateSecret ? { certificate: { secretName: p.httpCertificateSecret } } : { selfSignedCertificate: { disabled: false } } },
      podTemplate: {
        spec: {
          securityContext: ECK_POD_SECURITY,
          containers: [{ name: 'kibana', resources: { requests: { ...p.resources.requests }, limits: { ...p.resources.limits } }, securityContext: ECK_CONTAINER_SECURITY }],
        },
      },
    },
  };
}

export interface KibanaIngressProps {
  /** Kibana's name (ECK's Service `<name>-kb-http`). */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly host: string;
  readonly className: string;
  /** TLS Secret for the host (the `ui` hop). @default - plain HTTP at the ingress */
  readonly tlsSecretName?: string;
}

/**
 * An Ingress in front of Kibana. Kibana serves HTTPS itself (ECK), so the ingress controller
 * talks HTTPS to it (ingress-nginx's backend-protocol annotation; other controllers have their own).
 */
export function renderKibanaIngress(p: KibanaIngressProps): KubeManifest {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: `${p.name}-kibana`,
      namespace: p.namespace,
      labels: { ...p.labels },
      annotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS' },
    },
    spec: {
      ingressClassName: p.className,
      ...(p.tlsSecretName ? { tls: [{ hosts: [p.host], secretName: p.tlsSecretName }] } : {}),
      rules: [
        {
          host: p.host,
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: kbHttpService(p.name), port: { number: KB_HTTP_PORT } } } }] },
        },
      ],
    },
  };
}
