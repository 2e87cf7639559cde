/** The README's Loki section stays true: its example LogQL parses and selects only allowlisted labels. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXTERNAL_LABELS, LOKI_LABEL_ALLOWLIST, COLLECTOR_MODULES } from '../../constructs/loki';
import { REPO_ROOT } from '../helpers/paths';
import { syntaxErrors } from '../helpers/promql';

function lokiSection(): string {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Loki pipeline\n');
  assert.ok(start >= 0, 'README has a "Loki pipeline" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

test('README: every example LogQL parses with @grafana/lezer-logql and selects only allowlisted labels', () => {
  const blocks = [...lokiSection().matchAll(/```logql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
  assert.ok(blocks.length >= 5, `${blocks.length} examples`);
  const allowed = new Set<string>([...LOKI_LABEL_ALLOWLIST, ...EXTERNAL_LABELS]);
  for (const q of blocks) {
    assert.deepEqual(syntaxErrors('logql', q), [], q);
    for (const sel of q.matchAll(/\{([^}]*)\}/g)) {
      for (const m of sel[1]!.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) assert.ok(allowed.has(m[1]!), `${q}: "${m[1]}" is not a label`);
    }
  }
});

test('README: the label list and the Promtail end of life match the code', () => {
  const s = lokiSection();
  for (const l of LOKI_LABEL_ALLOWLIST) assert.match(s, new RegExp('`' + l + '`'), l);
  assert.ok(s.includes(`end of life ${COLLECTOR_MODULES.promtail.deprecated?.endOfLife}`));
});
