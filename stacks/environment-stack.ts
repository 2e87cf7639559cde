import type { Construct } from 'constructs';
import { GcsBackend, LocalBackend, S3Backend, TerraformStack } from 'cdktf';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import type { EnvironmentConfig } from '../config/schema/environment';
import { ObservabilityStack } from '../constructs/observability-stack';
import { PROVIDERS } from '../constructs/versions';
import { tfLiteral } from '../constructs/core/terraform-literal';
import { KubernetesBackend } from './kubernetes-backend';
import { observabilityPropsFor } from './environment-props';

/** Terraform runs in cdktf.out/stacks/<env>; local paths in config are relative to the project root. */
const PROJECT_ROOT_FROM_STACK_DIR = '../../..';

/**
 * One environment = one TerraformStack named exactly like it (`cdktf deploy staging`), with
 * its providers and state backend from the environment's config, holding one
 * {@link ObservabilityStack}.
 */
export class EnvironmentStack extends TerraformStack {
  readonly observability: ObservabilityStack;

  constructor(scope: Construct, env: EnvironmentConfig) {
    super(scope, env.name);
    const s = env.settings;
    // Provider and backend arguments are templates too: a path or context name is literal text.
    const kube = tfLiteral({
      configPath: s.cluster.kubeconfig.path,
      ...(s.cluster.kubeconfig.context ? { configContext: s.cluster.kubeconfig.context } : {}),
    });
    new KubernetesProvider(this, 'kubernetes', kube);
    new HelmProvider(this, 'helm', { kubernetes: kube });
    for (const [name, p] of Object.entries(PROVIDERS)) {
      this.addOverride(`terraform.required_providers.${name}`, { source: p.source, version: p.version });
    }
    this.configureBackend(env);
    this.observability = new ObservabilityStack(this, 'mlobs', observabilityPropsFor(env.name, s));
  }

  private configureBackend(env: EnvironmentConfig): void {
    const b = env.settings.backend;
    switch (b.type) {
      case 'local':
        new LocalBackend(this, tfLiteral({ path: `${PROJECT_ROOT_FROM_STACK_DIR}/${b.path ?? `terraform.${env.name}.tfstate`}` }));
        return;
      case 'kubernetes':
        new KubernetesBackend(
          this,
          tfLiteral({
            secretSuffix: b.secretSuffix ?? `mlobs-${env.name}`,
            namespace: b.namespace,
            configPath: env.settings.cluster.kubeconfig.path,
            ...(env.settings.cluster.kubeconfig.context ? { configContext: env.settings.cluster.kubeconfig.context } : {}),
          }),
        );
        return;
      case 's3':
        new S3Backend(this, tfLiteral({ bucket: b.bucket, key: b.key ?? `mlobs/${env.name}.tfstate`, region: b.region, encrypt: b.encrypt }));
        if (b.useLockfile) this.addOverride('terraform.backend.s3.use_lockfile', true);
        return;
      case 'gcs':
        new GcsBackend(this, tfLiteral({ bucket: b.bucket, prefix: b.prefix ?? `mlobs/${env.name}` }));
        return;
    }
  }
}
