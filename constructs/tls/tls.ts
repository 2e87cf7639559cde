import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { CommonConfig } from '../core/common';
import { withDefaults } from '../core/settings';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import type { IssuerRef, KubeManifest } from '../core/manifest';
import { PinnedRelease } from '../core/pinned-release';
import type { HelmValues } from '../core/values';
import { CHARTS } from '../versions';
import { renderCertManagerValues } from './cert-manager.values';
import { renderCertManagerPodMonitor } from './cert-manager-monitor.render';
import { renderCertificate, renderClusterCaIssuer, renderIssuer, renderTrustBundle, type CertificateRequest } from './issuer.render';
import { DEFAULT_CERT_MANAGER, tlsSettings, type CertManagerSettings, type CertificateSettings, type IssuerSettings, type TlsHops, type TlsSettings } from './settings';
import { KUBE_API_SERVER, type NetworkFlows, type ScrapeTarget, type Workload } from '../core/network';

/** Container port of cert-manager's webhook (the chart's Service maps 443 to it). */
export const CERT_MANAGER_WEBHOOK_PORT = 10250;
/** Port cert-manager's ACME HTTP-01 solver pods listen on. */
export const ACME_HTTP01_SOLVER_PORT = 8089;
/** The solver pods cert-manager creates for HTTP-01 challenges (in the namespace of the Certificate). */
export const ACME_HTTP01_SOLVER: Workload = { name: 'acme-http01-solver', podSelector: { 'acme.cert-manager.io/http01-solver': 'true' } };

/** Helm release name of cert-manager (Terraform-visible: do not change). */
export const CERT_MANAGER_RELEASE_NAME = 'cert-manager';

export type TlsHop = keyof TlsHops;

/** True for names only the cluster's DNS resolves: `svc`, `svc.ns`, `*.svc`, `*.svc.cluster.local`. */
export function isClusterInternalName(name: string, namespace: string): boolean {
  return !name.includes('.') || name.endsWith('.svc') || name.endsWith('.svc.cluster.local') || name.endsWith(`.${namespace}`);
}

export interface TlsProps {
  readonly common: CommonConfig;
  /** Where certificates come from (a self-signed CA, an existing ClusterIssuer, or ACME). */
  readonly issuer: IssuerSettings;
  /** Which hops are served over TLS. @default DEFAULT_TLS_HOPS (all) */
  readonly hops?: Partial<TlsHops>;
  /** Certificate lifetime, renewal and key algorithm. @default DEFAULT_CERTIFICATE (90 days, renewed 15 days before, ECDSA) */
  readonly certificate?: Partial<CertificateSettings>;
  /** cert-manager: installed by the stack, or already in the cluster. @default DEFAULT_CERT_MANAGER (installed) */
  readonly certManager?: Partial<CertManagerSettings>;
  /** Where Issuers and Certificates go (installed after cert-manager). */
  readonly resources: CustomResourceChart;
  /** Deep-merged over the cert-manager values. @default - none */
  readonly valuesOverrides?: HelmValues;
  /** Where TLS records its flows (the API server → cert-manager's webhook). @default - none recorded */
  readonly network?: NetworkFlows;
}

/**
 * TLS for the stack: installs cert-manager (pinned, CRDs managed by the release) unless the
 * cluster already has it, creates the environment's issuer, and issues certificates for the
 * components that ask via {@link Tls.certificateFor}.
 */
export class Tls extends Construct {
  /** The cert-manager release, when this stack installs it. */
  readonly certManager?: PinnedRelease;
  /** The issuer the environment configures (public names use it). */
  readonly issuerRef: IssuerRef;
  /** cert-manager's webhook pods, when this stack installs cert-manager. */
  readonly webhookWorkload?: Workload;
  /** What the ingress controller must reach: the HTTP-01 solver pods, when the issuer is ACME. */
  readonly ingressTargets: readonly ScrapeTarget[];
  /** The settings in use, every default applied. */
  readonly settings: TlsSettings;
  private readonly props: TlsProps;
  private readonly after: ITerraformDependable[];
  private internalRef?: IssuerRef;
  private clusterCaIssuer?: KubeManifest;
  private readonly trust = new Map<string, { readonly secretName: string }>();

