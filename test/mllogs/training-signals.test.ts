/**
 * Training signals on lines written for these tests (none is in the corpus): one or more per
 * framework family, with other numbers, spacing and spellings than the corpus lines, so the
 * catalog is shown to read the family and not the corpus. Every line runs on re2, grok and js.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parserFor } from './helpers';

interface Case {
  readonly family: string;
  readonly line: string;
  /** Fields that must be extracted with exactly these values (others are not checked). */
  readonly fields: Readonly<Record<string, string | number>>;
  /** Fields that must be absent. */
  readonly absent?: readonly string[];
}

const CASES: readonly Case[] = [
  {
    family: 'Megatron-LM',
    line: ' iteration     1500/  500000 | consumed samples:       768000 | elapsed time per iteration (ms): 1234.5 | learning rate: 2.500E-04 | global batch size:   512 | lm loss: 3.141593E+00 | loss scale: 65536.0 | grad norm: 1.234 | number of skipped iterations:   0 | number of nan iterations:   0 |',
    fields: { event: 'train_progress', step: 1500, steps_total: 500000, step_time_s: 1.2345, learning_rate: 0.00025, loss: 3.141593, grad_norm: 1.234 },
  },
  {
    family: 'Megatron-LM with a time stamp',
    line: '[2025-01-02 03:04:05] iteration       10/     100 | consumed samples:         1280 | elapsed time per iteration (ms): 950.0 | learning rate: 1.000000E-05 | global batch size:   128 | lm loss: 9.876543E+00 | loss scale: 1.0 | grad norm: 12.500 | number of skipped iterations:   0 | number of nan iterations:   0 |',
    fields: { timestamp: '2025-01-02T03:04:05', event: 'train_progress', step: 10, steps_total: 100, step_time_s: 0.95, loss: 9.876543, grad_norm: 12.5 },
  },
  {
    family: 'Megatron-DeepSpeed',
    line: 'iteration      200/    2000 | consumed samples:         6400 | elapsed time per iteration (ms): 2500.0 | learning rate: 3.000E-04 | global batch size:    32 | lm loss: 4.567890E+00 | loss scale: 4096.0 | grad norm: 0.987 | actual seqlen:  4096 | number of skipped iterations:   0 | number of nan iterations:   0 | samples per second: 12.800 | TFLOPs: 150.00 |',
    fields: { step: 200, steps_total: 2000, step_time_s: 2.5, loss: 4.56789, throughput: 12.8, throughput_unit: 'samples/s' },
  },
  {
    family: 'Megatron-LM NaN',
    line: ' iteration       42/    1000 | consumed samples:         5376 | elapsed time per iteration (ms): 800.0 | learning rate: 1.000E-04 | global batch size:   128 | lm loss: NAN | loss scale: 1.0 | grad norm: inf | number of skipped iterations:   0 | number of nan iterations:   1 |',
    fields: { event: 'nan_loss', step: 42, steps_total: 1000, learning_rate: 0.0001 },
    absent: ['loss', 'grad_norm'],
  },
  {
    family: 'NeMo 2',
    line: 'Training epoch 2, iteration 99/4999 | lr: 2.999e-05 | global_batch_size: 256 | global_step: 10099 | reduced_train_loss: 1.873 | train_step_timing in s: 0.6329 | consumed_samples: 2585600',
    fields: { event: 'train_progress', epoch: 2, learning_rate: 2.999e-5, loss: 1.873, step_time_s: 0.6329 },
  },
  {
    family: 'torchtitan',
    line: '[rank3]:[titan] 2025-02-03 10:11:12,345 - root - INFO - step: 1200  loss:  2.7182  grad_norm:  0.4142  memory: 61.20GiB(77.41%)  tps: 12,345  tflops: 410.12  mfu: 41.47%',
    fields: { rank: 3, level: 'info', timestamp: '2025-02-03T10:11:12.345', logger: 'root', event: 'train_progress', step: 1200, loss: 2.7182, grad_norm: 0.4142, throughput: 12345, throughput_unit: 'tokens/s' },
  },
  {
    family: 'torchtitan with colour fragments',
    line: '[rank0]:[titan] 2025-02-03 10:11:13,000 - root - INFO - [31mstep:  5  [32mloss:  9.8765  [33mmemory:  3.10GiB(3.92%)  [34mtps: 1,234,567  [36mtflops: 12.34  [35mmfu: 1.25%[39m',
    fields: { step: 5, loss: 9.8765, throughput: 1234567, throughput_unit: 'tokens/s' },
  },
  {
    family: 'nanoGPT',
    line: 'iter 2500: loss 3.2101, time 98.76ms, mfu 35.20%',
    fields: { event: 'train_progress', step: 2500, loss: 3.2101, step_time_s: 0.09876 },
  },
  {
    family: 'nanoGPT evaluation',
    line: 'step 3000: train loss 2.9000, val loss 3.0500',
    fields: { event: 'eval_metrics', step: 3000, loss: 2.9, eval_loss: 3.05 },
  },
  {
    family: 'nanochat',
    line: 'step 01000/05000 (20.00%) | loss: 3.456789 | lrm: 0.90 | dt: 512.00ms | tok/sec: 1,024,000 | mfu: 45.00 | total time: 8.53m',
    fields: { step: 1000, steps_total: 5000, loss: 3.456789, step_time_s: 0.512, throughput: 1024000, throughput_unit: 'tokens/s' },
  },
  {
    family: 'modded-nanogpt',
    line: 'step:1250/1750 train_time:300000ms step_avg:240.00ms',
    fields: { event: 'train_progress', step: 1250, steps_total: 1750, step_time_s: 0.24 },
  },
  {
    family: 'litgpt',
    line: 'Epoch 2 | iter 640 step 20 | loss train: 2.345, val: 2.456 | iter time: 250.50 ms',
    fields: { epoch: 2, step: 20, loss: 2.345, step_time_s: 0.2505 },
  },
  {
    family: 'mmengine',
    line: '2024/05/06 07:08:09 - mmengine - INFO - Epoch(train)  [12][ 400/1251]  base_lr: 1.0000e-03 lr: 1.0000e-03  eta: 1 day, 2:03:04  time: 0.5000  data_time: 0.0100  memory: 20000  grad_norm: 5.4321  loss: 1.2345',
    fields: { logger: 'mmengine', event: 'train_progress', epoch: 12, step: 400, steps_total: 1251, learning_rate: 0.001, grad_norm: 5.4321, loss: 1.2345 },
    absent: ['step_time_s'],
  },
  {
    family: 'mmengine NaN grad norm',
    line: '2024/05/06 07:18:09 - mmengine - INFO - Epoch(train)  [12][ 450/1251]  lr: 1.0000e-03  eta: 1 day, 1:59:00  time: 0.5010  data_time: 0.0100  memory: 20000  grad_norm: nan  loss: 1.3456',
    fields: { event: 'nan_loss', loss: 1.3456 },
    absent: ['grad_norm'],
  },
  {
    family: 'HF Trainer summary',
    line: "{'train_runtime': 1234.5, 'train_samples_per_second': 25.6, 'train_steps_per_second': 3.2, 'train_loss': 0.789, 'epoch': 3.0}",
    fields: { throughput: 25.6, throughput_unit: 'samples/s', loss: 0.789, epoch: 3 },
  },
  {
    family: 'HF Trainer infinite grad norm',
    line: "{'loss': 1.1, 'grad_norm': inf, 'learning_rate': 1e-05, 'epoch': 0.3}",
    fields: { event: 'nan_loss', loss: 1.1, learning_rate: 1e-5, epoch: 0.3 },
    absent: ['grad_norm'],
  },
  {
    family: 'torchtune',
    line: 'Step 50 | loss:1.2345 lr:2e-05 tokens_per_second_per_gpu:2345.6 grad_norm:0.9876',
    fields: { event: 'train_progress', step: 50, loss: 1.2345, learning_rate: 2e-5, throughput: 2345.6, throughput_unit: 'tokens/s', grad_norm: 0.9876 },
  },
  {
    family: 'fairseq',
    line: '| epoch 002:    100 / 500 loss=5.432, nll_loss=4.321, ppl=21.3, wps=12345, ups=1.2, wpb=8192, bsz=256, num_updates=600, lr=0.0005, gnorm=0.876, clip=0%, oom=0, wall=600',
    fields: { epoch: 2, step: 100, steps_total: 500, loss: 5.432, learning_rate: 0.0005, grad_norm: 0.876, throughput: 1.2, throughput_unit: 'it/s' },
  },
  {
    family: 'fairseq JSON',
    line: '{"epoch": 3, "update": 2.5, "loss": "4.321", "nll_loss": "3.2", "ups": "3.1", "num_updates": 1200, "lr": 0.0004, "gnorm": "0.456"}',
    fields: { event: 'train_progress', epoch: 3, step: 1200, loss: 4.321, learning_rate: 0.0004, grad_norm: 0.456 },
  },
  {
    family: 'DeepSpeed timer',
    line: '[2024-01-01 00:00:00,000] [INFO] [timer.py:260:stop] epoch=0/micro_step=100/global_step=100, RunningAvgSamplesPerSec=50.1, CurrSamplesPerSec=52.3, MemAllocated=10.5GB, MaxMemAllocated=20.1GB',
    fields: { throughput: 52.3, throughput_unit: 'samples/s' },
  },
  {
    family: 'TensorFlow estimator',
    line: 'INFO:tensorflow:global_step/sec: 12.5',
    fields: { event: 'train_progress', throughput: 12.5, throughput_unit: 'it/s' },
  },
  {
    family: 'plain print (issue example)',
    line: 'Step 100: loss=2.34, lr=1e-4, time=0.125s',
    fields: { event: 'train_progress', step: 100, loss: 2.34, learning_rate: 1e-4, step_time_s: 0.125 },
  },
  {
    family: 'plain print with blanks only',
    line: 'Epoch 3 Step 500 Loss 0.1234 LR 3.0e-04 grad-norm 2.5',
    fields: { epoch: 3, step: 500, loss: 0.1234, learning_rate: 3e-4, grad_norm: 2.5 },
  },
  {
    family: 'clipping line',
    line: 'Gradient norm exceeded threshold: 15.3',
    fields: { event: 'train_progress', grad_norm: 15.3 },
  },
  {
    family: 'throughput with a K suffix',
    line: 'step 10 | loss 7.25 | tokens/s: 16.88K',
    fields: { step: 10, loss: 7.25, throughput: 16880, throughput_unit: 'tokens/s' },
  },
  {
    family: 'value before unit, first one wins',
    line: 'epoch 3 | 256.0 samples/s | 4.5 it/s',
    fields: { throughput: 256, throughput_unit: 'samples/s' },
  },
  {
    family: 'seconds per step as a rate',
    line: 'global step 700, loss 0.52 (2.34 sec/step)',
    fields: { step: 700, loss: 0.52, step_time_s: 2.34 },
  },
];

