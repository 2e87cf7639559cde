/**
 * Config for the metrics side of the stack: Alertmanager receivers and routes, and how the
 * UIs (Grafana, Prometheus, Alertmanager) are exposed. Wired into the environment schema
 * (environment.ts); cross-field checks run from its superRefine via {@link checkAlerting}.
 *
 * Credentials are never values here: every one is a SecretRef that Alertmanager mounts and
 * reads through a `*_file` field.
 */
import { z } from 'zod';
import { dnsLabel, dnsSubdomain, duration, secretRef } from './primitives';
import { credentialInUrl, credentialUrlMessage } from './urls';

/** The receiver that drops alerts (no integrations). Reserved: users cannot define it. */
export const NULL_RECEIVER = 'null';

/** Labels that route alerts to a team's receivers. */
export const ROUTING_LABELS = ['component', 'team'] as const;

/** Alertmanager's grouping for every route unless config says otherwise. */
export const DEFAULT_GROUP_BY = ['alertname', 'cluster', 'namespace'] as const;
export const DEFAULT_GROUP_WAIT = '30s';
export const DEFAULT_GROUP_INTERVAL = '5m';
export const DEFAULT_REPEAT_INTERVAL = '4h';

const receiverName = dnsLabel('Receiver name (unique; "null" is reserved for "drop")').refine((n) => n !== NULL_RECEIVER, {
  message: `"${NULL_RECEIVER}" is reserved (the receiver that drops alerts); choose another name`,
});

const sendResolved = z.boolean().default(true).describe('Also notify when the alert resolves. Default: true');

const slackReceiver = z
  .strictObject({
    type: z.literal('slack'),
    name: receiverName,
    apiUrl: secretRef.describe('Secret key holding the Slack incoming-webhook URL (read through api_url_file)'),
    channel: z.string().regex(/^[#@]?[-_a-z0-9.]+$/, { message: 'is not a Slack channel; use e.g. "#ml-alerts"' }).describe('Channel, e.g. "#ml-alerts"'),
    sendResolved,
  })
  .describe('Slack (chat)');

const pagerdutyReceiver = z
  .strictObject({
    type: z.literal('pagerduty'),
    name: receiverName,
    routingKey: secretRef.describe('Secret key holding the PagerDuty Events API v2 routing key (read through routing_key_file)'),
    sendResolved,
  })
  .describe('PagerDuty (pages a human)');

const emailReceiver = z
  .strictObject({
    type: z.literal('email'),
    name: receiverName,
    to: z.email({ message: 'is not an email address' }).describe('Recipient'),
    from: z.email({ message: 'is not an email address' }).describe('Sender'),
    smarthost: z
      .string()
      .regex(/^[-a-z0-9.]+:[0-9]{1,5}$/, { message: 'is not host:port; use e.g. "smtp.example.com:587"' })
      .describe('SMTP server as host:port'),
    authUsername: z.string().min(1).optional().describe('SMTP user name (not secret). Default: no SMTP authentication'),
    authPassword: secretRef.optional().describe('Secret key holding the SMTP password (read through auth_password_file)'),
    requireTls: z.boolean().default(true).describe('Require STARTTLS. Default: true'),
    sendResolved: z.boolean().default(false).describe('Also notify when the alert resolves. Default: false'),
  })
  .refine((e) => (e.authUsername === undefined) === (e.authPassword === undefined), {
    message: 'authUsername and authPassword go together; please set both (authPassword: { name: smtp, key: password }) or neither',
    path: ['authPassword'],
  })
  .describe('Email');

const webhookReceiver = z
  .strictObject({
    type: z.literal('webhook'),
    name: receiverName,
    url: z
      .url({ message: 'is not a URL' })
      .superRefine((u, ctx) => {
        const kind = credentialInUrl(u);
        if (kind) ctx.addIssue({ code: 'custom', message: credentialUrlMessage(kind, 'put the URL in a Secret and use urlSecret instead') });
      })
      .optional()
      .describe('URL without credentials, e.g. an in-cluster auto-remediation service'),
    urlSecret: secretRef
      .optional()
      .describe('Secret key holding a URL that carries a credential (read through url_file; needs Alertmanager >= 0.26)'),
    maxAlerts: z.number().int().min(0).default(0).describe('Most alerts per message; 0 = all. Default: 0'),
    sendResolved,
  })
  .refine((w) => (w.url === undefined) !== (w.urlSecret === undefined), {
    message: 'needs exactly one of url or urlSecret; please set: url: http://remediator.ml-platform.svc:8080/alerts',
    path: ['url'],
  })
  .describe('Generic webhook (e.g. a team\'s auto-remediation service)');

export const receiverSchema = z
  .discriminatedUnion('type', [slackReceiver, pagerdutyReceiver, emailReceiver, webhookReceiver])
  .describe('A notification receiver: slack, pagerduty, email or webhook');

const receiverRef = (what: string) => dnsLabel(what).optional();

const teamRoute = z
  .strictObject({
    component: dnsLabel('Match alerts with this `component` label (gpu, training, platform...)').optional(),
    team: dnsLabel('Match alerts with this `team` label').optional(),
    critical: receiverRef('Receiver for severity=critical. Default: routing.critical'),
    warning: receiverRef('Receiver for severity=warning. Default: routing.warning'),
    alsoNotify: z
      .array(dnsLabel('Receiver name'))
      .default([])
      .describe('Receivers that also get every critical and warning alert of this route (e.g. auto-remediation webhooks). Default: none'),
  })
  .refine((r) => r.component !== undefined || r.team !== undefined, {
    message: 'matches nothing; please set component: gpu (or team: training)',
  })
  .describe('Alerts of one component or team, routed to their own receivers');

export const routingSchema = z
  .strictObject({
    groupBy: z
      .array(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: 'is not a label name' }))
      .min(1)
      .default([...DEFAULT_GROUP_BY])
      .describe(`Labels that group alerts into one notification. Default: ${DEFAULT_GROUP_BY.join(', ')}`),
    groupWait: duration(`Wait before the first notification of a group. Default: ${DEFAULT_GROUP_WAIT}`).default(DEFAULT_GROUP_WAIT),
    groupInterval: duration(`Wait before notifying about new alerts of a group. Default: ${DEFAULT_GROUP_INTERVAL}`).default(DEFAULT_GROUP_INTERVAL),
    repeatInterval: duration(`Re-send a still-firing alert after. Default: ${DEFAULT_REPEAT_INTERVAL}`).default(DEFAULT_REPEAT_INTERVAL),
    critical: receiverRef('Receiver that pages for severity=critical. Default: none (dropped)'),
    warning: receiverRef('Receiver (chat) for severity=warning; also gets alerts without a known severity. Default: none (dropped)'),
    routes: z.array(teamRoute).default([]).describe('Per component/team routes, first match wins. Default: none'),
  })
  .prefault({})
  .describe('How alerts reach receivers: critical pages, warning goes to chat, info goes nowhere');

