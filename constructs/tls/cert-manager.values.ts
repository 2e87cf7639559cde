/** Helm values for the pinned cert-manager chart. Pure: no cdktf import. */
import type { ResourceRequirements } from '../core/settings';
import type { CommonConfig } from '../core/common';
import type { HelmValues } from '../core/values';

export interface CertManagerValuesProps {
  readonly common: CommonConfig;
  /** Controller, webhook and cainjector replicas (>1 adds PodDisruptionBudgets). */
  readonly replicas: number;
  readonly resources: ResourceRequirements;
}

/** Restricted-profile security context for every cert-manager container. */
const CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
} as const;

/** Requests and limits of the webhook, cainjector and startup API check (the controller's come from config). */
export const DEFAULT_CERT_MANAGER_HELPER_RESOURCES = { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } } as const;

export function renderCertManagerValues(props: CertManagerValuesProps): HelmValues {
  const ha = props.replicas > 1;
  const pdb = { enabled: ha, ...(ha ? { minAvailable: 1 } : {}) };
  const component = {
    replicaCount: props.replicas,
    podDisruptionBudget: pdb,
    containerSecurityContext: CONTAINER_SECURITY,
    resources: DEFAULT_CERT_MANAGER_HELPER_RESOURCES,
  };
  return {
    // CRDs are part of the release (kept on uninstall so certificates survive a reinstall);
    // Helm upgrades templated CRDs, unlike files in crds/.
    crds: { enabled: true, keep: true },
    global: {
      // Leader election in our own namespace: no rights needed in kube-system.
      leaderElection: { namespace: props.common.namespace },
      // Applied to every object and pod template (podLabels would repeat them: duplicate keys).
      commonLabels: props.common.labels,
    },
    replicaCount: props.replicas,
    podDisruptionBudget: pdb,
    resources: props.resources,
    containerSecurityContext: CONTAINER_SECURITY,
    // Deleting a Certificate deletes its Secret too: no orphaned private keys.
    enableCertificateOwnerRef: true,
    prometheus: { enabled: true },
    webhook: component,
    cainjector: component,
    startupapicheck: { resources: DEFAULT_CERT_MANAGER_HELPER_RESOURCES, containerSecurityContext: CONTAINER_SECURITY },
  };
}
