import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { EnvironmentSettings } from '../../config/schema/environment';
import type { CommonConfig } from '../core/common';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import type { IssuerRef } from '../core/manifest';
import { PinnedRelease } from '../core/pinned-release';
import type { HelmValues } from '../core/values';
import { CHARTS } from '../versions';
import { renderCertManagerValues } from './cert-manager.values';
import { renderCertificate, renderIssuer, type CertificateRequest, type TlsSettings } from './issuer.render';

export type TlsHop = keyof TlsSettings['hops'];

export interface TlsProps {
  readonly common: CommonConfig;
  /** The environment's `tls` settings (must have an issuer when enabled). */
  readonly tls: TlsSettings;
  /** The environment's `certManager` settings. */
  readonly certManager: EnvironmentSettings['certManager'];
  /** Where Issuers and Certificates go (installed after cert-manager). */
  readonly resources: CustomResourceChart;
  /** Deep-merged over the cert-manager values. @default - none */
  readonly valuesOverrides?: HelmValues;
}

/**
 * TLS for the stack: installs cert-manager (pinned, CRDs managed by the release) unless the
 * cluster already has it, creates the environment's issuer, and issues certificates for the
 * components that ask via {@link Tls.certificateFor}.
 */
export class Tls extends Construct {
  /** The cert-manager release, when this stack installs it. */
  readonly certManager?: PinnedRelease;
  /** The issuer every certificate of this stack uses. */
  readonly issuerRef: IssuerRef;
  private readonly props: TlsProps;
  private readonly after: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: TlsProps) {
    super(scope, id);
    this.props = props;
    const { tls, common } = props;
    if (!tls.issuer) {
      throw new Error('tls.issuer is required when TLS is enabled; please set: tls.issuer: { kind: selfSigned } (or clusterIssuer, acme)');
    }
    if (props.certManager.install) {
      this.certManager = new PinnedRelease(this, 'cert-manager', {
        chart: CHARTS.certManager,
        releaseName: 'cert-manager',
        namespace: common.namespace,
        values: renderCertManagerValues({ common, replicas: props.certManager.replicas, resources: props.certManager.resources }),
        ...(props.valuesOverrides ? { valuesOverrides: props.valuesOverrides } : {}),
      });
    }
    this.after = this.certManager ? [this.certManager.release] : [];
    const issuer = renderIssuer(tls.issuer, tls, common);
    this.issuerRef = issuer.issuerRef;
    for (const m of issuer.manifests) props.resources.add(m, this.after);
  }

  /** Whether a hop (ui, collectors, elasticsearch, loki) is served over TLS. */
  enabledFor(hop: TlsHop): boolean {
    return this.props.tls.enabled && this.props.tls.hops[hop];
  }

  /** Requests a certificate; returns the Secret (tls.crt, tls.key, ca.crt) it will be written to. */
  certificateFor(req: CertificateRequest): { readonly secretName: string } {
    const cert = renderCertificate(req, this.issuerRef, this.props.tls, this.props.common);
    this.props.resources.add(cert, this.after);
    return { secretName: (cert.spec as { secretName: string }).secretName };
  }
}
