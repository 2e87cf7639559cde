/** Moved to constructs/contracts/dashboard-variables.ts; kept for the library API. */
export * from '../contracts/dashboard-variables';
