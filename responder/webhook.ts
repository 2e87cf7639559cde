/**
 * The Alertmanager webhook payload (version "4", the only version Alertmanager has sent since
 * 0.9; https://prometheus.io/docs/alerting/latest/configuration/#webhook_config) and a strict
 * shape check of untrusted input. Pure: no I/O, no imports.
 */

/** One alert of a webhook notification. */
export interface WebhookAlert {
  readonly status: AlertStatus;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** RFC 3339. */
  readonly startsAt: string;
  /** RFC 3339; Alertmanager sends "0001-01-01T00:00:00Z" for a firing alert. */
  readonly endsAt: string;
  readonly generatorURL: string;
  /** Alertmanager's fingerprint of the alert's label set (stable while the labels are). */
  readonly fingerprint: string;
}

/** `firing` or `resolved`. */
export type AlertStatus = 'firing' | 'resolved';

/** The body Alertmanager POSTs to a webhook receiver. */
export interface AlertmanagerWebhook {
  readonly version: '4';
  readonly groupKey: string;
  /** Alerts Alertmanager left out because of the receiver's max_alerts. */
  readonly truncatedAlerts: number;
  readonly status: AlertStatus;
  readonly receiver: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly commonLabels: Readonly<Record<string, string>>;
  readonly commonAnnotations: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly alerts: readonly WebhookAlert[];
}

/** More alerts than this in one notification is not a payload we act on. */
export const MAX_ALERTS_PER_WEBHOOK = 1000;

/** The result of checking an untrusted body. */
export type ParseResult = { readonly ok: true; readonly payload: AlertmanagerWebhook } | { readonly ok: false; readonly error: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown, where: string): Record<string, string> | string {
  if (v === undefined) return {};
  if (!isObject(v)) return `${where} must be an object of strings`;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') return `${where}.${k} must be a string`;
    // defineProperty: a "__proto__" key stays a plain data property.
    Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function status(v: unknown, where: string): AlertStatus | string {
  return v === 'firing' || v === 'resolved' ? v : `${where} must be "firing" or "resolved"`;
}

function optionalString(v: unknown, where: string): string | { error: string } {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : { error: `${where} must be a string` };
}

/**
 * Checks that `body` (parsed JSON) is shaped like an Alertmanager version-4 webhook payload.
 * Required: version "4", status, alerts[] with each alert's status, labels, startsAt and
 * fingerprint. The other fields default to empty when absent but must have the right type.
 */
export function parseWebhook(body: unknown): ParseResult {
  const fail = (error: string): ParseResult => ({ ok: false, error });
  if (!isObject(body)) return fail('the body must be a JSON object');
  if (body.version !== '4') return fail('version must be "4" (Alertmanager webhook payload)');
  const st = status(body.status, 'status');
  if (st !== 'firing' && st !== 'resolved') return fail(st);
  if (!Array.isArray(body.alerts)) return fail('alerts must be an array');
  if (body.alerts.length > MAX_ALERTS_PER_WEBHOOK) return fail(`more than ${MAX_ALERTS_PER_WEBHOOK} alerts`);
  const top: Record<string, string> = {};
  for (const k of ['groupKey', 'receiver', 'externalURL'] as const) {
    const s = optionalString(body[k], k);
    if (typeof s !== 'string') return fail(s.error);
    top[k] = s;
  }
  const maps: Record<string, Record<string, string>> = {};
  for (const k of ['groupLabels', 'commonLabels', 'commonAnnotations'] as const) {
    const m = stringMap(body[k], k);
    if (typeof m === 'string') return fail(m);
    maps[k] = m;
  }
  const truncated = body.truncatedAlerts ?? 0;
  if (typeof truncated !== 'number' || !Number.isInteger(truncated) || truncated < 0) return fail('truncatedAlerts must be a non-negative integer');
  const alerts: WebhookAlert[] = [];
  for (const [i, a] of body.alerts.entries()) {
    const where = `alerts[${i}]`;
    if (!isObject(a)) return fail(`${where} must be an object`);
    const ast = status(a.status, `${where}.status`);
    if (ast !== 'firing' && ast !== 'resolved') return fail(ast);
    const labels = stringMap(a.labels, `${where}.labels`);
    if (typeof labels === 'string') return fail(labels);
    if (a.labels === undefined) return fail(`${where}.labels is required`);
    const annotations = stringMap(a.annotations, `${where}.annotations`);
    if (typeof annotations === 'string') return fail(annotations);
    if (typeof a.startsAt !== 'string' || a.startsAt === '') return fail(`${where}.startsAt must be a non-empty string`);
    if (typeof a.fingerprint !== 'string' || a.fingerprint === '') return fail(`${where}.fingerprint must be a non-empty string`);
    const endsAt = optionalString(a.endsAt, `${where}.endsAt`);
    if (typeof endsAt !== 'string') return fail(endsAt.error);
    const generatorURL = optionalString(a.generatorURL, `${where}.generatorURL`);
    if (typeof generatorURL !== 'string') return fail(generatorURL.error);
    alerts.push({ status: ast, labels, annotations, startsAt: a.startsAt, endsAt, generatorURL, fingerprint: a.fingerprint });
  }
  return {
    ok: true,
    payload: {
      version: '4',
      groupKey: top.groupKey ?? '',
      truncatedAlerts: truncated,
      status: st,
      receiver: top.receiver ?? '',
      groupLabels: maps.groupLabels ?? {},
      commonLabels: maps.commonLabels ?? {},
      commonAnnotations: maps.commonAnnotations ?? {},
      externalURL: top.externalURL ?? '',
      alerts,
    },
  };
}
