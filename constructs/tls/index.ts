export * from './tls';
export * from './issuer.render';
export * from './cert-manager.values';
export * from './settings';
export * from './cert-manager-monitor.render';
