/** Moved to constructs/contracts/xid.ts (shared by GPU, training and Loki); kept for the library API. */
export * from '../contracts/xid';
