/**
 * Helm values of the pinned dcgm-exporter chart for the `bundled` mode. Pure: no cdktf import.
 *
 * Privileges (explicit, because the exporter is the one component that needs more than the
 * house defaults):
 * - runs as root (uid 0): it reads the kubelet pod-resources socket (hostPath
 *   /var/lib/kubelet/pod-resources, mounted read-only by the chart) to map each GPU to the pod
 *   using it, and talks to the NVIDIA driver;
 * - capability SYS_ADMIN only when profiling fields (DCGM_FI_PROF_*) are on; every other
 *   capability dropped; no privilege escalation; not `privileged`; no hostPID/hostNetwork.
 * The root filesystem stays writable: DCGM's host engine writes its state under the container.
 */
import type { GpuToleration } from './settings';
import type { CommonConfig } from '../core/common';
import type { HelmValues } from '../core/values';
import { IMAGES } from '../versions';
import { renderCountersCsv } from './dcgm-fields';

/** Release name and fullname of the bundled exporter (Terraform-visible: do not change). */
export const DEFAULT_DCGM_RELEASE_NAME = 'dcgm-exporter';
/** Where the chart mounts the counters ConfigMap, read by `-f`. */
export const DCGM_COUNTERS_PATH = '/etc/dcgm-exporter/default-counters.csv';
/** The exporter's metrics port (chart default). */
export const DCGM_METRICS_PORT = 9400;

export const DEFAULT_DCGM_RESOURCES = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } } as const;

export interface DcgmExporterValuesProps {
  readonly common: CommonConfig;
  /** The DaemonSet runs only on nodes with these labels. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Taints of GPU nodes to tolerate. */
  readonly tolerations: readonly GpuToleration[];
  /** Export DCGM_FI_PROF_* (adds SYS_ADMIN). */
  readonly profilingMetrics: boolean;
  /** @default DEFAULT_DCGM_RESOURCES */
  readonly resources?: { readonly requests: Readonly<Record<string, string>>; readonly limits: Readonly<Record<string, string>> };
}

/** Security context of the exporter container (see the file comment). */
export function dcgmSecurityContext(profilingMetrics: boolean): HelmValues {
  return {
    runAsNonRoot: false,
    runAsUser: 0,
    privileged: false,
    allowPrivilegeEscalation: false,
    capabilities: { add: profilingMetrics ? ['SYS_ADMIN'] : [], drop: ['ALL'] },
  };
}

export function renderDcgmExporterValues(p: DcgmExporterValuesProps): HelmValues {
  const r = p.resources ?? DEFAULT_DCGM_RESOURCES;
  return {
    fullnameOverride: DEFAULT_DCGM_RELEASE_NAME,
    image: { repository: IMAGES.dcgmExporter.repository, tag: IMAGES.dcgmExporter.tag },
    arguments: ['-f', DCGM_COUNTERS_PATH],
    customMetrics: renderCountersCsv({ profiling: p.profilingMetrics }),
    nodeSelector: { ...p.nodeSelector },
    tolerations: p.tolerations.map((t) => ({ ...t })),
    hostPID: false,
    hostNetwork: false,
    podLabels: { ...p.common.labels },
    securityContext: dcgmSecurityContext(p.profilingMetrics),
    resources: { requests: { ...r.requests }, limits: { ...r.limits } },
    service: { enable: true, port: DCGM_METRICS_PORT },
    // Our own ServiceMonitor goes through the custom-resource chart (it needs the operator's CRD).
    serviceMonitor: { enabled: false },
    // Pod mapping (namespace/pod/container labels) is on by the chart (DCGM_EXPORTER_KUBERNETES);
    // pod *labels* would need a cluster-wide pod read and unbounded label sets: off.
    kubernetes: { enablePodLabels: false, enablePodUID: false },
  };
}
