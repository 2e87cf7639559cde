/**
 * Involved objects of Kubernetes events the events tests run through both pipelines (Loki and
 * Elastic) and compare with the contract's `eventJob`: training controllers' pods (attributed),
 * job objects (attributed by name), and objects that belong to no job.
 */
export const EVENT_OBJECT_CASES: readonly (readonly [kind: string, name: string])[] = [
  ['Pod', 'llama-ft-worker-3'],
  ['Pod', 'llama-ft-master-0'],
  ['Pod', 'bert-pretrain-launcher-0'],
  ['Pod', 'qwen-sft-node-0-1-x7k2p'],
  ['Pod', 'qwen-sft-dataset-initializer-0-0-ab12c'],
  ['Pod', 'qwen-sft-model-initializer-0-0-ab12c'],
  ['Pod', 'inference-server-7d9f8c6b5-x2x9z'],
  ['Pod', 'eval-job-abcde'],
  ['Pod', 'jupyter-0'],
  ['PyTorchJob', 'llama-ft'],
  ['TrainJob', 'qwen-sft'],
  ['Job', 'nightly-eval'],
  ['JobSet', 'multislice'],
  ['RayJob', 'tune-sweep'],
  ['Node', 'gpu-node-7'],
  ['Deployment', 'inference-server'],
];
