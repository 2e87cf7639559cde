/**
 * The GPU quarantine responder's Kubernetes objects (`gpu.remediation.mode: responder`): the
 * compiled script in a ConfigMap, a Deployment running it in the pinned official Node image
 * (Pod Security restricted), a ServiceAccount with the least RBAC it needs (nodes get/list/patch
 * cluster-wide; events create in `default`, where the API server requires the Events of
 * cluster-scoped objects such as nodes, and in the stack namespace, for Events on its own Pod),
 * and a Service for Alertmanager. Also the
 * Alertmanager route/receiver that calls it. Pure: no cdktf import (the construct reads the
 * compiled files and places the objects).
 *
 * @see responder/README.md
 */
import { createHash } from 'node:crypto';
import type { CommonConfig } from '../core/common';
import type { KubeManifest } from '../core/manifest';
import type { ResourceRequirements, SecretRef } from '../core/settings';
import type { RemediationWebhook } from '../metrics/alertmanager-config.render';
import type { RuntimeFile } from '../../responder/files';
import { RESPONDER_ENTRY } from '../../responder/files';
import { DEFAULT_FATAL_ALERT_NAMES } from '../../responder/policy';
import { DEFAULT_EVENT_NAMESPACE } from '../../responder/main';
import { IMAGES } from '../versions';

/** Name of the Deployment, Service, ServiceAccount, ConfigMap and Alertmanager receiver. */
export const DEFAULT_RESPONDER_NAME = 'mlobs-gpu-responder';
/** The container port (and `PORT`). */
export const RESPONDER_PORT = 8080;
/** The container port's name (probes, Service targetPort). */
export const RESPONDER_PORT_NAME = 'http';
/** Where the ConfigMap's files are mounted (the layout of dist/ for RESPONDER_RUNTIME_FILES). */
export const RESPONDER_APP_DIR = '/opt/mlobs-responder';
/** Where the token Secret is mounted; the token is the file `token` in it (responder/main.ts DEFAULT_TOKEN_FILE). */
export const RESPONDER_TOKEN_DIR = '/var/run/secrets/mlobs-responder';
export const RESPONDER_TOKEN_FILE = `${RESPONDER_TOKEN_DIR}/token`;
/** The non-root user of the official Node image (`node`, uid/gid 1000). */
export const NODE_IMAGE_USER = 1000;
/**
 * Alertmanager's grouping and timing for the responder: one notification per alert and node,
 * sent quickly; a repeat is harmless (the responder is idempotent) and retries a failed patch.
 */
export const DEFAULT_RESPONDER_ROUTE = { groupBy: ['alertname', 'cluster', 'node'], groupWait: '10s', groupInterval: '1m', repeatInterval: '1h' } as const;

/**
 * Where the responder records Events on nodes: the API server accepts an Event whose involved
 * object is cluster-scoped only in `default` (or no namespace), as the kubelet's node Events are.
 */
export const NODE_EVENT_NAMESPACE = DEFAULT_EVENT_NAMESPACE;

/** The pods' labels (and the Deployment's and Service's selector). */
export function responderPodLabels(name = DEFAULT_RESPONDER_NAME): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'gpu-remediation' };
}

export interface QuarantineResponderRenderProps {
  readonly common: CommonConfig;
  /** @default DEFAULT_RESPONDER_NAME */
  readonly name?: string;
  readonly dryRun: boolean;
  readonly maxNodes: number;
  readonly maxPercent: number;
  readonly windowSeconds: number;
  /** The bearer token Secret (mounted into the responder and into Alertmanager). */
  readonly tokenSecret: SecretRef;
  readonly resources: ResourceRequirements;
  /** The GPU nodes' labels (the stack's GPU node selector): the base of the percentage limit. */
  readonly gpuNodeSelector: Readonly<Record<string, string>>;
  /** The compiled runtime files: each `key` with its `path` under {@link RESPONDER_APP_DIR}, and its content. */
  readonly files: readonly (RuntimeFile & { readonly content: string })[];
}

export interface RenderedQuarantineResponder {
  readonly configMap: KubeManifest;
  readonly serviceAccount: KubeManifest;
  readonly clusterRole: KubeManifest;
  readonly clusterRoleBinding: KubeManifest;
  /** Events create, in the node Events' namespace ({@link NODE_EVENT_NAMESPACE}) and in the stack namespace. */
  readonly roles: readonly KubeManifest[];
  readonly roleBindings: readonly KubeManifest[];
  readonly deployment: KubeManifest;
  readonly service: KubeManifest;
  /** Every object above, in install order. */
  readonly manifests: readonly KubeManifest[];
  /** The in-cluster URL Alertmanager posts to. */
  readonly url: string;
  /** The Alertmanager route and receiver. */
  readonly webhook: RemediationWebhook;
}