  constructor(scope: Construct, id: string, props: TlsProps) {
    super(scope, id);
    this.props = props;
    const { common } = props;
    if (!props.issuer) {
      throw new Error(`${this.node.path}: props.issuer is required; please set: issuer: { kind: 'selfSigned' } (or clusterIssuer, acme)`);
    }
    const tls = tlsSettings(props);
    this.settings = tls;
    const certManager = withDefaults<CertManagerSettings>(DEFAULT_CERT_MANAGER, props.certManager);
    if (certManager.install) {
      this.certManager = new PinnedRelease(this, 'cert-manager', {
        chart: CHARTS.certManager,
        releaseName: CERT_MANAGER_RELEASE_NAME,
        namespace: common.namespace,
        values: renderCertManagerValues({ common, replicas: certManager.replicas, resources: certManager.resources }),
        ...(props.valuesOverrides ? { valuesOverrides: props.valuesOverrides } : {}),
      });
    }
    if (this.certManager) {
      this.webhookWorkload = {
        name: 'cert-manager-webhook',
        podSelector: { 'app.kubernetes.io/name': 'webhook', 'app.kubernetes.io/instance': 'cert-manager', 'app.kubernetes.io/component': 'webhook' },
      };
      props.network?.allow(KUBE_API_SERVER, this.webhookWorkload, { port: CERT_MANAGER_WEBHOOK_PORT }, 'the API server calls the cert-manager webhook');
    }
    this.ingressTargets = tls.issuer.kind === 'acme' ? [{ workload: ACME_HTTP01_SOLVER, ports: [{ port: ACME_HTTP01_SOLVER_PORT }] }] : [];
    this.after = this.certManager ? [this.certManager.release] : [];
    const issuer = renderIssuer(tls.issuer, tls, common);
    this.issuerRef = issuer.issuerRef;
    for (const m of issuer.manifests) props.resources.add(m, this.after);
    // The stack's Prometheus scrapes the cert-manager it installs (certificate alerts, stack-health dashboard).
    if (this.certManager) props.resources.add(renderCertManagerPodMonitor(common, CERT_MANAGER_RELEASE_NAME), this.after);
  }

  /** Whether a hop (ui, collectors, elasticsearch, loki) is served over TLS. */
  enabledFor(hop: TlsHop): boolean {
    return this.settings.hops[hop];
  }

  /**
   * Requests a certificate; returns the Secret (tls.crt, tls.key, ca.crt) it will be written to.
   * In-cluster service names are signed by {@link Tls.internalIssuerRef}, public names by the
   * configured issuer; one certificate cannot mix both when they differ.
   */
  certificateFor(req: CertificateRequest): { readonly secretName: string } {
    const internal = req.dnsNames.filter((n) => isClusterInternalName(n, this.props.common.namespace));
    let ref = this.issuerRef;
    if (internal.length > 0) {
      ref = this.internalIssuerRef;
      if (internal.length < req.dnsNames.length && ref !== this.issuerRef) {
        throw new Error(
          `${this.node.path}: certificateFor: certificate "${req.name}": mixes in-cluster names (${internal.join(', ')}) with public names; ACME cannot sign in-cluster names, so request two certificates`,
        );
      }
    }
    const cert = renderCertificate(req, ref, this.settings, this.props.common);
    this.props.resources.add(cert, this.after);
    return { secretName: (cert.spec as { secretName: string }).secretName };
  }

  /**
   * A Secret in `namespace` (another namespace the stack owns, such as the agents namespace) whose
   * `ca.crt` verifies the stack's in-cluster certificates: a trust Certificate there, from the
   * configured ClusterIssuer, or from a ClusterIssuer twin of the stack's own CA (created once).
   * The twin needs cert-manager's cluster resource namespace to be the stack namespace, which holds
   * when the stack installs cert-manager; otherwise this throws, naming the way out.
   */
  trustBundleIn(namespace: string): { readonly secretName: string } {
    const existing = this.trust.get(namespace);
    if (existing) return existing;
    let ref = this.internalIssuerRef;
    if (ref.kind === 'Issuer') {
      if (!this.certManager) {
        throw new Error(
          `${this.node.path}: trustBundleIn("${namespace}"): the stack's CA (issuer ${this.settings.issuer.kind}) can sign certificates in another namespace only through a ClusterIssuer whose Secret lives in cert-manager's cluster resource namespace, and cert-manager is not installed by this stack (certManager.install: false); use issuer.kind: clusterIssuer, or let the stack install cert-manager`,
        );
      }
      if (!this.clusterCaIssuer) {
        this.clusterCaIssuer = renderClusterCaIssuer(this.props.common);
        this.props.resources.add(this.clusterCaIssuer, this.after);
      }
      ref = { name: this.clusterCaIssuer.metadata.name, kind: 'ClusterIssuer', group: 'cert-manager.io' };
    }
    const cert = renderTrustBundle(namespace, ref, this.settings, this.props.common);
    this.props.resources.add(cert, this.after);
    const out = { secretName: (cert.spec as { secretName: string }).secretName };
    this.trust.set(namespace, out);
    return out;
  }

  /**
   * The issuer for in-cluster service names (`svc.ns.svc`). A public ACME CA cannot sign those,
   * so with `issuer.kind: acme` the stack adds a private CA (self-signed root, CA Issuer) on
   * first use; clients trust it through the `ca.crt` of each certificate's Secret. A self-signed
   * or existing ClusterIssuer signs both kinds of names.
   */
  get internalIssuerRef(): IssuerRef {
    if (this.settings.issuer.kind !== 'acme') return this.issuerRef;
    if (!this.internalRef) {
      const internal = renderIssuer({ kind: 'selfSigned' }, this.settings, this.props.common);
      for (const m of internal.manifests) this.props.resources.add(m, this.after);
      this.internalRef = internal.issuerRef;
    }
    return this.internalRef;
  }
}
