/**
 * The responder's runtime files, for whoever ships it (the stack's ConfigMap): the compiled
 * JavaScript under dist/ that `node <entry>` loads, and nothing else (no node_modules; a test
 * holds the compiled files' require() calls to node: builtins and this list). Pure data.
 */

/** One compiled file: its path under dist/ (and under the mount directory), and a ConfigMap-safe key. */
export interface RuntimeFile {
  /** Path relative to dist/ and to the directory the files are mounted in. */
  readonly path: string;
  /** A ConfigMap data key ([-._a-zA-Z0-9]+). */
  readonly key: string;
}

/** The entry point, relative to the mount directory: `node <mount>/responder/main.js`. */
export const RESPONDER_ENTRY = 'responder/main.js';

/**
 * Every file the entry loads (transitively). Mount each `key` at its `path` under one directory
 * (a ConfigMap volume's `items: [{key, path}]` keeps the layout) and run
 * `node <dir>/responder/main.js`.
 */
export const RESPONDER_RUNTIME_FILES: readonly RuntimeFile[] = [
  'responder/main.js',
  'responder/server.js',
  'responder/policy.js',
  'responder/kube.js',
  'responder/webhook.js',
  'constructs/contracts/xid.js',
].map((path) => ({ path, key: path.replace(/\//g, '.') }));
