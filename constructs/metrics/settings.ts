/**
 * The metrics component's props vocabulary: Prometheus, Alertmanager (receivers and routing) and
 * Grafana. Every default is a named constant here; the environment schema (config/schema/metrics.ts,
 * environment.ts) takes its defaults from them. Pure: no cdktf, no zod.
 *
 * Credentials are never values: every one is a {@link SecretRef} that Alertmanager mounts and reads
 * through a `*_file` field, or a Secret Grafana reads its admin user from.
 */
import { volumeOr, withDefaults, type IngressSettings, type ResourceRequirements, type SecretRef, type VolumeSettings } from '../core/settings';
import { goTemplateProblems, type MessageTemplateName } from './message-templates';

/** The receiver that drops alerts (no integrations). Reserved: no receiver may take its name. */
export const NULL_RECEIVER = 'null';

/** Labels that route alerts to a team's receivers. */
export const ROUTING_LABELS = ['component', 'team'] as const;

/** Alertmanager's grouping and timing for every route unless told otherwise. */
export const DEFAULT_GROUP_BY = ['alertname', 'cluster', 'namespace'] as const;
export const DEFAULT_GROUP_WAIT = '30s';
export const DEFAULT_GROUP_INTERVAL = '5m';
export const DEFAULT_REPEAT_INTERVAL = '4h';

/** Defaults of Prometheus, Alertmanager and Grafana. */
export const DEFAULT_PROMETHEUS = {
  replicas: 1,
  resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '4Gi' } },
  storageGiB: 50,
  scrapeInterval: '30s',
  /** --storage.tsdb.retention.time */
  retentionTime: '15d',
  /** --storage.tsdb.retention.size, below the volume size */
  retentionSizeGiB: 40,
} as const satisfies { resources: ResourceRequirements; [k: string]: unknown };
export const DEFAULT_ALERTMANAGER = {
  replicas: 1,
  resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
  storageGiB: 2,
} as const satisfies { resources: ResourceRequirements; [k: string]: unknown };
export const DEFAULT_GRAFANA = {
  replicas: 1,
  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
  userKey: 'admin-user',
  passwordKey: 'admin-password',
} as const satisfies { resources: ResourceRequirements; [k: string]: unknown };

/** Receiver fields a receiver may leave out. */
export const DEFAULT_RECEIVER = {
  /** Notify when the alert resolves (chat, pager, webhook). */
  sendResolved: true,
  /** Email does not, by default: a second mail per alert is noise. */
  emailSendResolved: false,
  /** Email requires STARTTLS. */
  requireTls: true,
  /** A webhook gets every alert of the group in one message. */
  maxAlerts: 0,
} as const;

