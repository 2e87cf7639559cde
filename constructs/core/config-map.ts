import type { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { tfLiteral } from './terraform-literal';

export interface LiteralConfigMapProps {
  readonly name: string;
  readonly namespace: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** File name → content, stored exactly as given (escaped for Terraform's templates). */
  readonly data: Readonly<Record<string, string>>;
  /** @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * A `kubernetes_config_map_v1` whose data reaches the cluster exactly as rendered: every string
 * goes through {@link tfLiteral}, so `${...}` in an Alloy config or a Grafana dashboard is not
 * evaluated by Terraform. The construct ID is the caller's, so Terraform addresses are the
 * ones a plain ConfigMapV1 would have.
 */
export function literalConfigMap(scope: Construct, id: string, props: LiteralConfigMapProps): ConfigMapV1 {
  return new ConfigMapV1(scope, id, {
    metadata: tfLiteral({ name: props.name, namespace: props.namespace, ...(props.labels ? { labels: { ...props.labels } } : {}) }),
    data: tfLiteral({ ...props.data }),
    ...(props.dependsOn ? { dependsOn: [...props.dependsOn] } : {}),
  });
}

/** A ConfigMap as a pure renderer returns it (dashboards): its name, labels and data. */
export interface RenderedConfigMap {
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Places a rendered ConfigMap (e.g. a Grafana sidecar dashboard) into the namespace, as literal text. */
export function renderedConfigMap(scope: Construct, id: string, cm: RenderedConfigMap, namespace: string, dependsOn?: readonly ITerraformDependable[]): ConfigMapV1 {
  return literalConfigMap(scope, id, {
    name: cm.metadata.name,
    namespace,
    labels: { ...cm.metadata.labels },
    data: (cm.data ?? {}) as Record<string, string>,
    ...(dependsOn ? { dependsOn } : {}),
  });
}