/** `k=v,k2=v2`, the equality-based selector RESPONDER_GPU_NODE_SELECTOR takes. */
export function selectorString(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function renderQuarantineResponder(p: QuarantineResponderRenderProps): RenderedQuarantineResponder {
  const name = p.name ?? DEFAULT_RESPONDER_NAME;
  const namespace = p.common.namespace;
  const labels = { ...p.common.labels, ...responderPodLabels(name) };
  const meta = (n: string, namespaced = true) => ({ name: n, ...(namespaced ? { namespace } : {}), labels });
  const podLabels = responderPodLabels(name);
  const data = Object.fromEntries(p.files.map((f) => [f.key, f.content]));
  // A change of the script or settings rolls the pod (a ConfigMap change alone would not).
  const checksum = createHash('sha256').update(JSON.stringify([data, p.dryRun, p.maxNodes, p.maxPercent, p.windowSeconds, p.tokenSecret])).digest('hex');
  const clusterName = `${namespace}-${name}`;

  const configMap: KubeManifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${name}-script`), data };
  const serviceAccount: KubeManifest = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name) };
  // Least privilege: read and patch nodes (cordon, taint, annotate); nothing else cluster-wide.
  const clusterRole: KubeManifest = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: meta(clusterName, false),
    rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch'] }],
  };
  const clusterRoleBinding: KubeManifest = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: meta(clusterName, false),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  };
  // Events: on nodes (in NODE_EVENT_NAMESPACE) and on its own Pod (in the stack namespace); create only.
  const eventNamespaces = [...new Set([NODE_EVENT_NAMESPACE, namespace])];
  const roles: KubeManifest[] = eventNamespaces.map((ns) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: ns === namespace ? name : `${namespace}-${name}`, namespace: ns, labels },
    rules: [{ apiGroups: [''], resources: ['events'], verbs: ['create'] }],
  }));
  const roleBindings: KubeManifest[] = roles.map((r) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { ...r.metadata },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: r.metadata.name },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  }));
  const img = IMAGES.gpuResponderNode;
  const probe = (periodSeconds: number) => ({ httpGet: { path: '/healthz', port: RESPONDER_PORT_NAME }, periodSeconds, timeoutSeconds: 2, failureThreshold: 3 });
  const deployment: KubeManifest = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name),
    spec: {
      // One replica, replaced (never two at once): webhooks are processed one at a time, so the
      // rate limit counts every quarantine exactly once.
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: podLabels },
      template: {
        metadata: { labels: { ...labels }, annotations: { 'mlobs.dev/config-checksum': checksum } },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: true,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: NODE_IMAGE_USER,
            runAsGroup: NODE_IMAGE_USER,
            fsGroup: NODE_IMAGE_USER,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'responder',
              image: `${img.repository}:${img.tag}@${img.digest}`,
              imagePullPolicy: 'IfNotPresent',
              command: ['node', `${RESPONDER_APP_DIR}/${RESPONDER_ENTRY}`],
              env: [
                { name: 'RESPONDER_DRY_RUN', value: String(p.dryRun) },
                { name: 'RESPONDER_MAX_NODES', value: String(p.maxNodes) },
                { name: 'RESPONDER_MAX_PERCENT', value: String(p.maxPercent) },
                { name: 'RESPONDER_WINDOW_SECONDS', value: String(p.windowSeconds) },
                { name: 'RESPONDER_TOKEN_FILE', value: RESPONDER_TOKEN_FILE },
                { name: 'RESPONDER_GPU_NODE_SELECTOR', value: selectorString(p.gpuNodeSelector) },
                { name: 'RESPONDER_EVENT_NAMESPACE', value: NODE_EVENT_NAMESPACE },
                { name: 'PORT', value: String(RESPONDER_PORT) },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              ports: [{ name: RESPONDER_PORT_NAME, containerPort: RESPONDER_PORT, protocol: 'TCP' }],
              readinessProbe: probe(10),
              livenessProbe: { ...probe(20), initialDelaySeconds: 5 },
              resources: { requests: { ...p.resources.requests }, limits: { ...p.resources.limits } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'script', mountPath: RESPONDER_APP_DIR, readOnly: true },
                { name: 'token', mountPath: RESPONDER_TOKEN_DIR, readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'script', configMap: { name: `${name}-script`, defaultMode: 0o444, items: p.files.map((f) => ({ key: f.key, path: f.path })) } },
            { name: 'token', secret: { secretName: p.tokenSecret.name, defaultMode: 0o440, items: [{ key: p.tokenSecret.key, path: 'token' }] } },
          ],
        },
      },
    },
  };
  const service: KubeManifest = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name),
    spec: { type: 'ClusterIP', selector: podLabels, ports: [{ name: RESPONDER_PORT_NAME, port: RESPONDER_PORT, targetPort: RESPONDER_PORT_NAME, protocol: 'TCP' }] },
  };
  const url = `http://${name}.${namespace}.svc:${RESPONDER_PORT}/webhook`;
  return {
    configMap,
    serviceAccount,
    clusterRole,
    clusterRoleBinding,
    roles,
    roleBindings,
    deployment,
    service,
    manifests: [configMap, serviceAccount, clusterRole, clusterRoleBinding, ...roles, ...roleBindings, service, deployment],
    url,
    webhook: {
      receiver: name,
      url,
      alertNames: DEFAULT_FATAL_ALERT_NAMES,
      token: p.tokenSecret,
      groupBy: [...DEFAULT_RESPONDER_ROUTE.groupBy],
      groupWait: DEFAULT_RESPONDER_ROUTE.groupWait,
      groupInterval: DEFAULT_RESPONDER_ROUTE.groupInterval,
      repeatInterval: DEFAULT_RESPONDER_ROUTE.repeatInterval,
    },
  };
}