/** Non-finite lines in other spellings and capitalizations than the corpus. */
const NAN_LINES: readonly string[] = [
  'Loss: nan',
  'LOSS: NaN',
  'loss = -inf',
  'loss=inf',
  'Loss became NaN at step 3420',
  'train loss: Infinity',
  'The gradient norm is NaN, skipping update',
  "'loss': tensor(nan, device='cuda:0', grad_fn=<AddBackward0>)",
  "RuntimeError: Function 'LogSoftmaxBackward0' returned nan values in its 0th output.",
  'RuntimeError: The total norm of order 2.0 for gradients from `parameters` is non-finite, so it cannot be clipped.',
  'Detected inf loss at iteration 12, stopping',
  '100/100 [==============================] - 5s 50ms/step - loss: nan - accuracy: 0.1000',
  '  5/100      3.1G        nan        nan        nan         12        640: 100%|██████████| 10/10 [00:05<00:00,  1.90it/s]',
];

/** Lines that mention `nan`/`inf` without a non-finite training value. */
const NOT_NAN_LINES: readonly string[] = [
  "Cloning into 'nanoGPT'...",
  'Finance dataset loaded: 1200 rows',
  'Running inference on 8 GPUs',
  'iteration      100/    1000 | lm loss: 2.500000E+00 | loss scale: 1.0 | grad norm: 0.500 | number of skipped iterations:   0 | number of nan iterations:   0 |',
  'loss: 0.5 (inputs passed through nan_to_num)',
  'Gradient overflow. Skipping step, loss scaler 0 reducing loss scale to 32768.0',
  'loss info written to metrics.json',
  'Information: normalization layers initialised',
  'grad norm: 15.3',
];

