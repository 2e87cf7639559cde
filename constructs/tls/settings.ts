/**
 * The TLS component's props vocabulary: the issuer, which hops are encrypted, certificate
 * lifetimes, and cert-manager itself. Every default is a named constant here; the environment
 * schema (config/schema/environment.ts) takes its defaults from them. Pure: no cdktf, no zod.
 */
import { withDefaults, type ResourceRequirements, type SecretRef } from '../core/settings';

export const ISSUER_KINDS = ['selfSigned', 'clusterIssuer', 'acme'] as const;

/** Where certificates come from. */
export type IssuerSettings =
  /** A self-signed root CA in the namespace, then a CA Issuer that signs every certificate. */
  | { readonly kind: 'selfSigned' }
  /** An existing ClusterIssuer owned by the platform team. */
  | { readonly kind: 'clusterIssuer'; readonly name: string }
  /** An ACME issuer (e.g. Let's Encrypt) solving HTTP-01 through an Ingress. */
  | {
      readonly kind: 'acme';
      readonly server: string;
      readonly email: string;
      /** @default DEFAULT_ACME.accountKeySecretName */
      readonly accountKeySecretName?: string;
      /** @default DEFAULT_ACME.ingressClassName */
      readonly ingressClassName?: string;
      readonly externalAccountBinding?: { readonly keyId: string; readonly keySecretRef: SecretRef } | undefined;
    };

export const DEFAULT_ACME = { accountKeySecretName: 'mlobs-acme-account', ingressClassName: 'nginx' } as const;

/** The hops that can be served over TLS. */
export interface TlsHops {
  /** Grafana, Kibana and the other UIs exposed through an Ingress. */
  readonly ui: boolean;
  /** Collectors to Logstash/Loki. */
  readonly collectors: boolean;
  /** The Loki gateway. */
  readonly loki: boolean;
}
export const DEFAULT_TLS_HOPS: TlsHops = { ui: true, collectors: true, loki: true };
/**
 * Elasticsearch's HTTP is always TLS (ECK): there is no hop to switch. Its certificate is chosen by
 * the Elastic component's `httpCertificate` (ECK's CA, or this component's issuer).
 */
export const REMOVED_ELASTICSEARCH_HOP =
  'was removed: Elasticsearch HTTP is always TLS (ECK serves it); choose its certificate with elastic.httpCertificate: eck (ECK\'s CA) or issuer (the tls issuer); please delete tls.hops.elasticsearch';

export const PRIVATE_KEY_ALGORITHMS = ['ECDSA', 'RSA', 'Ed25519'] as const;
export interface CertificateSettings {
  /** Lifetime, at least 1h (cert-manager's minimum). */
  readonly duration: string;
  /** Renew this long before expiry: at least 5m, shorter than duration. */
  readonly renewBefore: string;
  readonly privateKeyAlgorithm: (typeof PRIVATE_KEY_ALGORITHMS)[number];
}
export const DEFAULT_CERTIFICATE: CertificateSettings = { duration: '2160h', renewBefore: '360h', privateKeyAlgorithm: 'ECDSA' };

/** cert-manager as the stack installs it. */
export interface CertManagerSettings {
  /** Install cert-manager with the stack; false when the cluster already runs it (its CRDs must exist). */
  readonly install: boolean;
  /** Controller, webhook and cainjector replicas. */
  readonly replicas: number;
  readonly resources: ResourceRequirements;
}
export const DEFAULT_CERT_MANAGER = {
  install: true,
  replicas: 1,
  resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } },
} as const satisfies CertManagerSettings;

/** TLS as the component uses it, every default applied. */
export interface TlsSettings {
  readonly issuer: IssuerSettings;
  readonly hops: TlsHops;
  readonly certificate: CertificateSettings;
}

/** An ACME issuer's optional fields with their defaults. */
export function acmeDefaults(issuer: Extract<IssuerSettings, { kind: 'acme' }>): Required<Omit<typeof issuer, 'externalAccountBinding'>> & Pick<typeof issuer, 'externalAccountBinding'> {
  return { ...issuer, accountKeySecretName: issuer.accountKeySecretName ?? DEFAULT_ACME.accountKeySecretName, ingressClassName: issuer.ingressClassName ?? DEFAULT_ACME.ingressClassName };
}

export function tlsSettings(o: { readonly issuer: IssuerSettings; readonly hops?: Partial<TlsHops>; readonly certificate?: Partial<CertificateSettings> }): TlsSettings {
  return { issuer: o.issuer, hops: withDefaults(DEFAULT_TLS_HOPS, o.hops), certificate: withDefaults(DEFAULT_CERTIFICATE, o.certificate) };
}
