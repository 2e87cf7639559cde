/** A dashboard as a ConfigMap the Grafana sidecar loads: the shared renderer in contracts/. */
export { renderDashboardConfigMap } from '../../contracts/dashboard-variables';