/** Slack (chat): the incoming-webhook URL is read from a Secret (api_url_file). */
export interface SlackReceiver {
  readonly type: 'slack';
  readonly name: string;
  readonly apiUrl: SecretRef;
  /** e.g. `#ml-alerts` */
  readonly channel: string;
  /** @default true */
  readonly sendResolved?: boolean;
}
/** PagerDuty (pages a human): Events API v2 routing key from a Secret (routing_key_file). */
export interface PagerDutyReceiver {
  readonly type: 'pagerduty';
  readonly name: string;
  readonly routingKey: SecretRef;
  /** @default true */
  readonly sendResolved?: boolean;
}
/** Email through an SMTP smarthost; the password (if any) from a Secret (auth_password_file). */
export interface EmailReceiver {
  readonly type: 'email';
  readonly name: string;
  readonly to: string;
  readonly from: string;
  /** host:port */
  readonly smarthost: string;
  /** Goes with authPassword. @default - no SMTP authentication */
  readonly authUsername?: string | undefined;
  readonly authPassword?: SecretRef | undefined;
  /** @default true */
  readonly requireTls?: boolean;
  /** @default false */
  readonly sendResolved?: boolean;
}
/** A generic webhook: exactly one of `url` (no credentials in it) or `urlSecret` (url_file). */
export interface WebhookReceiver {
  readonly type: 'webhook';
  readonly name: string;
  readonly url?: string | undefined;
  readonly urlSecret?: SecretRef | undefined;
  /** Most alerts per message; 0 = all. @default 0 */
  readonly maxAlerts?: number;
  /** @default true */
  readonly sendResolved?: boolean;
}
/** Microsoft Teams through a Workflows webhook (Alertmanager's msteamsv2), the URL from a Secret (webhook_url_file). */
export interface TeamsReceiver {
  readonly type: 'msteams';
  readonly name: string;
  readonly webhookUrl: SecretRef;
  /** @default true */
  readonly sendResolved?: boolean;
}
/** Opsgenie (pages a human), the API key from a Secret (api_key_file). */
export interface OpsgenieReceiver {
  readonly type: 'opsgenie';
  readonly name: string;
  readonly apiKey: SecretRef;
  /** The account's region: `eu` accounts use https://api.eu.opsgenie.com/. @default 'us' (Alertmanager's https://api.opsgenie.com/) */
  readonly region?: 'us' | 'eu' | undefined;
  /** @default true */
  readonly sendResolved?: boolean;
}
/** WeChat Work (WeCom) application messages, the app secret from a Secret (api_secret_file). */
export interface WechatReceiver {
  readonly type: 'wechat';
  readonly name: string;
  readonly corpId: string;
  readonly agentId: string;
  readonly apiSecret: SecretRef;
  /** Recipients: at least one of user, party, tag. @default - none of that kind */
  readonly toUser?: string | undefined;
  readonly toParty?: string | undefined;
  readonly toTag?: string | undefined;
  /** @default false */
  readonly sendResolved?: boolean;
}
export type ReceiverSettings = SlackReceiver | PagerDutyReceiver | EmailReceiver | WebhookReceiver | TeamsReceiver | OpsgenieReceiver | WechatReceiver;
export const RECEIVER_TYPES = ['slack', 'pagerduty', 'email', 'webhook', 'msteams', 'opsgenie', 'wechat'] as const satisfies readonly ReceiverSettings['type'][];

/** Opsgenie's API endpoint per account region. */
export const OPSGENIE_API_URLS = { us: 'https://api.opsgenie.com/', eu: 'https://api.eu.opsgenie.com/' } as const;

/** Grouping timing of one route (Alertmanager's group_wait, group_interval, repeat_interval). */
export interface RouteTiming {
  readonly groupWait?: string | undefined;
  readonly groupInterval?: string | undefined;
  readonly repeatInterval?: string | undefined;
}
/** Critical alerts page at once and repeat hourly unless the config says otherwise. */
export const DEFAULT_CRITICAL_TIMING: Required<RouteTiming> = { groupWait: '0s', groupInterval: '1m', repeatInterval: '1h' };

/** An inhibit rule: while an alert matching `source` fires, alerts matching `target` with equal labels are muted. */
export interface InhibitRuleSettings {
  /** Alertmanager matchers, e.g. `alertname="NodeDown"`, `severity=~"critical|warning"`. */
  readonly sourceMatchers: readonly string[];
  readonly targetMatchers: readonly string[];
  /** Labels that must be equal on both. @default - none */
  readonly equal?: readonly string[];
}

/** The dead man's switch: Watchdog (always firing) goes to a heartbeat URL; silence means the alerting path is down. */
export interface HeartbeatSettings {
  /** Secret key holding the heartbeat service's ping URL (read through url_file). */
  readonly urlSecret: SecretRef;
  /** How often the heartbeat is sent. @default DEFAULT_HEARTBEAT_INTERVAL */
  readonly interval?: string;
}
export const DEFAULT_HEARTBEAT_INTERVAL = '1m';
/** The receiver the heartbeat is sent through (reserved). */
export const HEARTBEAT_RECEIVER = 'mlobs-heartbeat';

