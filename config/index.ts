export * from './schema/environment';
export * from './schema/primitives';
export * from './errors';
export * from './load';
