/**
 * Renders the Alertmanager configuration (alertmanager.yaml) from the typed `alertmanager`
 * settings. Pure: no cdktf import.
 *
 * The routing model (README "Alert routing"):
 * - `severity=info` and the always-firing `Watchdog`/`InfoInhibitor` go to the `null` receiver.
 * - Team routes (`component` and/or `team` label), first match wins: their own critical and
 *   warning receivers, falling back to the global ones; `alsoNotify` receivers (e.g. an
 *   auto-remediation webhook) get every critical and warning alert of the route as well.
 * - Otherwise `severity=critical` pages (`routing.critical`) and `severity=warning` goes to
 *   chat (`routing.warning`); an alert without a known severity also goes to chat, so that a
 *   rule with a typo in its severity is seen rather than lost.
 *
 * Credentials: every one is read from a file that Alertmanager mounts from the referenced
 * Secret (`alertmanagerSpec.secrets` mounts each at /etc/alertmanager/secrets/<name>/<key>),
 * so only Secret names and keys ever appear in the configuration.
 */
import {
  DEFAULT_CRITICAL_TIMING,
  DEFAULT_HEARTBEAT_INTERVAL,
  DEFAULT_RECEIVER,
  HEARTBEAT_RECEIVER,
  NULL_RECEIVER,
  OPSGENIE_API_URLS,
  type AlertingSettings,
  type ReceiverSettings,
  type RouteTiming,
} from './settings';
import { renderTemplateFile, TEMPLATE_DIR, TEMPLATE_FILE, useTemplate } from './message-templates';
import type { SecretRef } from '../core/settings';

/** Where the Prometheus Operator mounts `alertmanagerSpec.secrets` in the Alertmanager pods. */
export const DEFAULT_ALERTMANAGER_SECRETS_DIR = '/etc/alertmanager/secrets';

/** Alert names that mean "this node is gone": they silence every other alert of the node. */
export const NODE_GONE_ALERTS = ['KubeNodeNotReady', 'KubeNodeUnreachable', 'NodeDown'] as const;

/**
 * Alert names that mean "this GPU is gone" (fell off the bus, Xid 79, lost to DCGM): they
 * silence every other alert of the same GPU (`cluster`, `node`, `gpu` labels). The GPU rules
 * (constructs/gpu) must use these names and labels.
 */
export const GPU_GONE_ALERTS = ['GpuFellOffBus', 'GpuLost'] as const;

/** Labels that identify "the same target" when a critical silences a warning of the same alert. */
export const SAME_TARGET_LABELS = ['alertname', 'cluster', 'namespace', 'node', 'instance', 'pod', 'gpu'] as const;

/** Alerts that always fire by design (dead man's switch, info inhibitor): never notified (Watchdog goes to the heartbeat when there is one). */
export const ALWAYS_FIRING_ALERTS = ['Watchdog', 'InfoInhibitor'] as const;
/** The dead man's switch alert (kube-prometheus' Watchdog). */
export const WATCHDOG_ALERT = 'Watchdog';

/**
 * A GPU that is throttling or at its critical temperature is slow for that reason: its
 * low-utilization alert would only repeat it. Names from constructs/gpu (GPU rules).
 */
export const GPU_HOT_ALERTS = ['GpuTemperatureCritical', 'GpuThermalThrottling', 'GpuPowerThrottling'] as const;
export const GPU_IDLE_ALERTS = ['GpuAllocatedIdle'] as const;

export interface AlertmanagerRoute {
  readonly receiver: string;
  readonly matchers?: readonly string[];
  readonly continue?: boolean;
  readonly group_by?: readonly string[];
  readonly group_wait?: string;
  readonly group_interval?: string;
  readonly repeat_interval?: string;
  readonly routes?: readonly AlertmanagerRoute[];
}

export interface InhibitRule {
  readonly source_matchers: readonly string[];
  readonly target_matchers: readonly string[];
  readonly equal: readonly string[];
}

export interface AlertmanagerReceiver {
  readonly name: string;
  readonly [integration: string]: unknown;
}

/** The alertmanager.yaml document, with exactly the keys we set (see the kube-prometheus-stack renderer). */
export interface AlertmanagerConfig {
  readonly global: { readonly resolve_timeout: string };
  readonly route: AlertmanagerRoute;
  readonly inhibit_rules: readonly InhibitRule[];
  readonly receivers: readonly AlertmanagerReceiver[];
  readonly templates: readonly string[];
}

