/** Shared fixtures for the mllogs tests: corpus, engines (built once), golden files. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { REPO_ROOT, sharedPath } from '../helpers/paths';
import { createParser, type MlLogParser } from '../../constructs/mllogs/engine';
import type { CorpusRecord } from '../../constructs/mllogs/evaluate';
import { createGrokEngine, createJsEngine, createRe2Engine, loadGrokDefinitions, type RegexEngine } from '../../constructs/mllogs/regex-engine';

export interface MultilineRecord {
  readonly id: string;
  readonly framework: string;
  readonly lines: readonly string[];
  readonly expected: { readonly event: string; readonly exception_type?: string };
}

function readJsonl<T>(file: string): T[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export function trainingLogs(): CorpusRecord[] {
  return readJsonl<CorpusRecord>(sharedPath('corpus', 'training-logs.jsonl'));
}

/** Loss, learning rate, grad norm, throughput and NaN lines (corpus README, training-quality section). */
export function trainingQuality(): CorpusRecord[] {
  return readJsonl<CorpusRecord>(sharedPath('corpus', 'training-quality.jsonl'));
}

export function multilineGroups(): MultilineRecord[] {
  return readJsonl<MultilineRecord>(sharedPath('corpus', 'multiline.jsonl'));
}

export function grokDefinitions(): Map<string, string> {
  return loadGrokDefinitions(sharedPath('grok-patterns', 'legacy'));
}

let grok: Promise<RegexEngine> | undefined;
let re2: RegexEngine | undefined;

export function grokEngine(): Promise<RegexEngine> {
  grok ??= createGrokEngine(grokDefinitions());
  return grok;
}

export function re2Engine(): RegexEngine {
  re2 ??= createRe2Engine();
  return re2;
}

const parsers = new Map<string, MlLogParser>();

export async function parserFor(name: 'grok' | 're2' | 'js'): Promise<MlLogParser> {
  let p = parsers.get(name);
  if (!p) {
    p = createParser(name === 'grok' ? await grokEngine() : name === 'js' ? createJsEngine() : re2Engine());
    parsers.set(name, p);
  }
  return p;
}

export const GOLDEN_DIR = path.join(REPO_ROOT, 'test', 'mllogs', 'golden');

/** Compares text to a golden file; `UPDATE_GOLDEN=1` rewrites it instead. */
export function assertGolden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(GOLDEN_DIR, { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  assert.ok(fs.existsSync(file), `golden file ${file} is missing; run the tests with UPDATE_GOLDEN=1 to create it, then review the diff`);
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `${name} differs from its golden file; if the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff`);
}
