/**
 * cert-manager issuers and certificates as data. Pure: no cdktf import.
 * @see https://cert-manager.io/docs/configuration/
 */
import type { CommonConfig } from '../core/common';
import type { IssuerRef, KubeManifest } from '../core/manifest';
import { acmeDefaults, type IssuerSettings, type TlsSettings } from './settings';

export type { IssuerSettings, TlsSettings };

export const CA_SECRET_NAME = 'mlobs-ca';
export const SELF_SIGNED_BOOTSTRAP_ISSUER = 'mlobs-selfsigned';
export const CA_ISSUER_NAME = 'mlobs-ca';
export const ACME_ISSUER_NAME = 'mlobs-acme';

export interface RenderedIssuer {
  /** Objects to create (none for an existing ClusterIssuer). */
  readonly manifests: readonly KubeManifest[];
  /** What every Certificate references. */
  readonly issuerRef: IssuerRef;
}

function privateKey(alg: TlsSettings['certificate']['privateKeyAlgorithm']) {
  switch (alg) {
    case 'ECDSA':
      return { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' };
    case 'RSA':
      return { algorithm: 'RSA', size: 3072, rotationPolicy: 'Always' };
    case 'Ed25519':
      return { algorithm: 'Ed25519', rotationPolicy: 'Always' };
  }
}

/** The environment's issuer: self-signed CA chain, an existing ClusterIssuer, or ACME. */
export function renderIssuer(issuer: IssuerSettings, tls: Pick<TlsSettings, 'certificate'>, common: CommonConfig): RenderedIssuer {
  const meta = (name: string) => ({ name, namespace: common.namespace, labels: { ...common.labels } });
  switch (issuer.kind) {
    case 'selfSigned':
      return {
        issuerRef: { name: CA_ISSUER_NAME, kind: 'Issuer', group: 'cert-manager.io' },
        manifests: [
          { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: meta(SELF_SIGNED_BOOTSTRAP_ISSUER), spec: { selfSigned: {} } },
          {
            apiVersion: 'cert-manager.io/v1',
            kind: 'Certificate',
            metadata: meta(CA_SECRET_NAME),
            spec: {
              isCA: true,
              commonName: `mlobs ${common.environment} CA`,
              secretName: CA_SECRET_NAME,
              duration: '87600h',
              renewBefore: '720h',
              privateKey: privateKey(tls.certificate.privateKeyAlgorithm),
              issuerRef: { name: SELF_SIGNED_BOOTSTRAP_ISSUER, kind: 'Issuer', group: 'cert-manager.io' },
            },
          },
          { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: meta(CA_ISSUER_NAME), spec: { ca: { secretName: CA_SECRET_NAME } } },
        ],
      };
    case 'clusterIssuer':
      return { issuerRef: { name: issuer.name, kind: 'ClusterIssuer', group: 'cert-manager.io' }, manifests: [] };
    case 'acme': {
      const acme = acmeDefaults(issuer);
      return {
        issuerRef: { name: ACME_ISSUER_NAME, kind: 'Issuer', group: 'cert-manager.io' },
        manifests: [
          {
            apiVersion: 'cert-manager.io/v1',
            kind: 'Issuer',
            metadata: meta(ACME_ISSUER_NAME),
            spec: {
              acme: {
                server: acme.server,
                email: acme.email,
                privateKeySecretRef: { name: acme.accountKeySecretName },
                ...(acme.externalAccountBinding
                  ? {
                      externalAccountBinding: {
                        keyID: acme.externalAccountBinding.keyId,
                        keySecretRef: { name: acme.externalAccountBinding.keySecretRef.name, key: acme.externalAccountBinding.keySecretRef.key },
                      },
                    }
                  : {}),
                solvers: [{ http01: { ingress: { ingressClassName: acme.ingressClassName } } }],
              },
            },
          },
        ],
      };
    }
  }
}

export interface CertificateRequest {
  /** Certificate (and default Secret) name, e.g. `grafana-tls`. */
  readonly name: string;
  /** DNS names; in-cluster services get `<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc`. */
  readonly dnsNames: readonly string[];
  /** Secret to write the key pair to. @default - the certificate name */
  readonly secretName?: string;
  /** Key usages. @default ['server auth'] (plus 'client auth' when `client` is set) */
  readonly client?: boolean;
  /**
   * How the private key is encoded in the Secret; some servers (Logstash's beats input, Netty)
   * read only PKCS#8.
   * @default 'PKCS1' (cert-manager's default: PKCS#1 for RSA, SEC1 for ECDSA)
   */
  readonly keyEncoding?: 'PKCS1' | 'PKCS8';
}

export function renderCertificate(req: CertificateRequest, issuerRef: IssuerRef, tls: Pick<TlsSettings, 'certificate'>, common: CommonConfig): KubeManifest {
  if (req.dnsNames.length === 0) throw new Error(`certificate "${req.name}": needs at least one DNS name`);
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: req.name, namespace: common.namespace, labels: { ...common.labels } },
    spec: {
      secretName: req.secretName ?? req.name,
      dnsNames: [...req.dnsNames],
      duration: tls.certificate.duration,
      renewBefore: tls.certificate.renewBefore,
      privateKey: { ...privateKey(tls.certificate.privateKeyAlgorithm), ...(req.keyEncoding ? { encoding: req.keyEncoding } : {}) },
      usages: req.client ? ['server auth', 'client auth', 'digital signature', 'key encipherment'] : ['server auth', 'digital signature', 'key encipherment'],
      issuerRef: { ...issuerRef },
    },
  };
}

/** Name of the trust Certificate and its Secret in another namespace of the stack (see {@link renderTrustBundle}). */
export const TRUST_BUNDLE_NAME = 'mlobs-trust';

/** The cluster-scoped twin of the stack's CA Issuer (unique per stack namespace). */
export const clusterCaIssuerName = (stackNamespace: string): string => `${stackNamespace}-mlobs-ca`;

/**
 * A ClusterIssuer of kind CA on the stack's CA Secret: cert-manager reads a ClusterIssuer's Secret
 * from its cluster resource namespace, which is the stack namespace when the stack installs
 * cert-manager (the chart's `--cluster-resource-namespace=$(POD_NAMESPACE)`).
 */
export function renderClusterCaIssuer(common: CommonConfig): KubeManifest {
  return { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: clusterCaIssuerName(common.namespace), labels: { ...common.labels } }, spec: { ca: { secretName: CA_SECRET_NAME } } };
}

/**
 * A trust bundle in another namespace of the stack: a Certificate from the issuer that signs the
 * in-cluster names, whose Secret's `ca.crt` is that CA. Clients there (the log collectors in the
 * agents namespace) mount `ca.crt` only; the certificate's own key serves nothing.
 */
export function renderTrustBundle(namespace: string, issuerRef: IssuerRef, tls: Pick<TlsSettings, 'certificate'>, common: CommonConfig): KubeManifest {
  return renderCertificate({ name: TRUST_BUNDLE_NAME, dnsNames: [`${TRUST_BUNDLE_NAME}.${namespace}.svc`] }, issuerRef, tls, { ...common, namespace });
}

/** The DNS names of an in-cluster Service. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}
