/**
 * The Kibana custom resource (ECK `kibana.k8s.elastic.co/v1`), connected to the Elasticsearch
 * cluster by `elasticsearchRef` (ECK creates its service account token and trusts the CA).
 * HTTP TLS from ECK's CA or a cert-manager Secret. Pure: no cdktf import.
 */
import type { KubeManifest } from '../core/manifest';
import type { ResourceRequirements } from '../core/settings';
import { ECK_CONTAINER_SECURITY } from './elasticsearch.render';

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
          containers: [{ name: 'kibana', resources: { requests: { ...p.resources.requests }, limits: { ...p.resources.limits } }, securityContext: ECK_CONTAINER_SECURITY }],
        },
      },
    },
  };
}
