/**
 * The responder's HTTP server (node:http): `POST /webhook` takes Alertmanager webhooks,
 * `GET /healthz` answers "ok". Only node: builtins and the responder's own modules.
 *
 * Safety of the input path:
 * - `Authorization: Bearer <token>` is required before the body is read; the token is read from
 *   its file on every request (a rotated Secret takes effect without a restart) and compared in
 *   constant time (SHA-256 of both sides, then timingSafeEqual). 401 without it or with a wrong
 *   one; 503 when the token file is unreadable or empty (never "no token means open").
 * - The body is streamed and counted: over {@link ResponderOptions.maxBodyBytes} it is a 413 and
 *   nothing more is kept (a declared Content-Length over the limit is refused before reading).
 * - Malformed JSON or a payload not shaped like Alertmanager's is a 400. Wrong method 405,
 *   other paths 404. None of these reach the policy or the Kubernetes API.
 * - Every handler is wrapped in try/catch and every request/response has an 'error' handler:
 *   input never crashes the process.
 *
 * Webhooks are processed one at a time (a promise queue): two concurrent notifications cannot
 * both pass the rate limit. The rate limit's memory is the GPU nodes' own
 * `mlobs.dev/quarantined-at` annotations, read from the API for every webhook, so a restart does
 * not reset it (a dry run keeps its would-be quarantines in memory only, since it writes nothing).
 *
 * Every decision, acted or refused, is logged as one JSON line on stdout and recorded as a
 * core/v1 Event on the node (in {@link ResponderOptions.eventNamespace}); a decision with no
 * node (the alert lacks the node label) is recorded on the responder's Pod when
 * {@link ResponderOptions.podRef} is set, and only logged otherwise.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeApiError, matchesSelector, parseLabelSelector, type KubeEvent, type KubeNode } from './kube';
import {
  decide,
  hasQuarantineTaint,
  historyFromNodes,
  nodesToInspect,
  withQuarantineTaint,
  type ActDecision,
  type Decision,
  type NodeView,
  type PolicyConfig,
  type QuarantineRecord,
} from './policy';
import { parseWebhook, type AlertmanagerWebhook } from './webhook';

/** The Kubernetes calls the server makes (a {@link KubeClient} in production). */
export interface KubeApi {
  getNode(name: string): Promise<KubeNode | undefined>;
  listNodes(labelSelector: string): Promise<KubeNode[]>;
  patchNode(name: string, patch: object): Promise<KubeNode>;
  createEvent(event: KubeEvent): Promise<void>;
}

/** Where the webhook is served. */
export const WEBHOOK_PATH = '/webhook';
/** Liveness/readiness path. */
export const HEALTHZ_PATH = '/healthz';
/** Default largest webhook body: 256 KiB (Alertmanager's bodies for a group are far smaller). */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
/** Default most webhooks waiting in the queue; more get a 503 (Alertmanager retries). */
export const DEFAULT_MAX_QUEUE = 64;
/** Attempts of a node patch that meets a conflicting update (409). */
export const PATCH_ATTEMPTS = 3;
/** Event reason of a quarantine. */
export const EVENT_REASON_QUARANTINE = 'MlobsQuarantine';
/** Event reason of a refusal (including a dry run). */
export const EVENT_REASON_REFUSED = 'MlobsQuarantineRefused';
/** Event reason of a quarantine the API refused (the webhook answers 500 and Alertmanager retries). */
export const EVENT_REASON_FAILED = 'MlobsQuarantineFailed';
/** The Event source component. */
export const EVENT_COMPONENT = 'mlobs-gpu-responder';
/** Longest Event message written. */
export const MAX_EVENT_MESSAGE = 1024;

/** How the server runs. */
export interface ResponderOptions {
  readonly policy: PolicyConfig;
  /** Equality-based label selector of the GPU nodes (e.g. nvidia.com/gpu.present=true). */
  readonly gpuNodeSelector: string;
  /** The file holding the bearer token Alertmanager must present. */
  readonly tokenFile: string;
  readonly kube: KubeApi;
  /** Namespace of the Events on nodes (nodes are cluster-scoped; the kubelet uses "default"). */
  readonly eventNamespace: string;
  /** The responder's own Pod, for Events of decisions that name no node. */
  readonly podRef?: { readonly name: string; readonly namespace: string };
  readonly maxBodyBytes?: number;
  readonly maxQueue?: number;
  /** One JSON object per line (default: stdout). */
  readonly log?: (line: Record<string, unknown>) => void;
  /** The clock (default Date.now). */
  readonly now?: () => number;
}

