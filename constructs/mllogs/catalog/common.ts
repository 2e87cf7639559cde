/**
 * Cross-framework field extractors and event rules. Extractors are searched in the whole text
 * line after the format matched and fill only empty fields; earlier extractors win. Event rules
 * are searched in order; the first that is found decides the event.
 */
import type { EventRule, FieldExtractor } from '../types';

/** Left boundary before a metric key: start, punctuation, or a blank not preceded by `e` (so `Average loss` is not `loss`). */
const KEY_START = `(?:^|[,;{(|'"\\t\\-]|[^e\\s] |  )["']?`;
/** Left boundary that only refuses word characters, `/` and `-`. */
const WORD_START = `(?:^|[^\\w/\\-]|#015)["']?`;
const KEY_SEP = `["']?\\s*[:=]\\s*`;

export const EXTRACTORS: readonly FieldExtractor[] = [
  // progress counters
  {
    id: 'tqdm_bar',
    family: 'common',
    summary: 'tqdm bar `45%|####  | 12/27 [00:15<00:02,  1.66it/s` or `2.83s/it`',
    prefilter: ['it/s', 's/it'],
    pattern:
      '(?:\\d+%\\|[^|]*\\||\\d+%)\\s*%{UINT:step}/%{UINT:steps_total} \\[[^\\]<]*<[^,\\]]*,\\s*(?:%{FLOAT:throughput}%{TPUT_UNIT:throughput_unit_raw}|%{FLOAT:step_time_s}s/it|\\?it/s)',
    event: 'train_progress',
  },
  {
    id: 'tqdm_count',
    family: 'common',
    summary: 'tqdm counter without a total `Training: 0it [00:00, ?it/s]`',
    prefilter: ['it ['],
    pattern: '(?:^|Training: )%{UINT:step}it \\[',
  },
  {
    id: 'keras_bar',
    family: 'keras',
    summary: 'Keras 2/3 progress `4451/4451 [=====] - 4s 805us/step - loss: ...` / `64/64 ━━━━ 3s 54ms/step`',
    prefilter: ['/'],
    pattern: '^\\s*%{UINT:step}/(?:%{UINT:steps_total}|Unknown) (?:\\[[=>.]*\\]|[━─╸╺]+|- )',
    event: 'train_progress',
  },
  {
    id: 'keras_step_time',
    family: 'keras',
    summary: 'Keras per-step time `805us/step`, `54ms/step`, `3s/step`',
    prefilter: ['/step'],
    pattern: ' (?:%{FLOAT:step_time_s}s|%{FLOAT:step_time_ms}ms|%{FLOAT:step_time_us}(?:us|µs))/step',
  },
  {
    id: 'yolo_epoch',
    family: 'pytorch',
    summary: 'YOLOv5 training row `16/999     7.38G   0.03433 ...` (epoch/total, GPU memory)',
    pattern: '^\\s*%{UINT:epoch}/%{UINT:epochs_total} +\\d+(?:\\.\\d+)?G ',
    event: 'train_progress',
  },
  {
    id: 'metric_logger',
    family: 'pytorch',
    summary: 'torchvision/DETR MetricLogger `Epoch: [3]  [ 50/782]  eta: ...`, mmengine `Epoch(train) [1][ 50/500]`',
    prefilter: ['poch'],
    pattern: '\\bEpoch(?:\\(train\\))?:? +\\[%{UINT:epoch}\\] *\\[ *%{UINT:step}/%{UINT:steps_total}\\]',
    event: 'train_progress',
  },
  {
    id: 'deepspeed_step',
    family: 'deepspeed',
    summary: 'DeepSpeed log_dist `step=10, skipped=0, lr=[...]`',
    prefilter: ['skipped='],
    pattern: '\\bstep=%{UINT:step}, skipped=\\d+',
    event: 'train_progress',
  },
  {
    id: 'epoch_of_total',
    family: 'common',
    summary: '`Epoch 1/10`, `Epoch [1/10]`, `Epoch 1/5:`',
    prefilter: ['poch', 'EPOCH'],
    pattern: '\\b(?:[Ee]poch|EPOCH):? ?\\[?%{UINT:epoch}/%{UINT:epochs_total}\\]?',
    event: 'train_progress',
  },
  {
    id: 'step_of_total',
    family: 'common',
    summary: '`Step [100/600]`, `iter 5/100`, `Batch 3/40`',
    prefilter: ['tep', 'ter', 'atch'],
    pattern: '\\b(?:[Ss]tep|[Ii]ter(?:ation)?|[Bb]atch):? ?\\[?%{UINT:step}/%{UINT:steps_total}\\]?',
    event: 'train_progress',
  },
  {
    id: 'samples_of_total',
    family: 'pytorch',
    summary: 'PyTorch examples `Train Epoch: 1 [6400/60000 (11%)]`',
    prefilter: ['%)]'],
    pattern: '\\[%{UINT:step}/%{UINT:steps_total} \\(\\d+%\\)\\]',
    event: 'train_progress',
  },
  {
    id: 'hf_global_step',
    family: 'transformers',
    summary: "swift/HF `'global_step/max_steps': '2/20'`",
    prefilter: ['global_step/max_steps'],
    pattern: `global_step/max_steps${KEY_SEP}["']?%{UINT:step}/%{UINT:steps_total}`,
  },
  {
    id: 'total_steps',
    family: 'transformers',
    summary: 'Trainer banner `Total optimization steps = 460`',
    prefilter: ['Total optimization steps'],
    pattern: 'Total optimization steps = %{UINT:steps_total}',
  },
  {
    id: 'epoch_value',
    family: 'common',
    summary: "`Epoch 3:`, `epoch: 10`, `'epoch': 0.25`, `Epoch 00015:`",
    prefilter: ['poch', 'EPOCH'],
    pattern: `${WORD_START}(?:[Ee]poch|EPOCH)["']?(?:[:=]\\s*\\[?|\\[|\\s*)%{FLOAT:epoch}(?:[^\\d/.]|$)`,
  },
  {
    id: 'step_value',
    family: 'common',
    summary: '`iter: 11839`, `step=40`, `iteration=1029`, `for step: 1500`',
    prefilter: ['step', 'iter'],
    pattern: `${WORD_START}(?:step|iter|iteration|global_step)["']?\\s*(?:[:=]\\s*)?%{UINT:step}(?:[^\\d/.]|$)`,
  },
  // metrics
  {
    id: 'loss',
    family: 'common',
    summary: '`loss: 0.2`, `Loss=0.2`, `total_loss: 0.2`, `train_epoch_loss=0.1`, `loss train: 1.6`',
    prefilter: ['oss'],
    pattern: `${KEY_START}(?:total_loss|train_epoch_loss|train_loss|[Ll]oss)(?: train)?${KEY_SEP}%{FLOAT:loss}`,
    event: 'train_progress',
  },
  {
    id: 'loss_key_value',
    family: 'common',
    summary: 'metric print `Key: avg_train_loss, Value: 0.107`',
    prefilter: ['Value: '],
    pattern: '\\b(?:avg_)?(?:train_)?loss, Value: %{FLOAT:loss}',
  },
  {
    id: 'eval_loss',
    family: 'common',
    summary: '`val_loss: 0.02`, `eval_loss=...`, `Average loss: 0.33`, `val_loss valid: 8.5`',
    prefilter: ['val_loss', 'eval_loss', 'Average loss'],
    pattern: `${WORD_START}(?:val_loss|eval_loss|Average loss)(?: valid)?${KEY_SEP}%{FLOAT:eval_loss}`,
    event: 'eval_metrics',
  },
  {
    id: 'eval_loss_words',
    family: 'common',
    summary: '`best eval loss on epoch 1 is 0.15`',
    prefilter: ['eval loss', 'evaluation loss'],
    pattern: '\\beval(?:uation)? loss(?: on epoch \\d+)?(?: is|:|=)\\s*%{FLOAT:eval_loss}',
    event: 'eval_metrics',
  },
  {
    id: 'accuracy',
    family: 'common',
    summary: '`acc: 0.89`, `accuracy: 0.99`, `acc=0.875` (not val_/top-k/token_acc)',
    prefilter: ['acc'],
    pattern: `${WORD_START}(?:accuracy|acc)${KEY_SEP}%{FLOAT:accuracy}(?:[^\\w.]|$)`,
  },
  {
    id: 'learning_rate_list',
    family: 'common',
    summary: 'DeepSpeed `lr=[5e-05]` (one value only)',
    prefilter: ['lr', 'learning_rate'],
    pattern: `${WORD_START}(?:lr|learning_rate)${KEY_SEP}\\[%{FLOAT:learning_rate}\\]`,
    event: 'train_progress',
  },
  {
    id: 'learning_rate',
    family: 'common',
    summary: "`lr: 0.0003`, `'learning_rate': 1e-05`",
    prefilter: ['lr', 'learning_rate'],
    pattern: `${WORD_START}(?:lr|learning_rate)${KEY_SEP}%{FLOAT:learning_rate}`,
    event: 'train_progress',
  },
  {
    id: 'grad_norm',
    family: 'common',
    summary: "`'grad_norm': 37.2`",
    prefilter: ['grad_norm'],
    pattern: `${WORD_START}grad_norm${KEY_SEP}%{FLOAT:grad_norm}`,
  },
  {
    id: 'throughput_labelled',
    family: 'common',
    summary: 'trtexec `Throughput: 130.298 qps`',
    prefilter: ['Throughput: '],
    pattern: 'Throughput: %{FLOAT:throughput} %{TPUT_UNIT:throughput_unit_raw}',
  },
  {
    id: 'throughput_samples',
    family: 'deepspeed',
    summary: 'DeepSpeed timer `SamplesPerSec=83.48`',
    prefilter: ['SamplesPerSec='],
    pattern: '%{TPUT_UNIT:throughput_unit_raw}=%{FLOAT:throughput}',
    event: 'train_progress',
  },
  {
    id: 'throughput_train_speed',
    family: 'transformers',
    summary: "swift `'train_speed(iter/s)': 0.0048`",
    prefilter: ['train_speed('],
    pattern: `train_speed\\(%{TPUT_UNIT:throughput_unit_raw}\\)${KEY_SEP}%{FLOAT:throughput}`,
  },
  {
    id: 'iter_time',
    family: 'common',
    summary: '`iter time: 38.925 s`',
    prefilter: ['iter time'],
    pattern: 'iter time: %{FLOAT:step_time_s} ?s\\b',
  },
  // failures
  {
    id: 'cuda_oom_size',
    family: 'pytorch',
    summary: 'CUDA OOM `Tried to allocate 2.00 GiB`',
    prefilter: ['to allocate'],
    pattern: '(?:[Tt]ried|trying) to allocate %{FLOAT:oom_amount} ?%{UNIT_BIN:oom_unit}',
  },
  {
    id: 'oom_bytes',
    family: 'common',
    summary: '`Requested size was 16654532608 bytes`, `you tried to allocate 402653184 bytes`',
    prefilter: ['bytes'],
    pattern: '(?:Requested size was|tried to allocate) %{UINT:oom_requested_bytes} bytes',
  },
  {
    id: 'xid',
    family: 'kernel',
    summary: 'NVRM `Xid (PCI:0000:3b:00): 79, pid=123, ...`',
    prefilter: ['Xid'],
    pattern: '\\bXid \\(PCI:(?:%{PCI:pci_bus}|[^)]*)\\): %{UINT:xid}',
  },
  {
    id: 'pci_bus',
    family: 'kernel',
    summary: 'PCI address after `PCI:` or `GPU`',
    prefilter: ['PCI:', 'GPU', 'pci bus id'],
    pattern: '(?:PCI:|\\bGPU ?|pci bus id: )%{PCI:pci_bus}',
  },
  {
    id: 'pid',
    family: 'common',
    summary: 'labelled pid `pid=N`, `(pid: N)`, `(pid N)`, `Killed process N`',
    prefilter: ['pid', 'Pid', 'process'],
    pattern: '(?:\\bpid[=:]\\s*|\\(pid:? |Killed process |\\bPid )%{UINT:pid}',
  },
  {
    id: 'gpu',
    family: 'common',
    summary: '`GPU 0`, `GPU0`, `GPU: 2`, `device:GPU:1`, `device 0`',
    prefilter: ['GPU', 'device'],
    pattern: '(?:\\bGPU:? ?|\\bdevice(?:Index)? +)%{SMALL_UINT:gpu}(?:[^\\d.]|$)',
  },
  {
    id: 'rank',
    family: 'common',
    summary: '`[Rank 3]`, `[rank1]:`, `rank: 0`, `rank=0`, `GLOBAL_RANK: 2` (not local_rank)',
    prefilter: ['ank', 'ANK'],
    pattern: '(?:\\b[Rr]ank\\s*[:=]\\s*|\\[[Rr]ank ?|\\bRank |\\bGLOBAL_RANK: ?)%{UINT:rank}',
  },
];

