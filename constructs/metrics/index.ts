export * from './alertmanager-config.render';
export * from './kube-prometheus-stack.values';
export * from './grafana.values';
export * from '../contracts/dashboards';
export * from './dashboards/stack-health';
export * from './dashboards/dashboard-config-map.render';
export * from './kube-prometheus-stack';
export * from './settings';