export interface RenderedAlertmanagerConfig {
  readonly config: AlertmanagerConfig;
  /** Template files for the chart's `alertmanager.templateFiles` (file name → text), loaded by `templates`. */
  readonly templateFiles: Readonly<Record<string, string>>;
  /** Names of the Secrets the configuration reads files from (to mount via alertmanagerSpec.secrets). */
  readonly secretNames: readonly string[];
}

/**
 * An automated responder Alertmanager calls for some alerts (the GPU quarantine responder):
 * a route matching `alertNames`, placed first with `continue: true` so the alerts still reach
 * the human receivers, to a webhook receiver that authenticates with a bearer token read from
 * a Secret (`http_config.authorization.credentials_file`).
 */
export interface RemediationWebhook {
  /** Receiver name. */
  readonly receiver: string;
  /** The webhook URL (in-cluster Service). */
  readonly url: string;
  /** Alert names routed to it. */
  readonly alertNames: readonly string[];
  /** The bearer token, a Secret key mounted into Alertmanager. */
  readonly token: SecretRef;
  /** Labels alerts are grouped by for this receiver. */
  readonly groupBy: readonly string[];
  /** Route timing. */
  readonly groupWait: string;
  readonly groupInterval: string;
  readonly repeatInterval: string;
}

export interface AlertmanagerConfigProps {
  /** Receivers and routing (`alertmanagerSettings(options)`). */
  readonly alerting: AlertingSettings;
  /**
   * Directory the Secrets are mounted under (tests point it at fixtures).
   * @default DEFAULT_ALERTMANAGER_SECRETS_DIR
   */
  readonly secretsDir?: string;
  /**
   * Directory the template files are mounted in (tests point it at fixtures).
   * @default TEMPLATE_DIR (where the chart mounts `alertmanager.templateFiles`)
   */
  readonly templatesDir?: string;
  /** Automated responders, routed first with `continue: true`. @default - none */
  readonly remediation?: readonly RemediationWebhook[];
}

export const DEFAULT_RESOLVE_TIMEOUT = '5m';

const eq = (label: string, value: string): string => `${label}=${JSON.stringify(value)}`;
const anyOf = (label: string, values: readonly string[]): string => `${label}=~${JSON.stringify(values.join('|'))}`;
const noneOf = (label: string, values: readonly string[]): string => `${label}!~${JSON.stringify(values.join('|'))}`;

function renderReceiver(r: ReceiverSettings, file: (ref: SecretRef) => string): AlertmanagerReceiver {
  const title = useTemplate('title');
  const text = useTemplate('text');
  switch (r.type) {
    case 'slack':
      return {
        name: r.name,
        slack_configs: [{ api_url_file: file(r.apiUrl), channel: r.channel, send_resolved: r.sendResolved ?? DEFAULT_RECEIVER.sendResolved, title, text }],
      };
    case 'pagerduty':
      return {
        name: r.name,
        pagerduty_configs: [{ routing_key_file: file(r.routingKey), send_resolved: r.sendResolved ?? DEFAULT_RECEIVER.sendResolved, description: useTemplate('pagerdutyDescription') }],
      };
    case 'email':
      return {
        name: r.name,
        email_configs: [
          {
            to: r.to,
            from: r.from,
            smarthost: r.smarthost,
            require_tls: r.requireTls ?? DEFAULT_RECEIVER.requireTls,
            send_resolved: r.sendResolved ?? DEFAULT_RECEIVER.emailSendResolved,
            headers: { Subject: useTemplate('emailSubject') },
            html: useTemplate('emailHtml'),
            ...(r.authUsername !== undefined && r.authPassword !== undefined
              ? { auth_username: r.authUsername, auth_password_file: file(r.authPassword) }
              : {}),
          },
        ],
      };
    case 'webhook':
      return {
        name: r.name,
        webhook_configs: [
          {
            ...(r.urlSecret ? { url_file: file(r.urlSecret) } : { url: r.url }),
            max_alerts: r.maxAlerts ?? DEFAULT_RECEIVER.maxAlerts,
            send_resolved: r.sendResolved ?? DEFAULT_RECEIVER.sendResolved,
          },
        ],
      };
    case 'msteams':
      return { name: r.name, msteamsv2_configs: [{ webhook_url_file: file(r.webhookUrl), send_resolved: r.sendResolved ?? DEFAULT_RECEIVER.sendResolved, title, text }] };
    case 'opsgenie':
      return {
        name: r.name,
        opsgenie_configs: [
          {
            api_key_file: file(r.apiKey),
            ...(r.region === 'eu' ? { api_url: OPSGENIE_API_URLS.eu } : {}),
            send_resolved: r.sendResolved ?? DEFAULT_RECEIVER.sendResolved,
            message: title,
            description: text,
            priority: '{{ if eq .CommonLabels.severity "critical" }}P1{{ else if eq .CommonLabels.severity "warning" }}P3{{ else }}P5{{ end }}',
          },
        ],
      };
    case 'wechat':
      return {
        name: r.name,
        wechat_configs: [
          {
            corp_id: r.corpId,
            agent_id: r.agentId,
            api_secret_file: file(r.apiSecret),
            ...(r.toUser ? { to_user: r.toUser } : {}),
            ...(r.toParty ? { to_party: r.toParty } : {}),
            ...(r.toTag ? { to_tag: r.toTag } : {}),
            send_resolved: r.sendResolved ?? DEFAULT_RECEIVER.emailSendResolved,
            message: `${title}\n${text}`,
          },
        ],
      };
  }
}

