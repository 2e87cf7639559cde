/**
 * Names the components share: the `component` label each one's alerts carry (routing keys), and
 * the runbooks training alerts link to. Neutral ground: the GPU, training and Loki ruler rules
 * read them here instead of from each other.
 */
import { XID_DOCS_URL } from './xid';

export const GPU_COMPONENT = 'gpu';
export const TRAINING_COMPONENT = 'training';

export const TRAINING_RUNBOOK_URLS = {
  oom: 'https://pytorch.org/docs/stable/notes/cuda.html#optimizing-memory-usage-with-pytorch-cuda-alloc-conf',
  nan: 'https://pytorch.org/docs/stable/amp.html',
  nccl: 'https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/troubleshooting.html',
  xid: XID_DOCS_URL,
  progress: 'https://pytorch.org/docs/stable/distributed.html#debugging-torch-distributed-applications',
} as const;

/** The stack's own metrics and alerting path: Prometheus, Alertmanager, certificates. */
export const PLATFORM_COMPONENT = 'platform';
/** The stack's log path: Loki, the collectors (Alloy, Promtail), Elasticsearch. */
export const LOGS_COMPONENT = 'logs';
