/** Moved to constructs/contracts/dashboards.ts (shared by every component's dashboards); kept for the library API. */
export * from '../../contracts/dashboards';
