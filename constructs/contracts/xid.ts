/**
 * The Xid errors that page, with their meaning and the action NVIDIA recommends (NVIDIA, "Xid
 * Errors", https://docs.nvidia.com/deploy/xid-errors/index.html). Pure data.
 *
 * Other Xids (13 graphics engine exception, 31 memory page fault, 43 GPU stopped processing,
 * 45 preemptive cleanup...) are usually caused by the application, not the GPU: they raise a
 * warning (GpuXidError), never a page.
 */

export interface CriticalXid {
  /** Alert name. */
  readonly alert: string;
  /** Xid codes this alert covers. */
  readonly codes: readonly number[];
  /** What the Xid means. */
  readonly meaning: string;
  /** What NVIDIA recommends, as the on-call engineer's first action. */
  readonly action: string;
}

export const XID_DOCS_URL = 'https://docs.nvidia.com/deploy/xid-errors/index.html';

/** Xid 79: the GPU has fallen off the bus (the GpuFellOffBus alert, an inhibition source). */
export const XID_FELL_OFF_BUS = 79;

export const CRITICAL_XIDS: readonly CriticalXid[] = [
  {
    alert: 'GpuXidDoubleBitEcc',
    codes: [48],
    meaning: 'Xid 48: double-bit (uncorrectable) ECC error in GPU memory; the application using it was likely corrupted',
    action: 'Drain the node, then reset the GPU (nvidia-smi -r) or reboot so that the page is retired/row remapped; if Xid 48 comes back after the reset, file an RMA.',
  },
  {
    alert: 'GpuXidRowRemapEvent',
    codes: [63, 64],
    meaning: 'Xid 63/64: ECC page retirement or row-remapping recording event (64: the recording failed)',
    action: 'Drain the node and reset the GPU to apply the pending remap; on Xid 64, or if DCGM_FI_DEV_ROW_REMAP_FAILURE is 1 after the reset, file an RMA.',
  },
  {
    alert: 'GpuXidNvlinkError',
    codes: [74],
    meaning: 'Xid 74: NVLink error (a link detected errors it could not recover from)',
    action: 'Drain the node and reset all GPUs on the NVLink fabric (or reboot); check the NVLink bridge/baseboard; if it repeats on the same link, file an RMA.',
  },
  {
    alert: 'GpuFellOffBus',
    codes: [XID_FELL_OFF_BUS],
    meaning: 'Xid 79: the GPU has fallen off the bus and is no longer reachable by the driver',
    action: 'Cordon and drain the node, then reboot it; check PCIe seating, power and cooling; if the GPU falls off the bus again, file an RMA.',
  },
  {
    alert: 'GpuXidHighSingleBitEccRate',
    codes: [92],
    meaning: 'Xid 92: high single-bit ECC error rate',
    action: 'Reset the GPU at the next maintenance window; if the rate stays high after the reset, file an RMA.',
  },
  {
    alert: 'GpuXidContainedEccError',
    codes: [94],
    meaning: 'Xid 94: contained uncorrectable ECC error; only the application using the memory was stopped',
    action: 'Restart the affected job; reset the GPU when it is free so that the row is remapped; drain the node if Xid 94 repeats.',
  },
  {
    alert: 'GpuXidUncontainedEccError',
    codes: [95],
    meaning: 'Xid 95: uncontained uncorrectable ECC error; every application on the GPU is affected',
    action: 'Drain the node and reset the GPU (reboot if MIG is on or the reset fails) before scheduling work on it again.',
  },
  {
    alert: 'GpuXidGspError',
    codes: [119, 120],
    meaning: 'Xid 119/120: the GPU System Processor (GSP) timed out or reported an error',
    action: 'Drain the node and reset the GPU or reboot; if it repeats, update the driver (or disable GSP firmware) and contact NVIDIA support.',
  },
];

/** Every Xid code that pages. */
export const CRITICAL_XID_CODES: readonly number[] = CRITICAL_XIDS.flatMap((x) => x.codes);
