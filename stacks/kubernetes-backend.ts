import type { Construct } from 'constructs';
import { TerraformBackend, type TerraformRemoteState } from 'cdktf';

export interface KubernetesBackendProps {
  readonly secretSuffix: string;
  readonly namespace: string;
  readonly configPath: string;
  readonly configContext?: string;
}

/**
 * Terraform's `kubernetes` backend (state in a Secret, locking with a Lease). cdktf 0.21 has
 * no class for it, so this one writes the block itself.
 * @see https://developer.hashicorp.com/terraform/language/backend/kubernetes
 */
export class KubernetesBackend extends TerraformBackend {
  constructor(
    scope: Construct,
    private readonly props: KubernetesBackendProps,
  ) {
    super(scope, 'backend', 'kubernetes');
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      secret_suffix: this.props.secretSuffix,
      namespace: this.props.namespace,
      config_path: this.props.configPath,
      ...(this.props.configContext ? { config_context: this.props.configContext } : {}),
    };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return this.synthesizeAttributes();
  }

  getRemoteStateDataSource(_scope: Construct, _name: string, fromStack: string): TerraformRemoteState {
    throw new Error(`remote state from stack "${fromStack}" through the kubernetes backend is not supported; reference values explicitly`);
  }
}
