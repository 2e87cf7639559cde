import { Construct } from 'constructs';
import type { CommonConfig } from '../core/common';
import type { CustomResourceChart } from '../core/custom-resource-chart';
import type { KubeManifest } from '../core/manifest';
import type { Workload } from '../core/network';
import { compileFilebeatMultiline } from '../mllogs';
import { ELASTIC_STACK_VERSION } from '../versions';
import type { EckOperator } from './eck-operator';
import { eckBeatDataHostPath, renderFilebeat } from './filebeat.render';
import type { Tls } from '../tls/tls';
import type { Logstash } from './logstash';
import { eckPods } from './names';
import { filebeatSettings, type FilebeatSettings } from './settings';
import type { LogFilesSettings } from '../contracts/log-files';
import type { PerStreamLimit } from '../contracts/log-volume';

export interface FilebeatProps {
  readonly common: CommonConfig;
  /** The ECK operator: the custom resources install after it. */
  readonly operator: EckOperator;
  /** Where the custom resources go (the stack's generated chart). */
  readonly resources: CustomResourceChart;
  /** The Logstash Filebeat ships to (TLS with its beats CA when it has one). */
  readonly logstash: Logstash;
  /** Resources and the kernel log path. @default - ELASTIC_DEFAULT_RESOURCES.filebeat, DEFAULT_KERNEL_LOG_PATH */
  readonly filebeat?: Partial<FilebeatSettings>;
  /** Log files inside pods (contracts/log-files.ts). @default DEFAULT_LOG_FILES (off) */
  readonly files?: LogFilesSettings;
  /** The per-stream line limit (contracts/log-volume.ts). @default DEFAULT_LOG_VOLUME.perStream */
  readonly perStream?: PerStreamLimit;
  /** TLS component: a trust bundle in the agents namespace verifies Logstash's beats certificate. Required when Logstash has one. */
  readonly tls?: Tls;
}

/**
 * Filebeat on every node through ECK (a Beat DaemonSet): container logs with the catalog's
 * multiline grouping and the kernel log (NVIDIA Xid lines), shipped to Logstash, with read-only
 * RBAC for Kubernetes metadata.
 */
export class Filebeat extends Construct {
  /** The Beat custom resource as shipped. */
  readonly manifest: KubeManifest;
  readonly workload: Workload;
  readonly settings: FilebeatSettings;

  constructor(scope: Construct, id: string, props: FilebeatProps) {
    super(scope, id);
    const { common, logstash } = props;
    const s = filebeatSettings(props.filebeat);
    this.settings = s;
    const name = logstash.manifest.metadata.name;
    // Filebeat runs in the agents namespace (host access, Pod Security privileged there); Logstash's
    // beats CA is a Secret of the stack namespace, so it trusts a bundle of the same CA in its own.
    const agents = common.agentsNamespace;
    let logstashCaSecret: string | undefined;
    if (logstash.beatsCertificateSecret) {
      if (!props.tls) throw new Error(`${this.node.path}: props.tls is required: ${logstash.node.path} serves beats over TLS and Filebeat, in ${agents}, verifies it with a trust bundle there`);
      logstashCaSecret = props.tls.trustBundleIn(agents).secretName;
    }
    const filebeat = renderFilebeat({
      name,
      namespace: agents,
      dataHostPath: eckBeatDataHostPath(common.namespace, name, 'filebeat'),
      labels: common.labels,
      version: ELASTIC_STACK_VERSION,
      resources: s.resources,
      multiline: compileFilebeatMultiline(),
      kernelLogPath: s.kernelLogPath,
      ...(props.files ? { files: props.files } : {}),
      ...(props.perStream ? { perStream: props.perStream } : {}),
      logstashHost: logstash.beatsHost,
      ...(logstashCaSecret ? { logstashCaSecret } : {}),
    });
    this.manifest = filebeat.beat;
    const after = props.operator.installed;
    for (const m of filebeat.rbac) props.resources.add(m, after);
    props.resources.add(this.manifest, after);
    this.workload = { ...eckPods.beat(name), namespace: agents };
    logstash.allowShipper(this.workload, 'Filebeat ships logs to Logstash (beats input)');
  }
}
