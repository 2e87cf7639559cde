/**
 * Cross-framework field extractors and event rules. Extractors are searched in the whole text
 * line after the format matched and fill only empty fields; earlier extractors win. Event rules
 * are searched in order; the first that is found decides the event.
 */
import type { EventRule, FieldExtractor } from '../types';

/** An ANSI colour fragment right before a key, its ESC byte possibly lost in copying (torchtitan colours each metric: `[32mloss:`). */
const ANSI = '\\x1b?\\[[0-9;]{1,8}m';
/**
 * Left boundary before the main loss key: start, punctuation other than `/`, a run of blanks, a
 * number (with its unit: `0.831s loss=`) and a blank, or an ANSI fragment; never a word and one
 * blank, so `val loss`, `Valid Loss` and `Average loss` are not the training loss (a qualifier that
 * keeps it the main loss is part of the key instead).
 */
const LOSS_START = `(?:^|[^\\w\\s/]\\s*|\\s\\s|\\d[A-Za-z%]{0,3} |#015|${ANSI})["']?`;
/** Left boundary that only refuses word characters, `/` and `-`. */
const WORD_START = `(?:^|[^\\w/\\-]|#015|${ANSI})["']?`;
const KEY_SEP = `["']?\\s*[:=]\\s*`;
/** A key's separator: `:` or `=` (quoted keys too), or blanks alone (`loss 4.08`, `lr 0.001`, `Loss = 1.6`). */
const KEY_SEP_OR_BLANK = `(?:${KEY_SEP}|\\s+)`;
/** Decimal digits, for literal sets of a number's last digit and what follows it. */
const DIGITS = [...'0123456789'];
/** The main training loss key, with the qualifiers that keep it the main loss (`lm loss`, `train_loss`, `reduced_train_loss`). */
const LOSS_KEY =
  '(?:(?:[Tt]rain(?:ing)?|TRAIN|[Tt]otal|TOTAL|lm|LM|reduced_train|train_epoch|[Aa]vg|[Mm]ean)[ _/])?(?:[Ll]oss|LOSS)(?: train)?';
/** Learning-rate keys: `lr`, `LR`, `learning_rate`, `learning rate`, `Learning rate`, `LearningRate`. */
const LR_KEY = '(?:lr|LR|[Ll]earning[ _]?[Rr]ate)';
/** Gradient-norm keys: `grad_norm`, `grad norm`, fairseq `gnorm`, `gradient norm`, `Gradient norm`. */
const GRAD_NORM_KEY = '(?:grad[_ \\-]norm|[Gg]rad(?:ient)?[ _]norm|gnorm|GRAD_NORM)';
/** Step-time keys with the unit written after the value (`time 561.94ms`, `dt: 989.44ms`, `step_avg:234.48ms`, `per-step time 0.831s`). */
const STEP_TIME_KEY = `(?:${WORD_START}(?:[Ii]ter(?:ation)? time|[Ss]tep[ _]time|per-step time|[Tt]ime per (?:step|iter(?:ation)?)|step_avg|dt)|(?:^|[^\\w\\s]\\s*|\\s\\s|${ANSI})time)`;

