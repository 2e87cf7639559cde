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
import type { Conforms } from './conforms';
import { DEFAULT_INGRESS_CLASS, type IngressSettings } from '../../constructs/core/settings';
import {
  DEFAULT_GROUP_BY,
  DEFAULT_GROUP_INTERVAL,
  DEFAULT_GROUP_WAIT,
  DEFAULT_CRITICAL_TIMING,
  DEFAULT_HEARTBEAT_INTERVAL,
  DEFAULT_RECEIVER,
  DEFAULT_REPEAT_INTERVAL,
  MESSAGE_TEMPLATE_NAMES,
  type MessageTemplateName,
  NULL_RECEIVER,
  ROUTING_LABELS,
  alertingProblems,
  type AlertingSettings,
  type ReceiverSettings,
  type RoutingSettings,
} from '../../constructs/metrics/settings';

export { DEFAULT_GROUP_BY, DEFAULT_GROUP_INTERVAL, DEFAULT_GROUP_WAIT, DEFAULT_REPEAT_INTERVAL, NULL_RECEIVER, ROUTING_LABELS };
export type { AlertingSettings, IngressSettings, ReceiverSettings, RoutingSettings };

const receiverName = dnsLabel('Receiver name (unique; "null" is reserved for "drop")').refine((n) => n !== NULL_RECEIVER, {
  message: `"${NULL_RECEIVER}" is reserved (the receiver that drops alerts); choose another name`,
});

const sendResolved = z.boolean().default(DEFAULT_RECEIVER.sendResolved).describe(`Also notify when the alert resolves. Default: ${DEFAULT_RECEIVER.sendResolved}`);

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
    requireTls: z.boolean().default(DEFAULT_RECEIVER.requireTls).describe(`Require STARTTLS. Default: ${DEFAULT_RECEIVER.requireTls}`),
    sendResolved: z.boolean().default(DEFAULT_RECEIVER.emailSendResolved).describe(`Also notify when the alert resolves. Default: ${DEFAULT_RECEIVER.emailSendResolved}`),
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
    maxAlerts: z.number().int().min(0).default(DEFAULT_RECEIVER.maxAlerts).describe(`Most alerts per message; 0 = all. Default: ${DEFAULT_RECEIVER.maxAlerts}`),
    sendResolved,
  })
  .refine((w) => (w.url === undefined) !== (w.urlSecret === undefined), {
    message: 'needs exactly one of url or urlSecret; please set: url: http://remediator.ml-platform.svc:8080/alerts',
    path: ['url'],
  })
  .describe('Generic webhook (e.g. a team\'s auto-remediation service)');

const teamsReceiver = z
  .strictObject({
    type: z.literal('msteams'),
    name: receiverName,
    webhookUrl: secretRef.describe('Secret key holding the Teams Workflows webhook URL (read through webhook_url_file; Alertmanager msteamsv2)'),
    sendResolved,
  })
  .describe('Microsoft Teams (Workflows webhook)');

const opsgenieReceiver = z
  .strictObject({
    type: z.literal('opsgenie'),
    name: receiverName,
    apiKey: secretRef.describe('Secret key holding the Opsgenie API integration key (read through api_key_file)'),
    region: z.enum(['us', 'eu']).optional().describe('The Opsgenie account region (eu: https://api.eu.opsgenie.com/). Default: us'),
    sendResolved,
  })
  .describe('Opsgenie (pages a human; critical is P1, warning P3)');

const wechatReceiver = z
  .strictObject({
    type: z.literal('wechat'),
    name: receiverName,
    corpId: z.string().min(1).describe('WeChat Work (WeCom) corporation id (not secret)'),
    agentId: z.string().regex(/^[0-9]+$/, { message: 'is not an agent id; use the application\'s numeric AgentId' }).describe('Application AgentId'),
    apiSecret: secretRef.describe('Secret key holding the application secret (read through api_secret_file)'),
    toUser: z.string().min(1).optional().describe('User ids separated by "|", or "@all". Default: none'),
    toParty: z.string().min(1).optional().describe('Department ids separated by "|". Default: none'),
    toTag: z.string().min(1).optional().describe('Tag ids separated by "|". Default: none'),
    sendResolved: z.boolean().default(DEFAULT_RECEIVER.emailSendResolved).describe(`Also notify when the alert resolves. Default: ${DEFAULT_RECEIVER.emailSendResolved}`),
  })
  .describe('WeChat Work (WeCom) application message');