/** What happened to one decision. */
export interface Outcome {
  readonly decision: Decision;
  /** For an act: whether the node was patched ('already' when it was quarantined meanwhile). */
  readonly applied?: 'patched' | 'already' | 'failed';
  readonly error?: string;
}

/** A running responder. */
export interface Responder {
  readonly server: http.Server;
  /** Processes one webhook through the queue (what POST /webhook does after its checks). */
  handle(payload: AlertmanagerWebhook): Promise<Outcome[]>;
  /** Resolves when the queue is empty. */
  idle(): Promise<void>;
}

const defaultLog = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

/** Constant-time comparison of a presented token with the expected one. */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(presented, 'utf8').digest();
  const b = crypto.createHash('sha256').update(expected, 'utf8').digest();
  return crypto.timingSafeEqual(a, b) && expected.length > 0;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Creates the responder (not listening yet: call server.listen, or use {@link startResponder}). */
export function createResponder(options: ResponderOptions): Responder {
  const log = options.log ?? defaultLog;
  const now = options.now ?? Date.now;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
  const selector = parseLabelSelector(options.gpuNodeSelector);
  const { kube, policy } = options;
  let dryRunHistory: QuarantineRecord[] = [];
  let tail: Promise<void> = Promise.resolve();
  let pending = 0;
  let eventSeq = 0;

  const logError = (msg: string, err: unknown, extra: Record<string, unknown> = {}): void =>
    log({ time: new Date(now()).toISOString(), level: 'error', msg, error: err instanceof Error ? err.message : String(err), ...extra });

  function enqueue<T>(job: () => Promise<T>): Promise<T> {
    if (pending >= maxQueue) return Promise.reject(new HttpError(503, `too many webhooks queued (${maxQueue})`));
    pending++;
    const run = tail.then(job);
    tail = run.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      pending--;
    });
    return run;
  }

  function view(n: KubeNode, isGpuNode: boolean): NodeView {
    return {
      name: n.metadata.name,
      labels: n.metadata.labels ?? {},
      annotations: n.metadata.annotations ?? {},
      unschedulable: n.spec?.unschedulable === true,
      taints: n.spec?.taints ?? [],
      isGpuNode,
    };
  }

  async function quarantine(d: ActDecision, known: KubeNode | undefined): Promise<'patched' | 'already'> {
    let current = known;
    for (let attempt = 1; attempt <= PATCH_ATTEMPTS; attempt++) {
      if (attempt > 1 || !current) current = await kube.getNode(d.node);
      if (!current) throw new Error(`node ${d.node} no longer exists`);
      const taints = current.spec?.taints ?? [];
      if (current.spec?.unschedulable === true && hasQuarantineTaint(taints)) return 'already';
      const patch = {
        // resourceVersion makes the merge patch conditional: a concurrent update gives a 409 and
        // we re-read, so the taint list we write is never based on a stale one.
        metadata: { ...(current.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}), annotations: d.annotations },
        spec: { unschedulable: true, taints: withQuarantineTaint(taints) },
      };
      try {
        await kube.patchNode(d.node, patch);
        return 'patched';
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 409 && attempt < PATCH_ATTEMPTS) continue;
        throw e;
      }
    }
    throw new Error('unreachable');
  }

  async function recordEvent(o: Outcome, payload: AlertmanagerWebhook): Promise<void> {
    const d = o.decision;
    const involved = d.node
      ? { kind: 'Node', name: d.node, apiVersion: 'v1' }
      : options.podRef
        ? { kind: 'Pod', name: options.podRef.name, namespace: options.podRef.namespace, apiVersion: 'v1' }
        : undefined;
    if (!involved) return;
    const t = new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const failed = o.applied === 'failed';
    const reason = failed ? EVENT_REASON_FAILED : d.action === 'act' ? EVENT_REASON_QUARANTINE : EVENT_REASON_REFUSED;
    const text = `${d.reason}: ${d.message}${failed ? ` (failed: ${o.error ?? ''})` : ''} [alert fingerprint ${d.fingerprint}, group ${payload.groupKey}]`;
    const namespace = involved.kind === 'Pod' && options.podRef ? options.podRef.namespace : options.eventNamespace;
    eventSeq = (eventSeq + 1) % 1_000_000;
    await kube.createEvent({
      metadata: { name: `${involved.name}.${now().toString(16)}${eventSeq.toString(16).padStart(5, '0')}`.slice(0, 253), namespace },
      involvedObject: involved,
      reason,
      message: text.length > MAX_EVENT_MESSAGE ? `${text.slice(0, MAX_EVENT_MESSAGE - 3)}...` : text,
      type: d.action === 'act' || failed ? 'Warning' : 'Normal',
      source: { component: EVENT_COMPONENT },
      firstTimestamp: t,
      lastTimestamp: t,
      count: 1,
      reportingComponent: EVENT_COMPONENT,
      reportingInstance: options.podRef?.name ?? EVENT_COMPONENT,
    });
  }

  async function processWebhook(payload: AlertmanagerWebhook): Promise<Outcome[]> {
    const started = now();
    const inspect = nodesToInspect(payload, policy);
    const nodes = new Map<string, NodeView>();
    const raw = new Map<string, KubeNode>();
    let gpuNodeCount = 0;
    let history: QuarantineRecord[] = [];
    if (inspect.length > 0) {
      const gpuNodes = await kube.listNodes(options.gpuNodeSelector);
      gpuNodeCount = gpuNodes.length;
      history = historyFromNodes(gpuNodes.map((n) => ({ name: n.metadata.name, annotations: n.metadata.annotations ?? {} })));
      const windowStart = started - policy.windowSeconds * 1000;
      dryRunHistory = dryRunHistory.filter((h) => h.at >= windowStart);
      if (policy.dryRun) history = [...history, ...dryRunHistory];
      const byName = new Map(gpuNodes.map((n) => [n.metadata.name, n]));
      for (const name of inspect) {
        const listed = byName.get(name);
        const n = listed ?? (await kube.getNode(name));
        if (!n) continue;
        raw.set(name, n);
        nodes.set(name, view(n, listed !== undefined || matchesSelector(n.metadata.labels ?? {}, selector)));
      }
    }
    const decisions = decide({ payload, nodes, gpuNodeCount, history, now: started, config: policy });
    const outcomes: Outcome[] = [];
    for (const d of decisions) {
      let o: Outcome = { decision: d };
      if (d.action === 'act') {
        try {
          o = { decision: d, applied: await quarantine(d, raw.get(d.node)) };
        } catch (e) {
          o = { decision: d, applied: 'failed', error: e instanceof Error ? e.message : String(e) };
        }
      } else if (d.reason === 'dry-run' && d.node) {
        dryRunHistory.push({ node: d.node, at: started });
      }
      outcomes.push(o);
      log({
        time: new Date(now()).toISOString(),
        level: o.applied === 'failed' ? 'error' : 'info',
        msg: 'decision',
        action: d.action,
        reason: d.reason,
        node: d.node ?? null,
        alert: d.alert,
        alertStatus: d.alertStatus,
        xid: d.xid ?? null,
        fingerprint: d.fingerprint,
        dryRun: policy.dryRun,
        groupKey: payload.groupKey,
        receiver: payload.receiver,
        ...(o.applied ? { applied: o.applied } : {}),
        ...(o.error ? { error: o.error } : {}),
        message: d.message,
      });
      try {
        await recordEvent(o, payload);
      } catch (e) {
        logError('could not record the Event', e, { node: d.node ?? null, reason: d.reason });
      }
    }
    return outcomes;
  }

  const handle = (payload: AlertmanagerWebhook): Promise<Outcome[]> => enqueue(() => processWebhook(payload));

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.writableEnded) return;
    const text = `${JSON.stringify(body)}\n`;
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  /** Refuses a request whose body we will not read: close the connection after the answer. */
  function refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, error: string, headers: Record<string, string> = {}): void {
    send(res, status, { error }, { Connection: 'close', ...headers });
    req.resume(); // drain without keeping; the socket closes after the answer
  }

  function expectedToken(): string {
    return fs.readFileSync(options.tokenFile, 'utf8').trim();
  }

  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.on('error', (e) => logError('request error', e));
    res.on('error', (e) => logError('response error', e));
    try {
      const path = (req.url ?? '').split('?')[0];
      if (path === HEALTHZ_PATH) {
        if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(req, res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
        return send(res, 200, { status: 'ok' });
      }
      if (path !== WEBHOOK_PATH) return refuse(req, res, 404, 'not found');
      if (req.method !== 'POST') return refuse(req, res, 405, 'method not allowed', { Allow: 'POST' });
      let expected: string;
      try {
        expected = expectedToken();
      } catch (e) {
        logError('cannot read the token file', e, { tokenFile: options.tokenFile });
        return refuse(req, res, 503, 'the responder has no token configured');
      }
      if (!expected) {
        logError('the token file is empty', new Error('empty token'), { tokenFile: options.tokenFile });
        return refuse(req, res, 503, 'the responder has no token configured');
      }
      const auth = req.headers.authorization ?? '';
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (!m || !tokenMatches(m[1] ?? '', expected)) {
        log({ time: new Date(now()).toISOString(), level: 'warn', msg: 'unauthenticated webhook refused', remote: req.socket.remoteAddress ?? null, hadAuthorization: auth !== '' });
        return refuse(req, res, 401, 'unauthorized', { 'WWW-Authenticate': 'Bearer' });
      }
      const declared = req.headers['content-length'];
      if (declared !== undefined && (!/^\d+$/.test(declared) || Number(declared) > maxBody)) {
        return refuse(req, res, 413, `body larger than ${maxBody} bytes`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      req.on('data', (c: Buffer) => {
        if (tooLarge) return;
        size += c.length;
        if (size > maxBody) {
          tooLarge = true;
          chunks.length = 0;
          refuse(req, res, 413, `body larger than ${maxBody} bytes`);
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        if (tooLarge) return;
        void onBody(Buffer.concat(chunks), res).catch((e) => {
          logError('webhook failed', e);
          send(res, 500, { error: 'internal error' });
        });
      });
    } catch (e) {
      logError('request handling failed', e);
      send(res, 500, { error: 'internal error' });
    }
  }

  async function onBody(body: Buffer, res: http.ServerResponse): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return send(res, 400, { error: 'the body is not valid JSON' });
    }
    const parsed = parseWebhook(json);
    if (!parsed.ok) return send(res, 400, { error: `not an Alertmanager webhook payload: ${parsed.error}` });
    try {
      const outcomes = await handle(parsed.payload);
      const failed = outcomes.filter((o) => o.applied === 'failed');
      const summary = outcomes.map((o) => ({ node: o.decision.node ?? null, alert: o.decision.alert, action: o.decision.action, reason: o.decision.reason, ...(o.applied ? { applied: o.applied } : {}) }));
      // A failed patch answers 500: Alertmanager retries, and the retry is idempotent.
      send(res, failed.length > 0 ? 500 : 200, { dryRun: policy.dryRun, decisions: summary });
    } catch (e) {
      if (e instanceof HttpError) return send(res, e.status, { error: e.message });
      logError('webhook processing failed', e, { groupKey: parsed.payload.groupKey });
      send(res, 502, { error: 'the Kubernetes API could not be read; retry' });
    }
  }

  const server = http.createServer(onRequest);
  server.on('clientError', (err, socket) => {
    try {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    } catch {
      // the socket is gone
    }
    void err;
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  return { server, handle, idle: () => tail };
}

/** Creates the responder and listens on `port` (0: any free port); resolves with the bound port. */
export async function startResponder(options: ResponderOptions, port: number, host?: string): Promise<{ responder: Responder; port: number; close(): Promise<void> }> {
  const responder = createResponder(options);
  await new Promise<void>((resolve, reject) => {
    responder.server.once('error', reject);
    responder.server.listen(port, host, () => {
      responder.server.off('error', reject);
      resolve();
    });
  });
  const bound = (responder.server.address() as AddressInfo).port;
  return {
    responder,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        responder.server.close(() => resolve());
        responder.server.closeAllConnections();
      }).then(() => responder.idle()),
  };
}