export const EXTRACTORS: readonly FieldExtractor[] = [
  // progress counters
  {
    id: 'tqdm_bar',
    family: 'common',
    summary: 'tqdm bar `45%|####  | 12/27 [00:15<00:02,  1.66it/s` or `2.83s/it`',
    // every unit TPUT_UNIT reads (proven by test/loki/go-stages.test.ts; `it/s` alone missed `tok/s` bars)
    prefilter: ['it/s', 'iter/s', 'steps/s', 'amples/s', 'tokens/s', 'tok/s', 'qps', 'SamplesPerSec', 's/it'],
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
    start: '\\s*\\d+/',
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
    prefilter: ['G '],
    start: '\\s*\\d+/\\d+ +\\d',
    pattern: '^\\s*%{UINT:epoch}/%{UINT:epochs_total} +\\d+(?:\\.\\d+)?G ',
    event: 'train_progress',
  },
  {
    id: 'metric_logger',
    family: 'pytorch',
    summary: 'torchvision/DETR MetricLogger `Epoch: [3]  [ 50/782]  eta: ...`, mmengine `Epoch(train) [1][ 50/500]`',
    prefilter: ['Epoch ', 'Epoch(train)', 'Epoch:'],
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
    // and the `/` between the counts
    alsoRequires: [['/']],
    pattern: '\\b(?:[Ee]poch|EPOCH):? ?\\[?%{UINT:epoch}/%{UINT:epochs_total}\\]?',
    event: 'train_progress',
  },
  {
    id: 'step_of_total',
    family: 'common',
    summary: '`Step [100/600]`, `iter 5/100`, `Batch 3/40`',
    prefilter: ['Step', 'step', 'Iter', 'iter', 'Batch', 'batch'],
    // and the `/` between the counts
    alsoRequires: [['/']],
    pattern: '\\b(?:[Ss]tep|[Ii]ter(?:ation)?|[Bb]atch):? ?\\[? *%{UINT:step} */ *%{UINT:steps_total}\\]?',
    event: 'train_progress',
  },
  {
    id: 'epoch_counter',
    family: 'common',
    summary: 'fairseq progress `| epoch 001:    450 / 1891 loss=...` (the counter is the step)',
    prefilter: ['poch'],
    // and the ` / ` between the counts
    alsoRequires: [[' / ']],
    pattern: '\\b[Ee]poch \\d+: +%{UINT:step} / %{UINT:steps_total}\\b',
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
    summary: '`step=40`, `for step: 1500`, `Step = 297500`, `Global Step: 30` (a step wins over an iteration on the same line)',
    prefilter: ['step', 'Step', 'STEP'],
    pattern: `${WORD_START}(?:step|Step|STEP|global_step|[Gg]lobal [Ss]tep)["']?\\s*(?:[:=]\\s*)?%{UINT:step}(?:[^\\d/.]|$)`,
  },
  {
    id: 'iter_value',
    family: 'common',
    summary: '`iter: 11839`, `iteration=1029`, `Iter 5`, `batch    250`',
    prefilter: ['iter', 'Iter', 'atch'],
    pattern: `${WORD_START}(?:iter|iteration|Iter|Iteration|batch|Batch)["']?\\s*(?:[:=]\\s*)?%{UINT:step}(?:[^\\d/.]|$)`,
  },
  // metrics
  {
    id: 'loss',
    family: 'common',
    summary:
      "`loss: 0.2`, `Loss=0.2`, `loss 4.08`, `total_loss: 0.2`, `train loss 1.44`, Megatron `lm loss: 2.5E+00`, NeMo `reduced_train_loss: 3.1`, `('loss', 24.2)`",
    prefilter: ['oss', 'OSS'],
    pattern: `${LOSS_START}${LOSS_KEY}(?:${KEY_SEP_OR_BLANK}|', )%{FLOAT:loss}`,
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
    summary: '`val_loss: 0.02`, `eval_loss=...`, `Average loss: 0.33`, `val_loss valid: 8.5`, `val loss 1.72`, `Valid Loss: 70.6`, `ValLoss: 1e-4`',
    // the keys of the pattern (`val_loss` holds `eval_loss`, `al loss` holds `Val loss`)
    prefilter: ['val_loss', 'Average loss', 'al loss', 'al Loss', 'id loss', 'id Loss', 'ion loss', 'ion Loss', 'ValLoss', 'VAL_LOSS', 'val/loss'],
    pattern: `${WORD_START}(?:val_loss|eval_loss|Average loss|[Vv]al(?:id(?:ation)?)? [Ll]oss|ValLoss|VAL_LOSS|e?val/loss)(?: valid)?${KEY_SEP_OR_BLANK}%{FLOAT:eval_loss}`,
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
    summary: 'DeepSpeed `lr=[5e-05]`, `LR: [0.001]` (one value only)',
    prefilter: ['lr', 'LR', 'earning'],
    // and the list's `]` right after the number's last digit
    alsoRequires: [DIGITS.map((d) => `${d}]`)],
    pattern: `${WORD_START}${LR_KEY}${KEY_SEP}\\[%{FLOAT:learning_rate}\\]`,
    event: 'train_progress',
  },
  {
    id: 'learning_rate',
    family: 'common',
    summary: "`lr: 0.0003`, `'learning_rate': 1e-05`, `lr 0.001`, Megatron `learning rate: 9.150E-06`, `Learning rate = 0.000187`, `LearningRate 0.001`",
    prefilter: ['lr', 'LR', 'earning'],
    pattern: `${WORD_START}${LR_KEY}${KEY_SEP_OR_BLANK}%{FLOAT:learning_rate}`,
    event: 'train_progress',
  },
  {
    id: 'grad_norm',
    family: 'common',
    summary: "`'grad_norm': 37.2`, Megatron `grad norm: 0.231`, fairseq `gnorm=1.5`, `Gradient norm exceeded threshold: 15.3`, `The grad norm is 3.2`",
    // GRAD_NORM_KEY's spellings
    prefilter: ['rad_norm', 'rad norm', 'rad-norm', 'ent norm', 'ent_norm', 'gnorm', 'GRAD_NORM'],
    pattern: `${WORD_START}${GRAD_NORM_KEY}(?: (?:is|of|exceed(?:ed|s)(?: the)? threshold))?${KEY_SEP_OR_BLANK}%{FLOAT:grad_norm}`,
    event: 'train_progress',
  },
  {
    id: 'throughput_labelled',
    family: 'common',
    summary: 'trtexec `Throughput: 130.298 qps`',
    prefilter: ['Throughput: '],
    pattern: 'Throughput: %{FLOAT:throughput} %{TPUT_UNIT:throughput_unit_raw}',
  },
  {
    id: 'throughput_current',
    family: 'deepspeed',
    summary: 'DeepSpeed timer `CurrSamplesPerSec=84.1` (the current value wins over `RunningAvgSamplesPerSec`)',
    // `Curr` then any unit TPUT_UNIT reads
    prefilter: ['Curr'],
    pattern: 'Curr%{TPUT_UNIT:throughput_unit_raw}=%{FLOAT:throughput}',
    event: 'train_progress',
  },
  {
    id: 'throughput_samples',
    family: 'deepspeed',
    summary: 'DeepSpeed timer `SamplesPerSec=83.48`',
    // any unit TPUT_UNIT reads, then `=`
    prefilter: ['SamplesPerSec=', '/s=', '/sec=', 'qps='],
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
    id: 'throughput_key_value',
    family: 'common',
    summary:
      "key before value: `samples/sec: 7.8`, `samples per second: 1.88`, `examples/s: 22.1`, `steps/s = 4.57`, `global_step/sec: 0.03`, fairseq `ups=0.5`, `tps: 5,856`, `tok/sec: 529,882`, HF `'eval_samples_per_second': 131.1`, `'step_tokens_per_second': 18801.85`",
    // TPUT_KEY's keys (`/s` alone is in every path under /srv, /sys...)
    prefilter: ['it/s', 'iter/s', 'steps/s', 'amples/s', 'tokens/s', 'tok/s', 'global_step/sec', 'per_second', 'per second', 'tokens_per_sec', 'ups', 'tps', 'TPS'],
    pattern: `${WORD_START}(?:train_|eval_|step_)?%{TPUT_KEY:throughput_unit_raw}["']?\\s*[:=]\\s*%{HUMAN_NUMBER:throughput}`,
    event: 'train_progress',
  },
  {
    id: 'throughput_value_unit',
    family: 'common',
    summary: 'value before unit: `Speed 2183.37 samples/sec`, `16.88K tokens/s`, `3.2 it/s`',
    // TPUT_UNIT's spellings (`/s` alone is in every path under /srv, /sys...)
    prefilter: ['it/s', 'iter/s', 'steps/s', 'amples/s', 'tokens/s', 'tok/s', 'qps', 'SamplesPerSec'],
    pattern: '(?:^|[\\s(\\[,|:=])%{HUMAN_NUMBER:throughput} ?%{TPUT_UNIT:throughput_unit_raw}(?:[^\\w/]|$)',
  },
  {
    id: 'step_time_unit_key',
    family: 'common',
    summary: 'unit in the key: Megatron `elapsed time per iteration (ms): 86545.2`, `iteration time (s): 1.2`, NeMo `train_step_timing in s: 0.63`',
    // the closing parenthesis is optional in the pattern
    prefilter: ['(ms', '(s', 'timing in '],
    pattern:
      '(?:(?:elapsed time per iteration|[Ii]ter(?:ation)? time|[Ss]tep time|[Tt]ime per (?:step|iter(?:ation)?)) \\(|train_step_timing in )(?:ms\\)?\\s*[:=]\\s*%{FLOAT:step_time_ms}|s(?:ec)?\\)?\\s*[:=]\\s*%{FLOAT:step_time_s})',
  },
  {
    id: 'step_time_labelled',
    family: 'common',
    summary:
      'unit after the value: `iter time: 38.925 s`, nanoGPT `time 561.94ms`, `dt: 989.44ms`, `step_avg:234.48ms`, `per-step time 0.831s` (not `Time 4981.4s` since start, not unitless `time:`)',
    // `Time per step` holds no `time`
    prefilter: ['time', 'Time per', 'step_avg', 'dt'],
    // and a number with its unit (`0.8s`, `561.94 ms`): most lines with `time` or `dt` have none
    alsoRequires: [DIGITS.flatMap((d) => [`${d}ms`, `${d} ms`, `${d}s`, `${d} s`])],
    pattern: `${STEP_TIME_KEY}["']?\\s*(?:[:=]\\s*)?(?:%{FLOAT:step_time_ms} ?ms|%{FLOAT:step_time_s} ?s(?:ec)?)(?:[^\\w/]|$)`,
  },
  {
    id: 'step_time_per_unit',
    family: 'common',
    summary: 'seconds per step written as a rate: `(2.34 sec/step)`, `(0.9880 s / it)`, `120ms/iter`',
    prefilter: ['/it', '/ it', '/step', '/ step', '/batch', '/ batch'],
    pattern:
      '(?:^|[\\s(\\[,|])(?:%{FLOAT:step_time_ms} ?ms ?/ ?|%{FLOAT:step_time_s} ?s(?:ec)? ?/ ?)(?:it(?:er(?:ation)?)?|step|batch)\\b',
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
    prefilter: ['pid=', 'pid:', '(pid ', 'Killed process ', 'Pid '],
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

/** A non-finite value in any spelling: `nan`, `NaN`, `NAN`, `NaNs`, `inf`, `-inf`, `Inf`, `INF`, `infinity`, `infinite`. */
/** Every upper/lower-case spelling of a word (`nan` -> `nan`, `naN`, ..., `NAN`), for prefilters of case-mixed patterns. */
function caseSpellings(word: string): string[] {
  return [...word].reduce<string[]>((acc, c) => acc.flatMap((p) => [...new Set([p + c.toLowerCase(), p + c.toUpperCase()])]), ['']);
}

const NON_FINITE = '(?:[Nn][Aa][Nn]s?|[+-]?[Ii][Nn][Ff](?:[Ii][Nn][Ii][Tt](?:[Yy]|[Ee]))?)';
/**
 * After a non-finite value: not a lower-case letter, digit or `_` (`nanoGPT`, `inference`, `nan_to_num`
 * are not NaN), while a value glued to the next capitalized word still counts (`loss: nanEpoch 1/1000`).
 */
const NON_FINITE_END = '(?:[^a-z0-9_]|$)';

/**
 * Any non-finite training quantity (corpus README: loss, grad norm, any capitalization): a loss or
 * norm key whose value is NaN/Inf (`loss: nan`, `Loss became NaN`, `loss = -inf`, `'grad_norm': nan`,
 * `The grad norm is nan`, `lm loss: NAN`, `'loss': tensor(nan`), NaN/Inf named as the thing
 * found (`NaN loss during training`, `NaN or Inf found in input tensor`, `returned nan values`),
 * `non-finite`, Keras `Invalid loss`, and a YOLO results row with `nan` in its loss columns. Never a
 * `nan` inside a word (`nanoGPT`, `Finance`) or a count of NaN iterations.
 */
const NAN_LOSS = [
  'Loss became infinite or NaN',
  `(?:[Ll]oss(?:es)?|LOSS|[Nn]orm|NORM)(?:_\\w{1,30})?['"]?(?:\\s*[:=]\\s*|, ?|\\s+(?:(?:is|was|became|becomes|went to|of) )?)(?:tensor\\(|\\[)?['"]?${NON_FINITE}${NON_FINITE_END}`,
  `(?:^|[^\\w])${NON_FINITE}(?: or ${NON_FINITE})? (?:loss|values?|detected|found|encountered|gradients?)\\b`,
  '\\b[Nn]on-?[Ff]inite\\b',
  '\\bInvalid loss\\b',
  `^\\s*\\d+/\\d+ +\\d+(?:\\.\\d+)?G(?: +\\d+(?:\\.\\d+)?){0,4} +${NON_FINITE}${NON_FINITE_END}`,
].join('|');

export const EVENT_RULES: readonly EventRule[] = [
  { id: 'watchdog_timeout', event: 'nccl_timeout', prefilter: ['Watchdog caught collective operation timeout'], pattern: 'Watchdog caught collective operation timeout' },
  {
    id: 'nccl_failure',
    event: 'nccl_error',
    prefilter: ['NCCL', 'nccl', 'detected by watchdog'],
    // and every branch holds one of these (`NCCL INFO` lines are the common ones and hold none)
    alsoRequires: [['NCCL error', 'Error', 'detected by watchdog', 'NCCL WARN ']],
    pattern:
      'NCCL error|\\bnccl[A-Z]\\w*Error\\b|Exception \\(either an error or timeout\\) detected by watchdog|NCCL WARN .{0,400}?(?:[Ff]ail|[Ee]rror|[Cc]losed|[Tt]imed? ?out|[Aa]bort|[Rr]efused)',
  },
  { id: 'xid', event: 'xid', prefilter: ['Xid ('], pattern: '\\bXid \\(' },
  { id: 'gpu_lost', event: 'gpu_lost', prefilter: ['fallen off the bus', 'Unable to determine the device handle', 'GPU is lost', 'GPU has been lost'], pattern: 'fallen off the bus|Unable to determine the device handle|GPU is lost|GPU has been lost' },
  {
    id: 'nan_loss',
    event: 'nan_loss',
    // every branch holds a NON_FINITE spelling (nan/inf in any case), `[Ff]inite` or `Invalid loss`
    prefilter: [...caseSpellings('nan'), ...caseSpellings('inf'), 'finite', 'Finite', 'Invalid loss'],
    // and the word beside it: a loss or norm key, the words after a bare nan/inf, `Non-finite`, a
    // YOLO row (`inf` alone is in every `INFO` line)
    alsoRequires: [['oss', 'OSS', 'orm', 'ORM', 'value', 'detected', 'found', 'encountered', 'gradient', 'inite', 'G ']],
    pattern: NAN_LOSS,
  },
  {
    id: 'oom',
    event: 'oom',
    prefilter: ['out of memory', 'OutOfMemory', 'Out of memory', 'OOM when allocating', 'Resource exhausted: OOM', 'ResourceExhaustedError', 'oom-kill', "can't allocate memory", 'Killed process '],
    pattern:
      "out of memory|OutOfMemory|Out of memory|OOM when allocating|Resource exhausted: OOM|ResourceExhaustedError|oom-kill|can't allocate memory|Killed process \\d+",
  },
  {
    id: 'checkpoint',
    event: 'checkpoint',
    prefilter: ['aved in', 'aved to', 'aving model', 'Saving ', 'heckpoint saved'],
    pattern:
      '\\b[Ss]aved (?:in|to)\\b|[Ss]aving model|Saving (?:model )?(?:weights|checkpoint)|Saving \\S*checkpoint|[Cc]heckpoint saved|are saved in',
  },
  { id: 'run_start', event: 'run_start', prefilter: ['***** Running training *****', '&&&& RUNNING', 'Starting training', 'Start training'], pattern: '\\*\\*\\*\\*\\* Running training \\*\\*\\*\\*\\*|&&&& RUNNING|Starting training|Start training' },
  { id: 'run_end', event: 'run_end', prefilter: ['Trainer.fit', 'Engine run complete', 'End of run', '&&&& PASSED'], pattern: '`?Trainer\\.fit`? stopped|Engine run complete|End of run|&&&& PASSED' },
  {
    id: 'eval_metrics',
    event: 'eval_metrics',
    prefilter: ["{'eval_", 'Test set: Average loss', 'eval loss', 'evaluation loss', 'val loss', 'val_loss', 'validation loss', 'validation_loss'],
    // nanoGPT-style evaluation prints start with the step and report a validation loss: `step 250: train loss 1.54, val loss 1.72`, `step:7500/7500 val_loss:2.91 ...`
    pattern: "\\{'eval_|Test set: Average loss|\\beval(?:uation)? loss\\b|^[Ss]tep[: ] ?\\d+(?:/\\d+)?:?[^|]{0,60}?\\bval(?:idation)?[ _]loss\\b",
  },
  // a JSON record with a training loss is a progress record (fairseq `--log-format json`, HF log_history)
  { id: 'json_train_record', event: 'train_progress', prefilter: ['loss"'], pattern: '^\\{\\s*".*"(?:loss|train_loss)"\\s*:' },
  { id: 'not_training_bar', event: null, prefilter: ['Validati', 'Sanity Checking', 'Testing', 'Predicting', 'Evaluating'], pattern: '^(?:Validating|Validation|Sanity Checking|Testing|Predicting|Evaluating)\\b' },
  { id: 'traceback', event: 'traceback', prefilter: ['Traceback (most recent call last)'], pattern: 'Traceback \\(most recent call last\\)' },
];
