export * from './loki';
export * from './loki.values';
export * from './loki-pipeline';
export * from './collectors';
export * from './alloy.render';
export * from './promtail.render';
export * from './labels';
export * from './ruler.render';
