/**
 * Start-up trim for the app entry only (never imported by the library): cdktf requires
 * `archiver` when it loads (about 130 ms, a third of cdktf's load time) for ZIP assets, which
 * this app never creates. Register a stand-in that loads the real module on first use, so the
 * behaviour is unchanged if anything ever does zip.
 */
import Module from 'node:module';
import * as path from 'node:path';

function lazyArchiver(): void {
  let resolved: string;
  try {
    resolved = require.resolve('archiver', { paths: [path.dirname(require.resolve('cdktf'))] });
  } catch {
    return; // layout differs (hoisting): keep the normal load
  }
  if (require.cache[resolved]) return;
  const stub = new Module(resolved);
  stub.filename = resolved;
  stub.loaded = true;
  stub.exports = (...args: unknown[]): unknown => {
    delete require.cache[resolved];
    const real = require(resolved) as (...a: unknown[]) => unknown;
    return real(...args);
  };
  require.cache[resolved] = stub;
}

lazyArchiver();
