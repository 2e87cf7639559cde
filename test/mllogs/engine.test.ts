/**
 * Behaviour of the catalog on hand-written lines (not corpus copies), on both engines:
 * each test is one normalization or rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochToIso } from '../../constructs/mllogs/engine';
import { parserFor } from './helpers';

async function both(line: string): Promise<Record<string, unknown>> {
  const g = (await parserFor('grok')).parse(line).fields as Record<string, unknown>;
  const r = (await parserFor('re2')).parse(line).fields as Record<string, unknown>;
  assert.deepEqual(g, r, `grok and re2 disagree on ${JSON.stringify(line)}`);
  return r;
}

test('CUDA OOM: GiB amount becomes bytes rounded half-up, GPU index and oom event', async () => {
  const f = await both('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 3.50 GiB. GPU 1 has a total capacity of 79.1 GiB');
  assert.equal(f.event, 'oom');
  assert.equal(f.oom_requested_bytes, 3758096384);
  assert.equal(f.gpu, 1);
  assert.equal(f.message, 'CUDA out of memory. Tried to allocate 3.50 GiB. GPU 1 has a total capacity of 79.1 GiB');
});

test('TensorRT timestamp MM/DD/YYYY-HH:MM:SS is rewritten to ISO and [E] to error', async () => {
  const f = await both('[12/31/2023-23:59:58] [TRT] [E] 1: [engine.cpp::foo::12] Error Code 1: Internal Error');
  assert.equal(f.timestamp, '2023-12-31T23:59:58');
  assert.equal(f.level, 'error');
  assert.equal(f.logger, 'TRT');
});

test('dmesg -T time with a one-digit day is rewritten with a zero-padded day', async () => {
  const f = await both('[Tue Feb  6 01:02:03 2024] NVRM: Xid (PCI:0000:af:00): 48, pid=77, name=python, DBE (0x1)');
  assert.equal(f.timestamp, '2024-02-06T01:02:03');
  assert.equal(f.event, 'xid');
  assert.equal(f.xid, 48);
  assert.equal(f.pci_bus, '0000:af:00');
  assert.equal(f.pid, 77);
});

test('comma fraction becomes a dot and the digits are kept', async () => {
  const f = await both('[2023-01-02 03:04:05,0070] [WARNING] [engine.py:12:step] [Rank 3] grad overflow');
  assert.equal(f.timestamp, '2023-01-02T03:04:05.0070');
  assert.equal(f.level, 'warning');
  assert.equal(f.rank, 3);
  assert.equal(f.message, 'grad overflow');
});

test('a timestamp without a year gives no timestamp', async () => {
  const f = await both('INFO 02-03 04:05:06 engine.py:99] Avg prompt throughput: 1.0 tokens/s');
  assert.equal(f.level, 'info');
  assert.equal(f.logger, 'engine.py:99');
  assert.equal(f.timestamp, undefined);
});

test('JSON line: epoch seconds become UTC ISO with the written fraction, warn becomes warning', async () => {
  const f = await both('{"level":"warn","ts":1700000000.25,"logger":"ctl","msg":"slow reconcile"}');
  assert.deepEqual(f, { level: 'warning', timestamp: '2023-11-14T22:13:20.25Z', logger: 'ctl', message: 'slow reconcile' });
});

test('a Python dict repr is text, not JSON: its metrics come from extractors', async () => {
  const f = await both("{'loss': 0.5, 'learning_rate': 2e-05, 'epoch': 1.25}");
  assert.deepEqual(f, { event: 'train_progress', loss: 0.5, learning_rate: 0.00002, epoch: 1.25 });
});

test('Keras 3 bar: ms/step is converted to seconds', async () => {
  const f = await both('12/12 ━━━━━━━━━━━━━━━━━━━━ 1s 80ms/step - accuracy: 0.5000 - loss: 1.2500');
  assert.equal(f.step_time_s, 0.08);
  assert.equal(f.step, 12);
  assert.equal(f.steps_total, 12);
  assert.equal(f.accuracy, 0.5);
  assert.equal(f.loss, 1.25);
  assert.equal(f.event, 'train_progress');
});

test('a validation bar carries counters but no event', async () => {
  const f = await both('Validating:  50%|█████     | 5/10 [00:01<00:01,  4.20it/s]');
  assert.equal(f.step, 5);
  assert.equal(f.throughput, 4.2);
  assert.equal(f.throughput_unit, 'it/s');
  assert.equal(f.event, undefined);
});

test('the watchdog timeout rule wins over the progress bar it was written after', async () => {
  const f = await both('Epoch 2:  10%|█ | 5/50 [00:05<00:45, 1.00it/s, loss=0.3][E ProcessGroupNCCL.cpp:900] [Rank 2] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=7)');
  assert.equal(f.event, 'nccl_timeout');
  assert.equal(f.rank, 2);
  assert.equal(f.level, 'error');
  assert.equal(f.epoch, 2);
  assert.equal(f.loss, 0.3);
});

test('benign NCCL WARN gets no event, a failing one gets nccl_error', async () => {
  const benign = await both('node7:100:200 [1] NCCL INFO NET/IB : No device found.');
  assert.equal(benign.event, undefined);
  const failing = await both('node7:100:200 [1] transport.cc:50 NCCL WARN Connect to 10.1.1.1 failed : Connection refused');
  assert.equal(failing.event, 'nccl_error');
  assert.equal(failing.level, 'warning');
  assert.equal(failing.host, 'node7');
  assert.equal(failing.pid, 100);
  assert.equal(failing.gpu, 1);
  assert.equal(failing.logger, 'transport.cc:50');
});

test('local_rank is not rank, an unlabelled number is not pid', async () => {
  const f = await both('I0101 10:00:00.000000 4242 launcher.py:10] starting worker local_rank: 3');
  assert.equal(f.rank, undefined);
  assert.equal(f.pid, undefined);
});

test('a level word outside the schema is dropped, not passed through', async () => {
  const f = await both('2024-05-06 07:08:09,100 - trainer - BOGUS - hello');
  assert.equal(f.level, undefined);
  assert.equal(f.logger, 'trainer');
});

test('epochToIso keeps the fraction digits as written', () => {
  assert.equal(epochToIso(1620772953.0701418), '2021-05-11T22:42:33.0701418Z');
  assert.equal(epochToIso(0), '1970-01-01T00:00:00Z');
  assert.equal(epochToIso(-1), undefined);
});
