/**
 * Multiline grouping of Python tracebacks (and C++ stacks) into one event, as one rule:
 * a *continuation* regex (RE2, Go syntax) — a line matching it belongs to the event before it.
 * Compiled to Filebeat (`multiline.type: pattern`, `negate: false`, `match: after`) and to
 * Alloy/Promtail. Alloy/Promtail only know a `firstline` regex and RE2 has no negative
 * look-ahead, so continuation lines are first marked with a private-use character by a
 * `replace` stage (the same regex), `firstline` is "does not start with the mark", and the
 * mark is removed after grouping.
 */

export interface MultilineRule {
  /** RE2 regex matching a line that continues the previous event. */
  readonly continuation: string;
  /** Most lines in one event. */
  readonly maxLines: number;
  /** Flush an incomplete event after this long (Go duration). */
  readonly maxWait: string;
}

/** Optional syslog/Jenkins time prefix written before every line of a block (`Nov 20 16:04:11 `). */
const LINE_PREFIX = '(?:[A-Z][a-z]{2} +\\d{1,2} \\d{2}:\\d{2}:\\d{2} )?';

/** Shapes of traceback/stack continuation lines (after the optional prefix). */
const CONTINUATIONS: readonly string[] = [
  '\\s', // indented frame/code lines, `  traceback : Traceback ...`, carets
  '$', // blank line inside an IPython traceback
  'File "[^"]*", line \\d+', // frame header whose indentation was lost
  '(?:[A-Za-z_]\\w*\\.)*[A-Za-z_]\\w*(?:Error|Exception|Exit|Interrupt|Failure|Warning)(?::|$|\\s)', // final `Type: text` line, IPython header
  '(?:[A-Za-z_]\\w*\\.)*Exception(?::|$)', // bare `Exception: text`
  'During handling of the above exception', // chained exception separator
  'The above exception was the direct cause',
  '-{3,}> ?\\d+ ', // IPython `----> 6 code`
  '(?:Input In|Cell In) ?\\[\\d+\\]', // IPython cell reference
  'NCCL error in: ', // c10d error line ending an NCCL traceback
  'loss_dict = ', // detectron2 NaN-loss message continued on a second line
  'OOM when allocating tensor', // TensorFlow ResourceExhaustedError detail
  'frame #\\d+: ', // C++ stack frame (c10::Error)
  'Exception raised from ', // c10 C++ error origin
  'what\\(\\): ', // std::exception what()
];

export const TRACEBACK_MULTILINE: MultilineRule = {
  continuation: `^${LINE_PREFIX}(?:${CONTINUATIONS.join('|')})`,
  maxLines: 500,
  maxWait: '3s',
};

/** Groups lines into events the way the compiled rule does, given a regex test function (RE2 in tests). */
export function groupLines(lines: readonly string[], isContinuation: (line: string) => boolean): string[][] {
  const events: string[][] = [];
  for (const line of lines) {
    const last = events[events.length - 1];
    if (last && isContinuation(line) && last.length < TRACEBACK_MULTILINE.maxLines) last.push(line);
    else events.push([line]);
  }
  return events;
}

/** Filebeat `multiline` settings (for a `log` input's `multiline.*` or a filestream `parsers: [{multiline: ...}]`). */
export interface FilebeatMultiline {
  readonly type: 'pattern';
  readonly pattern: string;
  readonly negate: false;
  readonly match: 'after';
  readonly max_lines: number;
  readonly timeout: string;
}

/** @see https://www.elastic.co/guide/en/beats/filebeat/current/multiline-examples.html */
export function compileFilebeatMultiline(rule: MultilineRule = TRACEBACK_MULTILINE): FilebeatMultiline {
  return { type: 'pattern', pattern: rule.continuation, negate: false, match: 'after', max_lines: rule.maxLines, timeout: rule.maxWait };
}

/** Private-use character marking continuation lines between the Loki agent stages. */
export const CONTINUATION_MARK = '\uE000';
const MARK_RE2 = '\\x{E000}';

/** The three Loki-agent stages: mark continuation lines, group on unmarked first lines, unmark. */
export function lokiMultilineStages(rule: MultilineRule = TRACEBACK_MULTILINE): readonly [
  { readonly replace: { readonly expression: string; readonly replace: string } },
  { readonly multiline: { readonly firstline: string; readonly max_lines: number; readonly max_wait_time: string } },
  { readonly replace: { readonly expression: string; readonly replace: string } },
] {
  // the empty group at the start of a continuation line is replaced by the mark
  const mark = `^()${rule.continuation.replace(/^\^/, '(?:')})`;
  return [
    { replace: { expression: mark, replace: CONTINUATION_MARK } },
    { multiline: { firstline: `^[^${MARK_RE2}]`, max_lines: rule.maxLines, max_wait_time: rule.maxWait } },
    { replace: { expression: `(${MARK_RE2})`, replace: '' } },
  ];
}

/** Promtail `pipeline_stages` entries (place before the parsing stages). */
export function compilePromtailMultiline(rule: MultilineRule = TRACEBACK_MULTILINE): readonly Readonly<Record<string, unknown>>[] {
  return lokiMultilineStages(rule);
}

function river(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (code < 0x20 || (code >= 0xe000 && code <= 0xf8ff)) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** Alloy stage blocks for `loki.process` (place before the parsing stages). */
export function compileAlloyMultiline(rule: MultilineRule = TRACEBACK_MULTILINE): string {
  const [mark, group, unmark] = lokiMultilineStages(rule);
  return [
    '// Generated by mlobs: group Python tracebacks / C++ stacks into one entry.',
    '// 1. mark continuation lines (RE2 has no negative look-ahead for firstline)',
    'stage.replace {',
    `  expression = ${river(mark.replace.expression)}`,
    `  replace    = ${river(mark.replace.replace)}`,
    '}',
    '// 2. a line without the mark starts an entry',
    'stage.multiline {',
    `  firstline     = ${river(group.multiline.firstline)}`,
    `  max_lines     = ${group.multiline.max_lines}`,
    `  max_wait_time = ${river(group.multiline.max_wait_time)}`,
    '}',
    '// 3. remove the marks',
    'stage.replace {',
    `  expression = ${river(unmark.replace.expression)}`,
    `  replace    = ""`,
    '}',
    '',
  ].join('\n');
}
