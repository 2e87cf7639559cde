/**
 * The Secrets the stack's pods reference (env secretKeyRef, envFrom secretRef, secret volumes,
 * projected secrets, imagePullSecrets), each with the workload that references it; optional
 * references are left out (the pod starts without them).
 */
export interface PodTemplateOwner {
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly spec: { readonly template?: { readonly spec?: PodSpec }; readonly jobTemplate?: { readonly spec?: { readonly template?: { readonly spec?: PodSpec } } } };
}

interface SecretKeyRef {
  readonly name?: string;
  readonly optional?: boolean;
}
interface Container {
  readonly env?: readonly { readonly valueFrom?: { readonly secretKeyRef?: SecretKeyRef } }[];
  readonly envFrom?: readonly { readonly secretRef?: SecretKeyRef }[];
}
interface PodSpec {
  readonly containers?: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly volumes?: readonly {
    readonly secret?: { readonly secretName?: string; readonly optional?: boolean };
    readonly projected?: { readonly sources?: readonly { readonly secret?: SecretKeyRef }[] };
  }[];
  readonly imagePullSecrets?: readonly { readonly name?: string }[];
}

/** Secret name → the workloads (`Kind/name`) that need it. */
export function requiredSecrets(owners: readonly PodTemplateOwner[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const need = (name: string | undefined, optional: boolean | undefined, who: string): void => {
    if (!name || optional) return;
    out.set(name, [...(out.get(name) ?? []), who].filter((v, i, a) => a.indexOf(v) === i));
  };
  for (const o of owners) {
    const spec = o.spec.template?.spec ?? o.spec.jobTemplate?.spec?.template?.spec;
    if (!spec) continue;
    const who = `${o.kind}/${o.metadata.name}`;
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const e of c.env ?? []) need(e.valueFrom?.secretKeyRef?.name, e.valueFrom?.secretKeyRef?.optional, who);
      for (const e of c.envFrom ?? []) need(e.secretRef?.name, e.secretRef?.optional, who);
    }
    for (const v of spec.volumes ?? []) {
      need(v.secret?.secretName, v.secret?.optional, who);
      for (const s of v.projected?.sources ?? []) need(s.secret?.name, s.secret?.optional, who);
    }
    for (const p of spec.imagePullSecrets ?? []) need(p.name, false, who);
  }
  return out;
}
