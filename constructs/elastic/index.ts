export * from './names';
export * from './eck-operator.values';
export * from './elasticsearch.render';
export * from './kibana.render';
export * from './ilm.render';
export * from './setup-job.render';
export * from './logstash.render';
export * from './elastic-pipeline';