export const receiverSchema = z
  .discriminatedUnion('type', [slackReceiver, pagerdutyReceiver, emailReceiver, webhookReceiver, teamsReceiver, opsgenieReceiver, wechatReceiver])
  .describe('A notification receiver: slack, pagerduty, email, webhook, msteams, opsgenie or wechat');

const routeTiming = (what: string) =>
  z
    .strictObject({
      groupWait: duration('Wait before the first notification of a group; 0s sends at once', { zero: true }).optional(),
      groupInterval: duration('Wait before notifying about new alerts of a group').optional(),
      repeatInterval: duration('Re-send a still-firing alert after').optional(),
    })
    .describe(what);

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
    timing: routeTiming('Grouping timing of this route, both severities. Default: the routing\'s (critical alerts: criticalTiming)').optional(),
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
    criticalTiming: routeTiming(
      `Timing of every critical route: pages go out at once. Default: ${JSON.stringify(DEFAULT_CRITICAL_TIMING)}`,
    ).optional(),
  })
  .prefault({})
  .describe('How alerts reach receivers: critical pages, warning goes to chat, info goes nowhere');

/** The fields added to the `alertmanager` section. */
export const alertingShape = {
  receivers: z.array(receiverSchema).default([]).describe('Notification receivers. Default: none (every alert is dropped)'),
  routing: routingSchema,
  inhibitRules: z
    .array(
      z.strictObject({
        sourceMatchers: z.array(z.string()).describe('Matchers of the alerts that mute, e.g. alertname="NodeDown"'),
        targetMatchers: z.array(z.string()).describe('Matchers of the alerts that are muted'),
        equal: z.array(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: 'is not a label name' })).optional().describe('Labels equal on both. Default: none'),
      }),
    )
    .optional()
    .describe('Inhibit rules beside the built-in ones (critical mutes warning, a gone node or GPU mutes its symptoms, a hot or throttling GPU mutes its idle alert). Default: none'),
  heartbeat: z
    .strictObject({
      urlSecret: secretRef.describe('Secret key holding the heartbeat service\'s ping URL (https; read through url_file)'),
      interval: duration(`How often Watchdog is sent. Default: ${DEFAULT_HEARTBEAT_INTERVAL}`).optional(),
    })
    .optional()
    .describe('Dead man\'s switch: Watchdog (always firing) is sent to this URL; the service alerts you when it stops hearing it. Default: none (Watchdog is dropped)'),
  messageTemplates: z
    .strictObject(Object.fromEntries(MESSAGE_TEMPLATE_NAMES.map((n) => [n, z.string().min(1).optional()])) as Record<MessageTemplateName, z.ZodOptional<z.ZodString>>)
    .optional()
    .describe(`Go templates replacing the default messages (${MESSAGE_TEMPLATE_NAMES.join(', ')}); Alertmanager's notification data. Default: the built-in ones (environment, job, node, GPU, description, runbook)`),
};

/** The schema's output is what the metrics component takes (compile-time check). */
export type ReceiverSchemaOutput = Conforms<z.output<typeof receiverSchema>, ReceiverSettings>;
export type RoutingSchemaOutput = Conforms<z.output<typeof routingSchema>, RoutingSettings>;

/** How a UI is exposed: an Ingress on this host (TLS when tls.enabled and tls.hops.ui). */
export const ingressSchema = z
  .strictObject({
    host: dnsSubdomain('Host name, e.g. grafana.ml.example.com'),
    className: dnsSubdomain(`IngressClass. Default: ${DEFAULT_INGRESS_CLASS}`).default(DEFAULT_INGRESS_CLASS),
  })
  .describe('Expose through an Ingress. Default: not exposed (port-forward)');

export type IngressSchemaOutput = Conforms<z.output<typeof ingressSchema>, IngressSettings>;

interface IssueSink {
  addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void;
}

/** Cross-field checks (the metrics component's {@link alertingProblems}), reported at their config path. */
export function checkAlerting(alerting: AlertingSettings, ctx: IssueSink, base: readonly string[] = ['alertmanager']): void {
  for (const p of alertingProblems(alerting)) ctx.addIssue({ code: 'custom', path: [...base, ...p.path], message: p.message });
}
