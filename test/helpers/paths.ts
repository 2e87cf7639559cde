import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root (this file compiles to dist/test/helpers/paths.js). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * The shared reference data (`../shared` beside the checkout). Tests read charts, CRDs,
 * grok patterns and the corpus from here and never copy them into the project.
 * Override with MLOBS_SHARED_DIR.
 */
export const SHARED_DIR = path.resolve(process.env.MLOBS_SHARED_DIR ?? path.join(REPO_ROOT, '..', 'shared'));

export function sharedPath(...parts: string[]): string {
  const p = path.join(SHARED_DIR, ...parts);
  if (!fs.existsSync(p)) {
    throw new Error(`shared reference data not found: ${p} (is ../shared beside the checkout? set MLOBS_SHARED_DIR)`);
  }
  return p;
}
