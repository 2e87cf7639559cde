/**
 * The executor of generated Alloy stages (test/helpers/alloy-executor) honours the label stages
 * the way Alloy's internal/component/loki/process/stages do, since the catalog's first-match-wins
 * gates depend on them: stage.labels (labels.go: a label is set whenever the extracted key
 * exists, even to "", and only to valid UTF-8), static_labels, label_drop, label_keep, and
 * stage.match reading the entry's current labels (match.go: e.Labels[name], "" when absent).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAlloyPipeline } from '../helpers/alloy-executor';

test('stage.labels sets a label from a present extracted key (an empty value included) and a later match reads it', () => {
  const p = loadAlloyPipeline(`
stage.regex {
  expression = "^(?P<a>x)?(?P<b>y)?"
}
stage.labels {
  values = {
    la = "a",
    lb = "b",
    missing = "nope",
  }
}
stage.match {
  selector = "{la=\\"x\\"}"
  // hit
  stage.regex {
    expression = "(?P<hit>.)"
  }
}
stage.match {
  selector = "{lb=\\"\\"}"
  // empty reads as absent
  stage.regex {
    expression = "(?P<empty>.)"
  }
}
`);
  const run = p.run('xz');
  assert.deepEqual(run.labels, { la: 'x', lb: '' });
  assert.deepEqual(run.regexRuns, ['stage.regex', 'hit', 'empty reads as absent']);
  const other = p.run('zz');
  assert.deepEqual(other.labels, { la: '', lb: '' }, 'the regex matched the empty prefix: both keys exist, empty');
  assert.deepEqual(other.regexRuns, ['stage.regex', 'empty reads as absent']);
});

test('stage.labels with an empty source names the extracted key of the label\'s own name', () => {
  const p = loadAlloyPipeline(`
stage.regex {
  expression = "^(?P<k>.)"
}
stage.labels {
  values = {
    k = "",
  }
}
`);
  assert.deepEqual(p.run('ab').labels, { k: 'a' });
});

test('a label set inside a match block stays set after it; label_drop, label_keep and static_labels change the set', () => {
  const p = loadAlloyPipeline(`
stage.match {
  selector = "{app=\\"a\\"} |= \\"go\\""
  stage.static_labels {
    values = {
      seen = "1",
    }
  }
}
stage.match {
  selector = "{seen=\\"\\"}"
  // only when not seen
  stage.regex {
    expression = "(?P<unseen>.)"
  }
}
stage.label_drop {
  values = ["seen"]
}
stage.label_keep {
  values = ["app", "kept"]
}
`);
  const go = p.run('go', { app: 'a', pod: 'p' });
  assert.deepEqual(go.regexRuns, []);
  assert.deepEqual(go.labels, { app: 'a' });
  const stop = p.run('stop', { app: 'a', pod: 'p' });
  assert.deepEqual(stop.regexRuns, ['only when not seen']);
  assert.deepEqual(stop.labels, { app: 'a' }, 'pod is not in the keep list');
});

test('the catalog\'s first-match-wins gates, executed: a line two formats match runs the second format\'s regex only when the first did not match', () => {
  const p = loadAlloyPipeline(`
stage.match {
  selector = "{mlobs_json=\\"\\", mlobs_fmt=\\"\\"} |= \\"a\\""
  // format one
  stage.regex {
    expression = "(?P<one__m>^a+)"
  }
  stage.labels {
    values = {
      mlobs_fmt = "one__m",
    }
  }
}
stage.match {
  selector = "{mlobs_json=\\"\\", mlobs_fmt=\\"\\"}"
  // format two
  stage.regex {
    expression = "(?P<two__m>^.+)"
  }
}
`);
  assert.deepEqual(p.run('aab').regexRuns, ['format one']);
  assert.deepEqual(p.run('bab').regexRuns, ['format one', 'format two'], 'the first gate opened, its regex failed: the label stays unset');
  assert.deepEqual(p.run('bbb').regexRuns, ['format two']);
  assert.deepEqual(p.run('bbb', { mlobs_json: '{' }).regexRuns, [], 'a JSON line runs no format');
});