export { MESSAGE_TEMPLATE_NAMES, type MessageTemplateName } from './message-templates';

/** Alerts of one component or team (at least one of the two), routed to their own receivers. */
export interface TeamRoute {
  readonly component?: string | undefined;
  readonly team?: string | undefined;
  /** @default - the routing's critical receiver */
  readonly critical?: string | undefined;
  /** @default - the routing's warning receiver */
  readonly warning?: string | undefined;
  /** Receivers that also get every critical and warning alert of this route. @default - none */
  readonly alsoNotify?: readonly string[];
  /** Grouping timing of this route (both severities). @default - the routing's (critical: criticalTiming) */
  readonly timing?: RouteTiming | undefined;
}

/** How alerts reach receivers: critical pages, warning goes to chat, info goes nowhere. */
export interface RoutingSettings {
  readonly groupBy: readonly string[];
  readonly groupWait: string;
  readonly groupInterval: string;
  readonly repeatInterval: string;
  /** @default - none: critical alerts are dropped */
  readonly critical?: string | undefined;
  /** @default - none: warnings are dropped */
  readonly warning?: string | undefined;
  readonly routes: readonly TeamRoute[];
  /** Timing of every critical route. @default DEFAULT_CRITICAL_TIMING (page at once, repeat hourly) */
  readonly criticalTiming?: RouteTiming | undefined;
}
export type RoutingOptions = Partial<RoutingSettings>;

export interface AlertingSettings {
  readonly receivers: readonly ReceiverSettings[];
  readonly routing: RoutingSettings;
  /** Inhibit rules beside the built-in ones. @default - none */
  readonly inhibitRules?: readonly InhibitRuleSettings[];
  /** Where Watchdog's heartbeat goes. @default - nowhere (Watchdog is dropped) */
  readonly heartbeat?: HeartbeatSettings | undefined;
  /** Replacements of the default message templates (Go templates). @default - the defaults (message-templates.ts) */
  readonly messageTemplates?: Readonly<Partial<Record<MessageTemplateName, string>>>;
}

/** Routing for `options`, defaults applied. */
export function routingSettings(options: RoutingOptions = {}): RoutingSettings {
  return withDefaults<RoutingSettings>(
    { groupBy: DEFAULT_GROUP_BY, groupWait: DEFAULT_GROUP_WAIT, groupInterval: DEFAULT_GROUP_INTERVAL, repeatInterval: DEFAULT_REPEAT_INTERVAL, routes: [] },
    options,
  );
}

/** A problem with receivers and routing: where (a path below the alerting settings) and what. */
export interface AlertingProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const MATCHER = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^"\s,{}]*)$/;

/** What is wrong with an Alertmanager matcher (`label="value"`, `label=~"regex"`, `!=`, `!~`), or undefined. */
export function matcherProblem(m: string): string | undefined {
  const x = MATCHER.exec(m.trim());
  if (!x) return `"${m}" is not a matcher; use label="value", label!="value", label=~"regex" or label!~"regex", e.g. alertname="NodeDown"`;
  const [, , op, raw] = x;
  if (op === '=~' || op === '!~') {
    const value = raw?.startsWith('"') ? (JSON.parse(raw) as string) : (raw ?? '');
    try {
      new RegExp(`^(?:${value})$`);
    } catch (e) {
      return `"${m}": the regex does not compile (${(e as Error).message})`;
    }
  }
  return undefined;
}

