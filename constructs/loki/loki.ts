import { Construct } from 'constructs';
import type { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { literalConfigMap } from '../core/config-map';
import type { ITerraformDependable } from 'cdktf';
import type { CommonConfig } from '../core/common';
import { PinnedRelease } from '../core/pinned-release';
import type { HelmValues } from '../core/values';
import type { Tls } from '../tls/tls';
import { CHARTS } from '../versions';
import { DEFAULT_LOKI_RELEASE_NAME, renderLokiValues } from './loki.values';
import { LOKI_GATEWAY_SERVICE, LOKI_GATEWAY_TLS_SECRET, lokiEndpointFor, lokiGatewayDnsNames, type LokiEndpoint } from './endpoint';
import { lokiRulesConfigMapName } from './ruler.render';
import type { NetworkFlows, ScrapeTarget, Workload } from '../core/network';
import type { LokiDeploymentMode, LokiSettings } from './settings';
import { DEFAULT_LOG_VOLUME, lokiIngestionLimits, type LogVolumeSettings } from '../contracts/log-volume';
import { STATEFUL_REASONS } from '../core/stateful';
import { serviceUrl } from '../core/urls';

/** Container ports of Loki's pods (pod ports, what NetworkPolicies match). */
export const LOKI_POD_PORTS = { http: 3100, grpc: 9095, memberlist: 7946, memcached: 11211, memcachedExporter: 9150, gateway: 8080, gatewayExporter: 4040 } as const;

/** Loki's pods as the pinned chart labels them. */
export interface LokiWorkloads {
  /** Every pod of the release (Loki, gateway, caches). */
  readonly all: Workload;
  /** The gateway (nginx) every writer and reader talks to. */
  readonly gateway: Workload;
  /** The pods that run the ruler (single binary, or the backend target when scalable). */
  readonly ruler: Workload;
}

export function lokiWorkloads(deploymentMode: LokiDeploymentMode, releaseName = DEFAULT_LOKI_RELEASE_NAME): LokiWorkloads {
  const base = { 'app.kubernetes.io/name': 'loki', 'app.kubernetes.io/instance': releaseName };
  const RULER_COMPONENT: Readonly<Record<LokiDeploymentMode, string>> = { monolithic: 'single-binary', scalable: 'backend' };
  return {
    all: { name: 'loki', podSelector: base },
    gateway: { name: 'loki-gateway', podSelector: { ...base, 'app.kubernetes.io/component': 'gateway' } },
    ruler: { name: 'loki-ruler', podSelector: { ...base, 'app.kubernetes.io/component': RULER_COMPONENT[deploymentMode] } },
  };
}

/** What reaching an existing Loki takes. */
export interface LokiAttributes {
  /** Base URL of its gateway (or query frontend), e.g. `http://loki-gateway.logging.svc:80`. */
  readonly url: string;
  /** Tenant (X-Scope-OrgID) to read as. @default - none (auth off) */
  readonly tenant?: string;
  /** Secret (in the stack namespace) whose `ca.crt` verifies an https URL. @default - the system roots */
  readonly caSecretName?: string;
}

/** An existing Loki, as wiring sees it (a Grafana log source with its endpoint). */
export interface ExistingLoki {
  readonly endpoint: LokiEndpoint;
  readonly grafanaLogDatasource: { readonly kind: 'loki'; readonly endpoint: LokiEndpoint };
}

export interface LokiProps {
  readonly common: CommonConfig;
  /** Loki's settings, every default applied (`lokiSettings(options)`). */
  readonly loki: LokiSettings;
  /** Volume settings whose per-stream limits Loki's limits_config follows (the collector's). @default DEFAULT_LOG_VOLUME */
  readonly volume?: LogVolumeSettings;
  /** TLS component; the gateway gets a certificate when it serves the `loki` hop. @default - plain HTTP */
  readonly tls?: Tls | undefined;
  /**
   * Ruler: Alertmanager URL and LogQL rule files (file name → YAML) for the tenant.
   * @default - ruler off
   */
  readonly ruler?: { readonly alertmanagerUrl: string; readonly ruleFiles: Readonly<Record<string, string>> } | undefined;
  /** Deep-merged last over the chart values (the one escape hatch). @default - none */
  readonly valuesOverrides?: HelmValues;
  /** @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
  /** Where Loki records its internal flows (between its own pods). @default - none recorded */
  readonly network?: NetworkFlows;
}

/**
 * Loki from the pinned community chart: monolithic or scalable, tsdb v13 schema, compactor
 * retention that always applies, tenancy, the gateway behind TLS from the `tls/` component.
 * Writers (Alloy, Promtail) and readers (Grafana) take {@link Loki.endpoint}.
 */
export class Loki extends Construct {
  readonly chart: PinnedRelease;
  readonly endpoint: LokiEndpoint;
  /** The ConfigMap of the tenant's ruler rules (the chart mounts it but does not create it outside Distributed mode). */
  readonly rulerRules?: ConfigMapV1;
  /** Loki's pods (for NetworkPolicies). */
  readonly workloads: LokiWorkloads;
  /** What the chart's ServiceMonitor scrapes (Loki, gateway and cache exporters). */
  readonly scrapeTargets: readonly ScrapeTarget[];

  /**
   * A Loki this stack did not create (another team's, or one from the Loki chart installed by
   * hand), for Grafana to read: `metrics.addDatasource(Loki.fromAttributes({ url, tenant }))`.
   */
  static fromAttributes(attrs: LokiAttributes): ExistingLoki {
    const u = serviceUrl(attrs.url, 'Loki.fromAttributes: attrs.url');
    const url = attrs.url.replace(/\/+$/, '');
    const tls = u.protocol === 'https:';
    const endpoint: LokiEndpoint = { url, pushUrl: `${url}/loki/api/v1/push`, tenant: attrs.tenant, tls, caSecretName: tls ? attrs.caSecretName : undefined };
    return { endpoint, grafanaLogDatasource: { kind: 'loki', endpoint } };
  }

  constructor(scope: Construct, id: string, props: LokiProps) {
    super(scope, id);
    const { common, loki } = props;
    const ns = common.namespace;
    const tlsOn = props.tls?.enabledFor('loki') ?? false;
    const secretName =
      tlsOn && props.tls
        ? props.tls.certificateFor({ name: LOKI_GATEWAY_SERVICE, secretName: LOKI_GATEWAY_TLS_SECRET, dnsNames: lokiGatewayDnsNames(ns) }).secretName
        : undefined;
    this.endpoint = lokiEndpointFor({ namespace: ns, environment: common.environment, authEnabled: loki.authEnabled, tenant: loki.tenant, tls: Boolean(secretName) });
    const tenant = this.endpoint.tenant;
    const rulerTenant = tenant ?? 'fake';
    if (props.ruler) {
      this.rulerRules = literalConfigMap(this, 'ruler-rules', {
        name: lokiRulesConfigMapName(DEFAULT_LOKI_RELEASE_NAME, loki.deploymentMode, rulerTenant),
        namespace: ns,
        labels: { ...common.labels },
        data: { ...props.ruler.ruleFiles },
        ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
      });
    }
    const values = renderLokiValues({
      common,
      deploymentMode: loki.deploymentMode,
      replicas: loki.replicas,
      resources: loki.resources,
      storage: loki.storage,
      objectStorage: loki.objectStorage,
      authEnabled: loki.authEnabled,
      retentionPeriod: loki.retentionPeriod,
      debugRetention: loki.debugRetention,
      ingestion: lokiIngestionLimits(props.volume ?? DEFAULT_LOG_VOLUME),
      gatewayTlsSecretName: secretName,
      ruler: props.ruler ? { ...props.ruler, tenant: rulerTenant } : undefined,
    });
    this.chart = new PinnedRelease(this, 'release', {
      chart: CHARTS.loki,
      releaseName: DEFAULT_LOKI_RELEASE_NAME,
      stateful: STATEFUL_REASONS.loki,
      namespace: ns,
      values,
      ...(props.valuesOverrides ? { valuesOverrides: props.valuesOverrides } : {}),
      dependsOn: [...(props.dependsOn ?? []), ...(this.rulerRules ? [this.rulerRules] : [])],
    });
    assertRetentionApplies(this.chart.values, this.node.path);
    this.workloads = lokiWorkloads(loki.deploymentMode);
    const P = LOKI_POD_PORTS;
    // The memcached caches, when the values (as deployed, overrides included) enable them.
    const v = this.chart.values as { chunksCache?: { enabled?: unknown }; resultsCache?: { enabled?: unknown } };
    const caches = v.chunksCache?.enabled === true || v.resultsCache?.enabled === true;
    this.scrapeTargets = [{ workload: this.workloads.all, ports: [{ port: P.http }, { port: P.gatewayExporter }, ...(caches ? [{ port: P.memcachedExporter }] : [])] }];
    props.network?.allow(
      this.workloads.all,
      this.workloads.all,
      [{ port: P.http }, { port: P.grpc }, { port: P.memberlist }, ...(caches ? [{ port: P.memcached }] : [])],
      'Loki components talk to each other (HTTP, gRPC, memberlist, caches) and the gateway proxies to them',
    );
  }
}

/** Overrides may not switch off what makes retention apply. */
function assertRetentionApplies(values: HelmValues, where: string): void {
  const l = (values.loki ?? {}) as { compactor?: { retention_enabled?: unknown; delete_request_store?: unknown } };
  if (l.compactor?.retention_enabled !== true || !l.compactor.delete_request_store) {
    throw new Error(
      `${where}: props.valuesOverrides switch off compactor retention (loki.compactor.retention_enabled / delete_request_store), so retention.loki.period would never apply; remove them from valuesOverrides`,
    );
  }
}