for (const engine of ['re2', 'grok', 'js'] as const) {
  for (const c of CASES) {
    test(`${engine}: ${c.family} line gives its training fields`, async () => {
      const fields = (await parserFor(engine)).parse(c.line).fields as Record<string, unknown>;
      const picked = Object.fromEntries(Object.keys(c.fields).map((k) => [k, fields[k]]));
      assert.deepEqual(picked, c.fields, `${c.line}\n-> ${JSON.stringify(fields)}`);
      for (const k of c.absent ?? []) assert.equal(fields[k], undefined, `${k} must be absent: ${JSON.stringify(fields)}`);
    });
  }

  test(`${engine}: non-finite values in any spelling are nan_loss, never a number`, async () => {
    const p = await parserFor(engine);
    for (const line of NAN_LINES) {
      const f = p.parse(line).fields;
      assert.equal(f.event, 'nan_loss', `${line} -> ${JSON.stringify(f)}`);
      assert.equal(f.loss, undefined, `${line}: a non-finite loss is not written as a number`);
    }
  });

  test(`${engine}: nan inside a word, NaN-iteration counts and finite grad norms are not nan_loss`, async () => {
    const p = await parserFor(engine);
    for (const line of NOT_NAN_LINES) assert.notEqual(p.parse(line).fields.event, 'nan_loss', line);
  });
}