/** Unique receiver names, none named {@link NULL_RECEIVER}; every receiver a route names exists. */
export function alertingProblems(alerting: AlertingSettings): AlertingProblem[] {
  const problems: AlertingProblem[] = [];
  alerting.receivers.forEach((r, i) => {
    if (r.name === HEARTBEAT_RECEIVER) problems.push({ path: ['receivers', i, 'name'], message: `"${HEARTBEAT_RECEIVER}" is reserved (the heartbeat receiver); choose another name` });
    if (r.type === 'wechat' && !r.toUser && !r.toParty && !r.toTag) {
      problems.push({ path: ['receivers', i, 'toUser'], message: 'a WeChat receiver needs recipients; please set toUser (e.g. "@all"), toParty or toTag' });
    }
  });
  (alerting.inhibitRules ?? []).forEach((rule, i) => {
    for (const side of ['sourceMatchers', 'targetMatchers'] as const) {
      if (rule[side].length === 0) problems.push({ path: ['inhibitRules', i, side], message: 'needs at least one matcher, e.g. alertname="NodeDown"' });
      rule[side].forEach((m, j) => {
        const p = matcherProblem(m);
        if (p) problems.push({ path: ['inhibitRules', i, side, j], message: p });
      });
    }
  });
  for (const [name, body] of Object.entries(alerting.messageTemplates ?? {})) {
    const p = goTemplateProblems(body ?? '');
    if (p.length > 0) problems.push({ path: ['messageTemplates', name], message: `does not parse as a Go template: ${p.join('; ')}` });
  }
  const names = alerting.receivers.map((r) => r.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) problems.push({ path: ['receivers', i, 'name'], message: `"${n}" is defined twice; receiver names must be unique` });
  });
  const known = new Set(names);
  const allowed = names.length > 0 ? names.join(', ') : 'none defined';
  const check = (name: string | undefined, path: (string | number)[]): void => {
    if (name === undefined || known.has(name)) return;
    problems.push({
      path: ['routing', ...path],
      message: `"${name}" is not a receiver (defined: ${allowed}); please add it to alertmanager.receivers, e.g. - { type: slack, name: ${name}, apiUrl: { name: alertmanager-slack, key: url }, channel: "#alerts" }`,
    });
  };
  const r = alerting.routing;
  check(r.critical, ['critical']);
  check(r.warning, ['warning']);
  r.routes.forEach((route, i) => {
    for (const n of route.alsoNotify ?? []) if (n === HEARTBEAT_RECEIVER) problems.push({ path: ['routing', 'routes', i, 'alsoNotify'], message: `"${HEARTBEAT_RECEIVER}" only receives Watchdog` });
    check(route.critical, ['routes', i, 'critical']);
    check(route.warning, ['routes', i, 'warning']);
    (route.alsoNotify ?? []).forEach((n, j) => check(n, ['routes', i, 'alsoNotify', j]));
  });
  return problems;
}

/** Prometheus, every default applied. */
export interface PrometheusSettings {
  readonly replicas: number;
  readonly resources: ResourceRequirements;
  readonly storage: VolumeSettings;
  readonly scrapeInterval: string;
  readonly retentionTime: string;
  readonly retentionSizeGiB: number;
  /** @default - not exposed */
  readonly ingress?: IngressSettings | undefined;
}
export interface PrometheusOptions {
  /** @default 1 */
  readonly replicas?: number;
  /** @default DEFAULT_PROMETHEUS.resources */
  readonly resources?: ResourceRequirements;
  /** @default - 50 GiB on the default StorageClass */
  readonly storage?: Partial<VolumeSettings>;
  /** @default '30s' */
  readonly scrapeInterval?: string;
  /** @default '15d' */
  readonly retentionTime?: string;
  /** @default 40 */
  readonly retentionSizeGiB?: number;
  /** @default - not exposed */
  readonly ingress?: IngressSettings | undefined;
}