/** The Secrets a receiver reads. */
function secretsOf(r: ReceiverSettings): SecretRef[] {
  switch (r.type) {
    case 'slack':
      return [r.apiUrl];
    case 'pagerduty':
      return [r.routingKey];
    case 'email':
      return r.authPassword ? [r.authPassword] : [];
    case 'webhook':
      return r.urlSecret ? [r.urlSecret] : [];
    case 'msteams':
      return [r.webhookUrl];
    case 'opsgenie':
      return [r.apiKey];
    case 'wechat':
      return [r.apiSecret];
  }
}

/** Alertmanager's timing keys for a route, only those given. */
function timing(t: RouteTiming | undefined): Pick<AlertmanagerRoute, 'group_wait' | 'group_interval' | 'repeat_interval'> {
  return {
    ...(t?.groupWait ? { group_wait: t.groupWait } : {}),
    ...(t?.groupInterval ? { group_interval: t.groupInterval } : {}),
    ...(t?.repeatInterval ? { repeat_interval: t.repeatInterval } : {}),
  };
}

export function renderAlertmanagerConfig(props: AlertmanagerConfigProps): RenderedAlertmanagerConfig {
  const dir = (props.secretsDir ?? DEFAULT_ALERTMANAGER_SECRETS_DIR).replace(/\/+$/, '');
  const file = (ref: SecretRef): string => `${dir}/${ref.name}/${ref.key}`;
  const { receivers, routing } = props.alerting;
  const critical = routing.critical ?? NULL_RECEIVER;
  const warning = routing.warning ?? NULL_RECEIVER;
  const criticalTiming = timing({ ...DEFAULT_CRITICAL_TIMING, ...routing.criticalTiming });
  const heartbeat = props.alerting.heartbeat;

  const teamRoutes: AlertmanagerRoute[] = routing.routes.map((t) => {
    const matchers = [
      ...(t.component !== undefined ? [eq('component', t.component)] : []),
      ...(t.team !== undefined ? [eq('team', t.team)] : []),
    ];
    const teamWarning = t.warning ?? warning;
    return {
      receiver: teamWarning,
      matchers,
      ...timing(t.timing),
      routes: [
        ...(t.alsoNotify ?? []).map((name) => ({ receiver: name, matchers: [anyOf('severity', ['critical', 'warning'])], continue: true })),
        { receiver: t.critical ?? critical, matchers: [eq('severity', 'critical')], ...(t.timing ? {} : criticalTiming) },
        { receiver: teamWarning, matchers: [eq('severity', 'warning')] },
      ],
    };
  });

  const remediation = props.remediation ?? [];
  const remediationRoutes: AlertmanagerRoute[] = remediation.map((r) => ({
    receiver: r.receiver,
    matchers: [anyOf('alertname', r.alertNames)],
    // The human receivers still get the alert: the responder only adds an action.
    continue: true,
    group_by: [...r.groupBy],
    group_wait: r.groupWait,
    group_interval: r.groupInterval,
    repeat_interval: r.repeatInterval,
  }));

  const route: AlertmanagerRoute = {
    receiver: warning,
    group_by: [...routing.groupBy],
    group_wait: routing.groupWait,
    group_interval: routing.groupInterval,
    repeat_interval: routing.repeatInterval,
    routes: [
      // Automated responders first (continue: true): they see the alert whatever else matches.
      ...remediationRoutes,
      // The dead man's switch: Watchdog always fires, so a heartbeat service that stops hearing it raises the alarm.
      ...(heartbeat
        ? [{ receiver: HEARTBEAT_RECEIVER, matchers: [eq('alertname', WATCHDOG_ALERT)], group_wait: '0s', group_interval: heartbeat.interval ?? DEFAULT_HEARTBEAT_INTERVAL, repeat_interval: heartbeat.interval ?? DEFAULT_HEARTBEAT_INTERVAL }]
        : []),
      { receiver: NULL_RECEIVER, matchers: [anyOf('alertname', ALWAYS_FIRING_ALERTS)] },
      { receiver: NULL_RECEIVER, matchers: [eq('severity', 'info')] },
      ...teamRoutes,
      { receiver: critical, matchers: [eq('severity', 'critical')], ...criticalTiming },
      { receiver: warning, matchers: [eq('severity', 'warning')] },
    ],
  };

  const inhibit_rules: InhibitRule[] = [
    // A critical silences the warning of the same alert on the same target.
    { source_matchers: [eq('severity', 'critical')], target_matchers: [eq('severity', 'warning')], equal: [...SAME_TARGET_LABELS] },
    // A node that is gone silences its symptoms (its pods, GPUs, exporters).
    { source_matchers: [anyOf('alertname', NODE_GONE_ALERTS)], target_matchers: [noneOf('alertname', NODE_GONE_ALERTS)], equal: ['cluster', 'node'] },
    // A GPU that is gone silences its symptoms (no utilization, no metrics, ECC...).
    { source_matchers: [anyOf('alertname', GPU_GONE_ALERTS)], target_matchers: [noneOf('alertname', GPU_GONE_ALERTS)], equal: ['cluster', 'node', 'gpu'] },
    // A GPU that is throttling or at its critical temperature is slow for that reason: not "idle".
    { source_matchers: [anyOf('alertname', GPU_HOT_ALERTS)], target_matchers: [anyOf('alertname', GPU_IDLE_ALERTS)], equal: ['cluster', 'node', 'gpu'] },
    // The environment's own.
    ...(props.alerting.inhibitRules ?? []).map((r) => ({ source_matchers: [...r.sourceMatchers], target_matchers: [...r.targetMatchers], equal: [...(r.equal ?? [])] })),
  ];

  const secretNames = [...new Set([...receivers.flatMap(secretsOf), ...(heartbeat ? [heartbeat.urlSecret] : []), ...remediation.map((r) => r.token)].map((s) => s.name))].sort();
  return {
    config: {
      global: { resolve_timeout: DEFAULT_RESOLVE_TIMEOUT },
      route,
      inhibit_rules,
      receivers: [
        { name: NULL_RECEIVER },
        ...(heartbeat ? [{ name: HEARTBEAT_RECEIVER, webhook_configs: [{ url_file: file(heartbeat.urlSecret), send_resolved: false, max_alerts: 1 }] }] : []),
        ...receivers.map((r) => renderReceiver(r, file)),
        ...remediation.map((r) => ({
          name: r.receiver,
          webhook_configs: [
            {
              url: r.url,
              // Resolved alerts never undo a quarantine: the responder is not told about them.
              send_resolved: false,
              max_alerts: 0,
              http_config: { authorization: { type: 'Bearer', credentials_file: file(r.token) } },
            },
          ],
        })),
      ],
      templates: [`${props.templatesDir ?? TEMPLATE_DIR}/*.tmpl`],
    },
    templateFiles: { [TEMPLATE_FILE]: renderTemplateFile(props.alerting.messageTemplates) },
    secretNames,
  };
}
