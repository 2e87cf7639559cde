/**
 * Helpers for live tests against real Prometheus/Alertmanager binaries on loopback: free
 * ports, bounded polling, a webhook receiver, a metrics target, and child processes that are
 * always stopped (each in its own process group).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** A port that was free a moment ago on 127.0.0.1 (listen on :0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, LOOPBACK, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('no port from listen(0)'));
      srv.close(() => resolve(addr.port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it returns a value other than `undefined`, at most `timeoutMs`; throws
 * with `what` and the last error (plus `context()`, e.g. process logs) when time runs out.
 */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}\n${context()}`);
    }
    await sleep(200);
  }
}

/** GET with a short timeout; returns status and body text. */
export async function httpGet(url: string, timeoutMs = 2_000): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: r.status, body: await r.text() };
}

/** A started HTTP server on 127.0.0.1. */
export interface LocalServer {
  readonly port: number;
  close(): Promise<void>;
}

async function listen(handler: http.RequestListener): Promise<LocalServer & { server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address for the local server');
  return {
    server,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One alert in an Alertmanager webhook message (the fields we assert on). */
export interface WebhookAlert {
  readonly status: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly fingerprint: string;
}

/** Alertmanager's webhook payload (version 4). */
export interface WebhookMessage {
  readonly version: string;
  readonly receiver: string;
  readonly status: string;
  readonly groupKey: string;
  readonly groupLabels: Record<string, string>;
  readonly alerts: readonly WebhookAlert[];
}

/** A webhook receiver that records every message it is sent, in order. */
export interface WebhookReceiver extends LocalServer {
  readonly url: string;
  readonly messages: WebhookMessage[];
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const messages: WebhookMessage[] = [];
  const s = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST') messages.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookMessage);
      res.writeHead(200).end();
    });
  });
  return { port: s.port, close: s.close, url: `http://${LOOPBACK}:${s.port}/alerts`, messages };
}

/** A /metrics target whose exposition text is computed at each scrape (`scrape` counts from 1). */
export async function startMetricsTarget(render: (scrape: number) => string): Promise<LocalServer & { scrapes(): number }> {
  let n = 0;
  const s = await listen((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    n += 1;
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(render(n));
  });
  return { port: s.port, close: s.close, scrapes: () => n };
}

/** A child process in its own process group, with its output kept for failure messages. */
export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  /** The last lines of its stdout/stderr. */
  logs(): string;
  /** SIGTERM the group and wait (bounded) for exit; SIGKILL if it does not stop in time. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL the whole group at once (cleanup; never throws). */
  kill(): void;
}

export function startChild(name: string, bin: string, args: readonly string[]): Child {
  const proc = spawn(bin, [...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.on('error', (e) => {
    out += `\n[spawn error] ${e.message}\n`;
  });
  const keep = (b: Buffer): void => {
    out = (out + b.toString('utf8')).slice(-8_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else {
      proc.once('exit', () => resolve());
      proc.once('error', () => resolve());
    }
  });
  const signal = (sig: NodeJS.Signals): void => {
    if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    try {
      process.kill(-proc.pid, sig);
    } catch {
      // already gone
    }
  };
  return {
    name,
    proc,
    logs: () => `--- ${name} (${bin} ${args.join(' ')}) ---\n${out}`,
    async stop(timeoutMs = 10_000) {
      signal('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const stopped = await Promise.race([exited.then(() => true), timedOut]);
      clearTimeout(timer);
      if (!stopped) {
        signal('SIGKILL');
        await exited;
      }
    },
    kill: () => signal('SIGKILL'),
  };
}