/** Alertmanager, every default applied. */
export interface AlertmanagerSettings extends AlertingSettings {
  readonly replicas: number;
  readonly resources: ResourceRequirements;
  readonly storage: VolumeSettings;
  readonly ingress?: IngressSettings | undefined;
}
export interface AlertmanagerOptions {
  /** @default 1 */
  readonly replicas?: number;
  /** @default DEFAULT_ALERTMANAGER.resources */
  readonly resources?: ResourceRequirements;
  /** @default - 2 GiB on the default StorageClass */
  readonly storage?: Partial<VolumeSettings>;
  /** @default - not exposed */
  readonly ingress?: IngressSettings | undefined;
  /** @default - none: every alert is dropped */
  readonly receivers?: readonly ReceiverSettings[];
  /** @default - see {@link routingSettings} */
  readonly routing?: RoutingOptions;
  /** Inhibit rules beside the built-in ones. @default - none */
  readonly inhibitRules?: readonly InhibitRuleSettings[];
  /** The dead man's switch: where Watchdog's heartbeat goes. @default - nowhere */
  readonly heartbeat?: HeartbeatSettings | undefined;
  /** Replacements of the default message templates. @default - the defaults */
  readonly messageTemplates?: Readonly<Partial<Record<MessageTemplateName, string>>>;
}

/** Grafana's admin user and password, from an existing Secret (never a literal). */
export interface GrafanaAdminCredentials {
  readonly secretName: string;
  /** @default 'admin-user' */
  readonly userKey?: string;
  /** @default 'admin-password' */
  readonly passwordKey?: string;
}
/** Grafana, every default applied. */
export interface GrafanaSettings {
  readonly replicas: number;
  readonly resources: ResourceRequirements;
  readonly adminCredentials: Required<GrafanaAdminCredentials>;
  readonly ingress?: IngressSettings | undefined;
}
export interface GrafanaOptions {
  /** Required: an existing Secret (never a literal password). */
  readonly adminCredentials: GrafanaAdminCredentials;
  /** @default 1 */
  readonly replicas?: number;
  /** @default DEFAULT_GRAFANA.resources */
  readonly resources?: ResourceRequirements;
  /** @default - not exposed */
  readonly ingress?: IngressSettings | undefined;
}

export function prometheusSettings(o: PrometheusOptions = {}): PrometheusSettings {
  const D = DEFAULT_PROMETHEUS;
  return {
    replicas: o.replicas ?? D.replicas,
    resources: o.resources ?? D.resources,
    storage: volumeOr(o.storage, D.storageGiB),
    scrapeInterval: o.scrapeInterval ?? D.scrapeInterval,
    retentionTime: o.retentionTime ?? D.retentionTime,
    retentionSizeGiB: o.retentionSizeGiB ?? D.retentionSizeGiB,
    ...(o.ingress ? { ingress: o.ingress } : {}),
  };
}

export function alertmanagerSettings(o: AlertmanagerOptions = {}): AlertmanagerSettings {
  const D = DEFAULT_ALERTMANAGER;
  return {
    replicas: o.replicas ?? D.replicas,
    resources: o.resources ?? D.resources,
    storage: volumeOr(o.storage, D.storageGiB),
    ...(o.ingress ? { ingress: o.ingress } : {}),
    receivers: o.receivers ?? [],
    routing: routingSettings(o.routing),
    ...(o.inhibitRules ? { inhibitRules: o.inhibitRules } : {}),
    ...(o.heartbeat ? { heartbeat: o.heartbeat } : {}),
    ...(o.messageTemplates ? { messageTemplates: o.messageTemplates } : {}),
  };
}

export function grafanaSettings(o: GrafanaOptions): GrafanaSettings {
  const D = DEFAULT_GRAFANA;
  return {
    replicas: o.replicas ?? D.replicas,
    resources: o.resources ?? D.resources,
    adminCredentials: {
      secretName: o.adminCredentials.secretName,
      userKey: o.adminCredentials.userKey ?? D.userKey,
      passwordKey: o.adminCredentials.passwordKey ?? D.passwordKey,
    },
    ...(o.ingress ? { ingress: o.ingress } : {}),
  };
}

/** The Pushgateway (batch and short-lived jobs that cannot be scraped), when enabled. */
export const DEFAULT_PUSHGATEWAY = {
  resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
} as const satisfies { resources: ResourceRequirements };
export interface PushgatewayOptions {
  /** @default DEFAULT_PUSHGATEWAY.resources */
  readonly resources?: ResourceRequirements;
}
