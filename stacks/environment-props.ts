/**
 * The one adapter from a validated environment (config/<env>.yaml, parsed by config/) to the
 * components' own props. Components never see the environment schema: they take typed props
 * with defaults of their own (constructs/<component>/settings.ts), and the schema takes its
 * defaults from the same constants, so both paths agree.
 */
import type { EnvironmentSettings } from '../config/schema/environment';
import { commonConfig, type CommonConfig } from '../constructs/core/common';
import type { ObservabilityStackProps } from '../constructs/observability-stack';
import type { JsonFieldType } from '../constructs/contracts/json-fields';
import type { LogVolumeSettings } from '../constructs/contracts/log-volume';

/** The {@link CommonConfig} of an environment (namespace, cluster label, labels). */
export function commonConfigFor(environment: string, settings: EnvironmentSettings): CommonConfig {
  return commonConfig(commonPropsFor(environment, settings));
}

function commonPropsFor(environment: string, s: EnvironmentSettings) {
  return { environment, namespace: s.namespace, agentsNamespace: s.agentsNamespace, clusterName: s.cluster.name, labels: s.labels };
}

/** The props of one environment's {@link ObservabilityStack}: each component from its section. */
export function observabilityPropsFor(environment: string, s: EnvironmentSettings): ObservabilityStackProps {
  const pipelines = s.logs.pipelines;
  // Validated by the schema (names, types, bound): the same set for both pipelines.
  const jsonFields: Readonly<Record<string, JsonFieldType>> = s.logs.jsonFields;
  // Validated by the schema (levels, interval, limits): the same settings for the collector, Loki and Logstash.
  const volume = s.logs.volume as LogVolumeSettings;
  const staticFields = s.logs.staticFields;
  return {
    ...commonPropsFor(environment, s),
    ...(s.tls.enabled && s.tls.issuer ? { tls: { issuer: s.tls.issuer, hops: s.tls.hops, certificate: s.tls.certificate, certManager: s.certManager } } : {}),
    metrics: {
      prometheus: { ...s.prometheus, retentionTime: s.retention.prometheus.time, retentionSizeGiB: s.retention.prometheus.sizeGiB },
      alertmanager: s.alertmanager,
      grafana: s.grafana,
    },
    ...(pipelines.includes('loki') ? { loki: { loki: { ...s.loki, retentionPeriod: s.retention.loki.period }, collector: s.logs.collector, jsonFields, redaction: s.logs.redaction.patterns, files: s.logs.files, events: s.logs.events, volume, staticFields } } : {}),
    ...(pipelines.includes('elastic')
      ? {
          elastic: {
            name: s.elastic.name,
            elasticsearch: {
              ...s.elasticsearch,
              jvmHeap: s.elastic.jvmHeap,
              antiAffinity: s.elastic.antiAffinity,
              httpCertificate: s.elastic.httpCertificate,
              tiers: s.elastic.tiers,
              dataStream: s.elastic.dataStream,
              totalFieldsLimit: s.elastic.totalFieldsLimit,
              retention: s.retention.elasticsearch,
            },
            kibana: s.elastic.kibana,
            logstash: s.elastic.logstash,
            filebeat: s.elastic.filebeat,
            operatorResources: s.elastic.operator.resources,
            users: s.elastic.users,
            jsonFields,
            redaction: s.logs.redaction.patterns,
            files: s.logs.files,
            events: s.logs.events,
            volume,
            staticFields,
          },
        }
      : {}),
    gpu: s.gpu,
    training: s.training,
    ...(s.pushgateway.enabled ? { pushgateway: { resources: s.pushgateway.resources } } : {}),
  };
}