export const EVENT_RULES: readonly EventRule[] = [
  { id: 'watchdog_timeout', event: 'nccl_timeout', pattern: 'Watchdog caught collective operation timeout' },
  {
    id: 'nccl_failure',
    event: 'nccl_error',
    pattern:
      'NCCL error|\\bnccl[A-Z]\\w*Error\\b|Exception \\(either an error or timeout\\) detected by watchdog|NCCL WARN .{0,400}?(?:[Ff]ail|[Ee]rror|[Cc]losed|[Tt]imed? ?out|[Aa]bort|[Rr]efused)',
  },
  { id: 'xid', event: 'xid', pattern: '\\bXid \\(' },
  { id: 'gpu_lost', event: 'gpu_lost', pattern: 'fallen off the bus|Unable to determine the device handle|GPU is lost|GPU has been lost' },
  {
    id: 'nan_loss',
    event: 'nan_loss',
    pattern:
      "Loss became infinite or NaN|non-finite loss|\\bloss['\"]?\\s*[:=]\\s*nan|'loss\\w*': (?:nan|tensor\\(nan)|[Ll]oss is [Nn]a[Nn]|NaN loss",
  },
  {
    id: 'oom',
    event: 'oom',
    pattern:
      "out of memory|OutOfMemory|Out of memory|OOM when allocating|Resource exhausted: OOM|ResourceExhaustedError|oom-kill|can't allocate memory|Killed process \\d+",
  },
  {
    id: 'checkpoint',
    event: 'checkpoint',
    pattern:
      '\\b[Ss]aved (?:in|to)\\b|[Ss]aving model|Saving (?:model )?(?:weights|checkpoint)|Saving \\S*checkpoint|[Cc]heckpoint saved|are saved in',
  },
  { id: 'run_start', event: 'run_start', pattern: '\\*\\*\\*\\*\\* Running training \\*\\*\\*\\*\\*|&&&& RUNNING|Starting training|Start training' },
  { id: 'run_end', event: 'run_end', pattern: '`?Trainer\\.fit`? stopped|Engine run complete|End of run|&&&& PASSED' },
  { id: 'eval_metrics', event: 'eval_metrics', pattern: "\\{'eval_|Test set: Average loss|\\beval(?:uation)? loss\\b" },
  { id: 'not_training_bar', event: null, pattern: '^(?:Validating|Validation|Sanity Checking|Testing|Predicting|Evaluating)\\b' },
  { id: 'traceback', event: 'traceback', pattern: 'Traceback \\(most recent call last\\)' },
];
