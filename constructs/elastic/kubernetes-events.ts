import { Construct } from 'constructs';
import type { CommonConfig } from '../core/common';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import type { KubeManifest } from '../core/manifest';
import type { Workload } from '../core/network';
import type { ResourceRequirements } from '../core/settings';
import { checkEventsSettings, DEFAULT_EVENTS, type EventsSettings } from '../contracts/k8s-events';
import { ELASTIC_STACK_VERSION } from '../versions';
import type { EckOperator } from './eck-operator';
import { DEFAULT_METRICBEAT_EVENTS_RESOURCES, eventsBeatName, renderMetricbeatEvents } from './events.render';
import type { Logstash } from './logstash';
import { eckPods } from './names';

export interface KubernetesEventsProps {
  readonly common: CommonConfig;
  /** The ECK operator: the custom resources install after it. */
  readonly operator: EckOperator;
  /** Where the custom resources go (the stack's generated chart). */
  readonly resources: CustomResourceChart;
  /** The Logstash the events are shipped to (built with `kubernetesEvents: true`, TLS with its beats CA when it has one). */
  readonly logstash: Logstash;
  /** Which namespaces' events. @default DEFAULT_EVENTS (every namespace) */
  readonly events?: EventsSettings;
  /** @default DEFAULT_METRICBEAT_EVENTS_RESOURCES */
  readonly containerResources?: ResourceRequirements;
}

/**
 * Kubernetes events into Elasticsearch: a one-replica Metricbeat (ECK Beat Deployment) watching
 * the events API with an events-only ServiceAccount, shipping to Logstash, where the events branch
 * names the job (events.render.ts). Pod Security `restricted`.
 */
export class KubernetesEvents extends Construct {
  /** The Beat custom resource as shipped. */
  readonly manifest: KubeManifest;
  readonly workload: Workload;

  constructor(scope: Construct, id: string, props: KubernetesEventsProps) {
    super(scope, id);
    const { common, logstash } = props;
    if (!logstash.kubernetesEvents) {
      throw new Error(`${this.node.path}: props.logstash (${logstash.node.path}) was built without kubernetesEvents: true; its pipeline would treat events as log lines`);
    }
    const events = checkEventsSettings(props.events ?? DEFAULT_EVENTS, `${this.node.path}: props.events`);
    const name = logstash.manifest.metadata.name;
    const rendered = renderMetricbeatEvents({
      name,
      namespace: common.namespace,
      labels: common.labels,
      version: ELASTIC_STACK_VERSION,
      events,
      resources: props.containerResources ?? DEFAULT_METRICBEAT_EVENTS_RESOURCES,
      logstashHost: logstash.beatsHost,
      ...(logstash.beatsCertificateSecret ? { logstashCaSecret: logstash.beatsCertificateSecret } : {}),
    });
    this.manifest = rendered.beat;
    const after = props.operator.installed;
    for (const m of rendered.rbac) props.resources.add(m, after);
    props.resources.add(this.manifest, after);
    this.workload = eckPods.beat(eventsBeatName(name), 'metricbeat-events');
    logstash.allowShipper(this.workload, 'Metricbeat ships Kubernetes events to Logstash (beats input)');
  }
}
