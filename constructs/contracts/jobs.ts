/**
 * Job identity: which training job a pod belongs to, read from the labels the workload
 * controllers put on their pods. The first key present wins, so the list is ordered from the most
 * specific controller to the most generic (a Kubeflow TrainJob runs a JobSet, which runs batch
 * Jobs: its pods carry all three). Pure data.
 *
 * Cardinality: one `job` value per job; at most the jobs whose pods ran within a series' or a
 * stream's lifetime (Prometheus drops idle log-derived series after 24h; Loki streams follow the
 * pods), i.e. bounded by the cluster's concurrent jobs, never by steps, ranks or lines.
 */

/** Pod label keys that name the job, in the order they are tried. */
export const DEFAULT_JOB_LABEL_KEYS: readonly string[] = [
  'trainer.kubeflow.org/trainjob-name', // Kubeflow Trainer v2 (TrainJob)
  'training.kubeflow.org/job-name', // Kubeflow Training Operator v1 (PyTorchJob, TFJob, MPIJob, ...)
  'jobset.sigs.k8s.io/jobset-name', // JobSet
  'leaderworkerset.sigs.k8s.io/name', // LeaderWorkerSet
  'volcano.sh/job-name', // Volcano Job
  'ray.io/cluster', // KubeRay (RayCluster, also the cluster of a RayJob)
  'batch.kubernetes.io/job-name', // batch/v1 Job (Kubernetes >= 1.27)
  'job-name', // batch/v1 Job (older clusters)
];

/** The label the job name is written to on streams and series. */
export const JOB_LABEL = 'job';

/** Most keys a job list may hold (each is one more relabeling input per target). */
export const MAX_JOB_LABEL_KEYS = 16;

/** A pod label key as Prometheus service discovery names it (`__meta_kubernetes_pod_label_<sanitized>`). */
export function podLabelMeta(key: string): string {
  return `__meta_kubernetes_pod_label_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/**
 * The relabeling that takes the first non-empty of these pod labels: source labels joined with
 * ";" and the first non-empty part captured (targets without any keep what they had).
 */
export function jobRelabeling(keys: readonly string[] = DEFAULT_JOB_LABEL_KEYS): { readonly sourceLabels: readonly string[]; readonly separator: string; readonly regex: string } {
  if (keys.length === 0 || keys.length > MAX_JOB_LABEL_KEYS) throw new Error(`job label keys: between 1 and ${MAX_JOB_LABEL_KEYS}, got ${keys.length}`);
  return { sourceLabels: keys.map(podLabelMeta), separator: ';', regex: '^;*([^;]+).*$' };
}

/**
 * A series scraped without a `job` label inherits the scrape job's (`<namespace>/<PodMonitor>`,
 * the Prometheus Operator's default for a PodMonitor), which would make a collector or a plain pod
 * look like a training job. This metric relabeling blanks it again for the contract's series
 * (`mlobs_*`): a job name can never contain "/", so a real one is never touched.
 */
export function inheritedJobRelabeling(namespace: string, podMonitor: string): { readonly action: 'replace'; readonly sourceLabels: readonly string[]; readonly separator: string; readonly regex: string; readonly targetLabel: string; readonly replacement: string } {
  const scrapeJob = `${namespace}/${podMonitor}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return { action: 'replace', sourceLabels: ['__name__', JOB_LABEL], separator: ';', regex: `mlobs_.+;${scrapeJob}`, targetLabel: JOB_LABEL, replacement: '' };
}
