/**
 * Test helpers of the GPU quarantine responder: Alertmanager payload builders and a fake
 * Kubernetes API (a small node:http server that keeps nodes, applies JSON merge patches with the
 * resourceVersion precondition and records every request).
 */
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { AlertmanagerWebhook, WebhookAlert } from '../../responder/webhook';
import type { NodeView, PolicyConfig } from '../../responder/policy';
import { DEFAULT_FATAL_ALERTS } from '../../responder/policy';

/** A firing alert of `alertname` on `node` (labels as the stack's GPU rules carry them). */
export function alert(alertname: string, node: string | undefined, over: Partial<WebhookAlert> & { readonly extraLabels?: Record<string, string> } = {}): WebhookAlert {
  const { extraLabels, ...rest } = over;
  return {
    status: 'firing',
    labels: { alertname, severity: 'critical', component: 'gpu', gpu: '0', UUID: 'GPU-0000', Hostname: 'dcgm-exporter-abc', ...(node !== undefined ? { node } : {}), ...extraLabels },
    annotations: { summary: 's', description: `GPU 0 on node ${node ?? '?'} reported Xid 79.` },
    startsAt: '2024-05-01T10:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus/graph',
    fingerprint: `fp-${alertname}-${node ?? 'none'}`,
    ...rest,
  };
}

/** A webhook payload carrying `alerts`. */
export function webhook(alerts: readonly WebhookAlert[], over: Partial<AlertmanagerWebhook> = {}): AlertmanagerWebhook {
  return {
    version: '4',
    groupKey: '{}/{component="gpu"}:{alertname="GpuFellOffBus"}',
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'gpu-responder',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
    ...over,
  };
}

/** A GPU node view for the policy. */
export function gpuNode(name: string, over: Partial<NodeView> = {}): NodeView {
  return { name, labels: { 'nvidia.com/gpu.present': 'true' }, annotations: {}, unschedulable: false, taints: [], isGpuNode: true, ...over };
}

/** A live (not dry-run) policy with generous limits, unless overridden. */
export function policyConfig(over: Partial<PolicyConfig> = {}): PolicyConfig {
  return { maxNodes: 100, maxPercent: 100, windowSeconds: 3600, dryRun: false, fatalAlerts: DEFAULT_FATAL_ALERTS, nodeLabel: 'node', ...over };
}

/** A node object as the API stores it. */
export interface FakeNode {
  metadata: { name: string; resourceVersion: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: { unschedulable?: boolean; taints?: Record<string, unknown>[] };
}

/** A request the fake API received. */
export interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  readonly body: unknown;
}

/** The fake API's token. */
export const FAKE_API_TOKEN = 'api-token';

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A fake Kubernetes API server. */
export class FakeKubeApi {
  readonly nodes = new Map<string, FakeNode>();
  readonly requests: Recorded[] = [];
  /** Node names whose next PATCH answers 409 (after a concurrent update bumped the resourceVersion). */
  readonly conflictOnce = new Set<string>();
  /** Answer 500 to everything. */
  down = false;
  private rv = 1;
  private server: http.Server | undefined;
  url = '';

  addNode(name: string, opts: { gpu?: boolean; labels?: Record<string, string>; annotations?: Record<string, string>; unschedulable?: boolean; taints?: Record<string, unknown>[] } = {}): FakeNode {
    const n: FakeNode = {
      metadata: {
        name,
        resourceVersion: String(this.rv++),
        labels: { 'kubernetes.io/hostname': name, ...(opts.gpu === false ? {} : { 'nvidia.com/gpu.present': 'true' }), ...opts.labels },
        annotations: { ...opts.annotations },
      },
      spec: { ...(opts.unschedulable ? { unschedulable: true } : {}), ...(opts.taints ? { taints: opts.taints } : {}) },
    };
    this.nodes.set(name, n);
    return n;
  }

  /** Requests of one method (and path prefix). */
  of(method: string, prefix = ''): Recorded[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(prefix));
  }
  get patches(): Recorded[] {
    return this.of('PATCH');
  }
  get events(): Recorded[] {
    return this.of('POST', '/api/v1/namespaces/');
  }
  /** Requests that change something (PATCH, POST, PUT, DELETE). */
  get writes(): Recorded[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = text;
        }
        const url = new URL(req.url ?? '/', 'http://x');
        this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, contentType: req.headers['content-type'], authorization: req.headers.authorization, body });
        const send = (status: number, obj: unknown): void => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(obj));
        };
        if (req.headers.authorization !== `Bearer ${FAKE_API_TOKEN}`) return send(401, { kind: 'Status', code: 401 });
        if (this.down) return send(500, { kind: 'Status', code: 500, message: 'down' });
        const nodeMatch = /^\/api\/v1\/nodes\/([^/]+)$/.exec(url.pathname);
        if (req.method === 'GET' && url.pathname === '/api/v1/nodes') {
          const sel = url.searchParams.get('labelSelector') ?? '';
          const reqs = sel ? sel.split(',').map((p) => p.split('=')) : [];
          const items = [...this.nodes.values()].filter((n) => reqs.every(([k, v]) => k !== undefined && n.metadata.labels[k] === v));
          return send(200, { kind: 'NodeList', metadata: {}, items });
        }
        if (nodeMatch) {
          const name = decodeURIComponent(nodeMatch[1] ?? '');
          const n = this.nodes.get(name);
          if (!n) return send(404, { kind: 'Status', code: 404, reason: 'NotFound' });
          if (req.method === 'GET') return send(200, n);
          if (req.method === 'PATCH') {
            if (req.headers['content-type'] !== 'application/merge-patch+json') return send(415, { code: 415 });
            if (this.conflictOnce.delete(name)) {
              n.metadata.resourceVersion = String(this.rv++);
              n.spec.taints = [...(n.spec.taints ?? []), { key: 'other.example/added-concurrently', effect: 'NoSchedule' }];
              return send(409, { kind: 'Status', code: 409, reason: 'Conflict' });
            }
            const patch = body as { metadata?: { resourceVersion?: string } };
            if (patch.metadata?.resourceVersion !== undefined && patch.metadata.resourceVersion !== n.metadata.resourceVersion) return send(409, { kind: 'Status', code: 409, reason: 'Conflict' });
            const merged = mergePatch(n, body) as FakeNode;
            merged.metadata.resourceVersion = String(this.rv++);
            this.nodes.set(name, merged);
            return send(200, merged);
          }
        }
        if (req.method === 'POST' && /^\/api\/v1\/namespaces\/[^/]+\/events$/.test(url.pathname)) return send(201, body);
        send(404, { kind: 'Status', code: 404 });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}

/** A temporary file holding `content`. */
export function tempFile(name: string, content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlobs-responder-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

/** An HTTP answer. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  json(): unknown;
}

/** Sends one request and reads the answer (a connection reset after the answer arrived is ignored). */
export function request(port: number, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; chunks?: readonly Buffer[] }): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'POST', path: opts.path ?? '/webhook', headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = (): void => {
        if (answered) return;
        answered = true;
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown });
      };
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    if (opts.chunks) {
      let i = 0;
      const writeNext = (): void => {
        if (answered || req.destroyed) return;
        const c = opts.chunks?.[i++];
        if (c === undefined) return void req.end();
        req.write(c, () => setImmediate(writeNext));
      };
      writeNext();
    } else {
      req.end(opts.body);
    }
  });
}
