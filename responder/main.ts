/**
 * The responder's entry point: reads and validates its configuration from the environment,
 * connects to the Kubernetes API (in-cluster ServiceAccount, or RESPONDER_KUBE_API_URL) and
 * serves the webhook. Run as `node responder/main.js`; only node: builtins.
 *
 * Environment (every default is a named constant):
 * - RESPONDER_DRY_RUN: "true" (default) or "false". A dry run decides, logs and records Events
 *   but changes no node.
 * - RESPONDER_MAX_NODES: integer >= 0, default {@link DEFAULT_MAX_NODES}.
 * - RESPONDER_MAX_PERCENT: number in (0, 100], default {@link DEFAULT_MAX_PERCENT}.
 * - RESPONDER_WINDOW_SECONDS: integer >= 1, default {@link DEFAULT_WINDOW_SECONDS}.
 * - RESPONDER_TOKEN_FILE: the bearer token Alertmanager presents (required to exist and be
 *   non-empty at start), default {@link DEFAULT_TOKEN_FILE}.
 * - PORT: default {@link DEFAULT_PORT}.
 * - RESPONDER_GPU_NODE_SELECTOR: equality-based selector of the GPU nodes, default
 *   {@link DEFAULT_GPU_NODE_SELECTOR} (the stack's GPU node selector).
 * - RESPONDER_NODE_LABEL: the alert label naming the node, default "node".
 * - RESPONDER_FATAL_ALERTS: comma-separated alert names narrowing the fatal classification
 *   (each must be one of the defaults), default all of {@link DEFAULT_FATAL_ALERT_NAMES}.
 * - RESPONDER_EVENT_NAMESPACE: namespace of the Events on nodes, default "default".
 * - RESPONDER_MAX_BODY_BYTES: default {@link DEFAULT_MAX_BODY_BYTES}.
 * - POD_NAME / POD_NAMESPACE (downward API, optional): Events of decisions naming no node go on the Pod.
 * - RESPONDER_KUBE_API_URL, RESPONDER_KUBE_TOKEN_FILE, RESPONDER_KUBE_CA_FILE: an API server
 *   other than the in-cluster one (KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount mount).
 */
import * as fs from 'node:fs';
import { inClusterOptions, KubeClient, parseLabelSelector, readToken, type KubeClientOptions } from './kube';
import {
  DEFAULT_DRY_RUN,
  DEFAULT_FATAL_ALERTS,
  DEFAULT_FATAL_ALERT_NAMES,
  DEFAULT_MAX_NODES,
  DEFAULT_MAX_PERCENT,
  DEFAULT_NODE_LABEL,
  DEFAULT_WINDOW_SECONDS,
  type PolicyConfig,
} from './policy';
import { DEFAULT_MAX_BODY_BYTES, startResponder } from './server';

/** Default listening port. */
export const DEFAULT_PORT = 8080;
/** Default path of the webhook token (a Secret mounted by the Deployment). */
export const DEFAULT_TOKEN_FILE = '/var/run/secrets/mlobs-responder/token';
/** The stack's GPU node selector (constructs/gpu/settings.ts DEFAULT_GPU_NODE_SELECTOR; a test holds them equal). */
export const DEFAULT_GPU_NODE_SELECTOR = 'nvidia.com/gpu.present=true';
/** Namespace of the Events on nodes (where the kubelet records node Events). */
export const DEFAULT_EVENT_NAMESPACE = 'default';
/** Longest rate-limit window accepted: a week. */
export const MAX_WINDOW_SECONDS = 7 * 24 * 3600;

/** The responder's validated configuration. */
export interface ResponderConfig {
  readonly policy: PolicyConfig;
  readonly port: number;
  readonly tokenFile: string;
  readonly gpuNodeSelector: string;
  readonly eventNamespace: string;
  readonly maxBodyBytes: number;
  readonly podRef: { readonly name: string; readonly namespace: string } | undefined;
  /** undefined: in-cluster. */
  readonly kubeApi: { readonly url: string; readonly tokenFile: string; readonly caFile: string | undefined } | undefined;
}

