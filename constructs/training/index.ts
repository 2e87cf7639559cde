export * from '../contracts/log-metrics';
export * from './training-rules';
export * from './pod-monitor.render';
export * from './dashboards';
export * from './training-monitoring';
export * from './settings';
export * from './log-rules';