/** The fields added to the `alertmanager` section. */
export const alertingShape = {
  receivers: z.array(receiverSchema).default([]).describe('Notification receivers. Default: none (every alert is dropped)'),
  routing: routingSchema,
};

export type ReceiverSettings = z.output<typeof receiverSchema>;
export type RoutingSettings = z.output<typeof routingSchema>;
export interface AlertingSettings {
  readonly receivers: readonly ReceiverSettings[];
  readonly routing: RoutingSettings;
}

/** How a UI is exposed: an Ingress on this host (TLS when tls.enabled and tls.hops.ui). */
export const ingressSchema = z
  .strictObject({
    host: dnsSubdomain('Host name, e.g. grafana.ml.example.com'),
    className: dnsSubdomain('IngressClass. Default: nginx').default('nginx'),
  })
  .describe('Expose through an Ingress. Default: not exposed (port-forward)');

export type IngressSettings = z.output<typeof ingressSchema>;

interface IssueSink {
  addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void;
}

/** Cross-field checks: unique receiver names; every receiver a route names exists. */
export function checkAlerting(alerting: AlertingSettings, ctx: IssueSink, base: readonly string[] = ['alertmanager']): void {
  const names = alerting.receivers.map((r) => r.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) {
      ctx.addIssue({ code: 'custom', path: [...base, 'receivers', i, 'name'], message: `"${n}" is defined twice; receiver names must be unique` });
    }
  });
  const known = new Set(names);
  const allowed = names.length > 0 ? names.join(', ') : 'none defined';
  const check = (name: string | undefined, path: (string | number)[]): void => {
    if (name === undefined || known.has(name)) return;
    ctx.addIssue({
      code: 'custom',
      path: [...base, 'routing', ...path],
      message: `"${name}" is not a receiver (defined: ${allowed}); please add it to alertmanager.receivers, e.g. - { type: slack, name: ${name}, apiUrl: { name: alertmanager-slack, key: url }, channel: "#alerts" }`,
    });
  };
  const r = alerting.routing;
  check(r.critical, ['critical']);
  check(r.warning, ['warning']);
  r.routes.forEach((route, i) => {
    check(route.critical, ['routes', i, 'critical']);
    check(route.warning, ['routes', i, 'warning']);
    route.alsoNotify.forEach((n, j) => check(n, ['routes', i, 'alsoNotify', j]));
  });
}