/** A configuration error: every problem found, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid responder configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the configuration from the environment; throws a {@link ConfigError} listing every problem. */
export function parseConfig(env: NodeJS.ProcessEnv): ResponderConfig {
  const problems: string[] = [];
  const get = (k: string): string | undefined => {
    const v = env[k];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const integer = (k: string, def: number, min: number, max: number): number => {
    const v = get(k);
    if (v === undefined) return def;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      problems.push(`${k}="${v}": expected an integer from ${min} to ${max}`);
      return def;
    }
    return Number(v);
  };

  const dryRunRaw = get('RESPONDER_DRY_RUN');
  let dryRun = DEFAULT_DRY_RUN;
  if (dryRunRaw !== undefined) {
    if (dryRunRaw === 'true' || dryRunRaw === 'false') dryRun = dryRunRaw === 'true';
    else problems.push(`RESPONDER_DRY_RUN="${dryRunRaw}": expected "true" or "false"`);
  }
  const maxNodes = integer('RESPONDER_MAX_NODES', DEFAULT_MAX_NODES, 0, 100_000);
  const pctRaw = get('RESPONDER_MAX_PERCENT');
  let maxPercent = DEFAULT_MAX_PERCENT;
  if (pctRaw !== undefined) {
    const n = Number(pctRaw);
    if (!/^\d+(\.\d+)?$/.test(pctRaw) || !(n > 0 && n <= 100)) problems.push(`RESPONDER_MAX_PERCENT="${pctRaw}": expected a number greater than 0 and at most 100`);
    else maxPercent = n;
  }
  const windowSeconds = integer('RESPONDER_WINDOW_SECONDS', DEFAULT_WINDOW_SECONDS, 1, MAX_WINDOW_SECONDS);
  const port = integer('PORT', DEFAULT_PORT, 0, 65535); // 0: any free port (tests)
  const maxBodyBytes = integer('RESPONDER_MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, 1024, 16 * 1024 * 1024);

  const tokenFile = get('RESPONDER_TOKEN_FILE') ?? DEFAULT_TOKEN_FILE;
  try {
    readToken(tokenFile);
  } catch (e) {
    problems.push(`RESPONDER_TOKEN_FILE="${tokenFile}": ${e instanceof Error ? e.message : String(e)} (the webhook never runs without a token)`);
  }

  const gpuNodeSelector = get('RESPONDER_GPU_NODE_SELECTOR') ?? DEFAULT_GPU_NODE_SELECTOR;
  try {
    parseLabelSelector(gpuNodeSelector);
  } catch (e) {
    problems.push(`RESPONDER_GPU_NODE_SELECTOR: ${e instanceof Error ? e.message : String(e)}`);
  }
  const nodeLabel = get('RESPONDER_NODE_LABEL') ?? DEFAULT_NODE_LABEL;
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(nodeLabel)) problems.push(`RESPONDER_NODE_LABEL="${nodeLabel}": not a Prometheus label name`);

  let fatalAlerts = DEFAULT_FATAL_ALERTS;
  const fatalRaw = get('RESPONDER_FATAL_ALERTS');
  if (fatalRaw !== undefined) {
    const names = fatalRaw.split(',').map((s) => s.trim()).filter((s) => s);
    const unknown = names.filter((n) => !DEFAULT_FATAL_ALERT_NAMES.includes(n));
    if (unknown.length > 0) problems.push(`RESPONDER_FATAL_ALERTS: ${unknown.join(', ')} not in the fatal classification (${DEFAULT_FATAL_ALERT_NAMES.join(', ')}); it can only be narrowed`);
    else if (names.length === 0) problems.push('RESPONDER_FATAL_ALERTS: empty');
    else fatalAlerts = DEFAULT_FATAL_ALERTS.filter((f) => names.includes(f.alert));
  }
  const eventNamespace = get('RESPONDER_EVENT_NAMESPACE') ?? DEFAULT_EVENT_NAMESPACE;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(eventNamespace) || eventNamespace.length > 63) problems.push(`RESPONDER_EVENT_NAMESPACE="${eventNamespace}": not a namespace name`);

  const podName = get('POD_NAME');
  const podNamespace = get('POD_NAMESPACE');
  const podRef = podName && podNamespace ? { name: podName, namespace: podNamespace } : undefined;

  const apiUrl = get('RESPONDER_KUBE_API_URL');
  let kubeApi: ResponderConfig['kubeApi'];
  if (apiUrl !== undefined) {
    const apiToken = get('RESPONDER_KUBE_TOKEN_FILE');
    if (!/^https?:\/\/[^\s/]+\/?$/.test(apiUrl)) problems.push(`RESPONDER_KUBE_API_URL="${apiUrl}": expected http(s)://host[:port]`);
    if (apiToken === undefined) problems.push('RESPONDER_KUBE_TOKEN_FILE is required with RESPONDER_KUBE_API_URL');
    kubeApi = { url: apiUrl.replace(/\/$/, ''), tokenFile: apiToken ?? '', caFile: get('RESPONDER_KUBE_CA_FILE') };
  } else if (get('KUBERNETES_SERVICE_HOST') === undefined) {
    problems.push('neither KUBERNETES_SERVICE_HOST (in a cluster) nor RESPONDER_KUBE_API_URL is set: no Kubernetes API to talk to');
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    policy: { maxNodes, maxPercent, windowSeconds, dryRun, fatalAlerts, nodeLabel },
    port,
    tokenFile,
    gpuNodeSelector,
    eventNamespace,
    maxBodyBytes,
    podRef,
    kubeApi,
  };
}

/** The API client options for a configuration. */
export function kubeOptions(config: ResponderConfig, env: NodeJS.ProcessEnv): KubeClientOptions {
  if (!config.kubeApi) return inClusterOptions(env);
  const { url, tokenFile, caFile } = config.kubeApi;
  readToken(tokenFile);
  return { baseUrl: url, token: () => readToken(tokenFile), ...(caFile ? { ca: fs.readFileSync(caFile) } : {}) };
}

/** Starts the responder from the environment; resolves once it listens. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = parseConfig(env);
  const kube = new KubeClient(kubeOptions(config, env));
  const running = await startResponder(
    {
      policy: config.policy,
      gpuNodeSelector: config.gpuNodeSelector,
      tokenFile: config.tokenFile,
      kube,
      eventNamespace: config.eventNamespace,
      podRef: config.podRef,
      maxBodyBytes: config.maxBodyBytes,
    },
    config.port,
  );
  process.stdout.write(
    `${JSON.stringify({
      time: new Date().toISOString(),
      level: 'info',
      msg: 'responder listening',
      port: running.port,
      dryRun: config.policy.dryRun,
      maxNodes: config.policy.maxNodes,
      maxPercent: config.policy.maxPercent,
      windowSeconds: config.policy.windowSeconds,
      fatalAlerts: config.policy.fatalAlerts.map((f) => f.alert),
      gpuNodeSelector: config.gpuNodeSelector,
      nodeLabel: config.policy.nodeLabel,
    })}\n`,
  );
  const stop = (signal: string): void => {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'stopping', signal })}\n`);
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'fatal', msg: 'responder failed to start', error: e instanceof Error ? e.message : String(e) })}\n`);
    process.exit(1);
  });
}
