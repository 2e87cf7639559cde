/** Moved to constructs/contracts/log-metrics.ts (shared by both log pipelines and training); kept for the library API. */
export * from '../contracts/log-metrics';
