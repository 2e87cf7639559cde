/**
 * Alertmanager message templates: one template file (`mlobs.tmpl`, delivered through the chart's
 * `alertmanager.templateFiles` into /etc/alertmanager/config/) whose named templates every
 * receiver uses, so Slack, email, PagerDuty, Teams, Opsgenie and WeChat say the same thing:
 * what fired, in which environment, for which job, node and GPU, the rule's description (which
 * states the value) and the runbook link. A config may replace any of them
 * (`alertmanager.messageTemplates`). Pure: no cdktf import.
 */
/** Message templates a config may replace (Go templates, Alertmanager's notification data). */
export const MESSAGE_TEMPLATE_NAMES = ['title', 'text', 'emailSubject', 'emailHtml', 'pagerdutyDescription'] as const;
export type MessageTemplateName = (typeof MESSAGE_TEMPLATE_NAMES)[number];

/** The file name in the Alertmanager config directory, and the glob the config loads. */
export const TEMPLATE_FILE = 'mlobs.tmpl';
export const TEMPLATE_DIR = '/etc/alertmanager/config';

/** The Go template name of a replaceable template. */
export const templateName = (n: MessageTemplateName): string => `mlobs.${n}`;
/** A receiver field that renders one of them. */
export const useTemplate = (n: MessageTemplateName): string => `{{ template "${templateName(n)}" . }}`;

/** The defaults. Alertmanager's data: .Status, .Alerts (each .Labels, .Annotations), .CommonLabels, .CommonAnnotations. */
export const DEFAULT_MESSAGE_TEMPLATES: Readonly<Record<MessageTemplateName, string>> = {
  title:
    '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}' +
    ' ({{ with .CommonLabels.environment }}{{ . }}{{ else }}{{ .CommonLabels.cluster }}{{ end }})',
  text:
    '{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\n' +
    '{{ with .Labels.environment }}environment: {{ . }}  {{ end }}{{ with .Labels.job }}job: {{ . }}  {{ end }}' +
    '{{ with .Labels.node }}node: {{ . }}  {{ end }}{{ with .Labels.gpu }}gpu: {{ . }}  {{ end }}severity: {{ .Labels.severity }}\n' +
    '{{ with .Annotations.runbook_url }}runbook: {{ . }}\n{{ end }}\n{{ end }}',
  emailSubject: '{{ template "mlobs.title" . }}',
  emailHtml:
    '<h3>{{ template "mlobs.title" . }}</h3>{{ range .Alerts }}<p><b>{{ .Annotations.summary }}</b><br>{{ .Annotations.description }}<br>' +
    '{{ range .Labels.SortedPairs }}{{ .Name }}={{ .Value }} {{ end }}{{ with .Annotations.runbook_url }}<br><a href="{{ . }}">runbook</a>{{ end }}</p>{{ end }}',
  pagerdutyDescription: '{{ template "mlobs.title" . }}: {{ .CommonAnnotations.summary }}',
};

/** The template file: every named template, the config's replacement where it gives one. */
export function renderTemplateFile(overrides: Readonly<Partial<Record<MessageTemplateName, string>>> = {}): string {
  return (
    MESSAGE_TEMPLATE_NAMES.map((n) => `{{ define "${templateName(n)}" }}${overrides[n] ?? DEFAULT_MESSAGE_TEMPLATES[n]}{{ end }}`).join('\n') + '\n'
  );
}

const OPENERS = new Set(['if', 'range', 'with', 'define', 'block']);

/**
 * Structural problems of a Go text/template (the syntax Alertmanager parses): an action `{{` that
 * never closes, a string in an action that never ends, `end`/`else` without an opener, an opener
 * without `end`, a `define` inside a replaceable body (`body`, the default), unbalanced parentheses. Empty when it would
 * parse. Alertmanager (amtool check-config, in the tests) is the full check.
 */
export function goTemplateProblems(text: string, opts: { readonly body?: boolean } = {}): string[] {
  const body = opts.body ?? true;
  const problems: string[] = [];
  const stack: string[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) break;
    let j = open + 2;
    let quote: string | undefined;
    let close = -1;
    for (; j < text.length; j++) {
      const c = text[j] as string;
      if (quote) {
        if (c === '\\' && quote === '"') j++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === '`' || c === "'") quote = c;
      else if (c === '}' && text[j + 1] === '}') {
        close = j;
        break;
      }
    }
    if (quote) {
      problems.push(`a string opened in the action at offset ${open} never ends`);
      break;
    }
    if (close < 0) {
      problems.push(`the action "{{" at offset ${open} is never closed with "}}"`);
      break;
    }
    const inner = text.slice(open + 2, close).replace(/^-\s/, '').replace(/\s-$/, '').trim();
    i = close + 2;
    if (inner.startsWith('/*')) {
      if (!inner.endsWith('*/')) problems.push(`the comment at offset ${open} is not closed before "}}"`);
      continue;
    }
    if (inner === '') {
      problems.push(`empty action at offset ${open}`);
      continue;
    }
    let depth = 0;
    for (const c of inner.replace(/"(?:[^"\\]|\\.)*"|`[^`]*`/g, '""')) {
      if (c === '(') depth++;
      else if (c === ')' && --depth < 0) break;
    }
    if (depth !== 0) problems.push(`unbalanced parentheses in "{{ ${inner} }}"`);
    const word = inner.split(/\s+/)[0] as string;
    if (OPENERS.has(word)) {
      if (word === 'define' && body) problems.push(`"{{ ${inner} }}": a replaceable template is the body of a define, not a new one`);
      stack.push(word);
    } else if (word === 'else') {
      const top = stack[stack.length - 1];
      if (!top || !['if', 'range', 'with'].includes(top)) problems.push(`"{{ else }}" at offset ${open} has no if, range or with`);
    } else if (word === 'end') {
      if (!stack.pop()) problems.push(`"{{ end }}" at offset ${open} closes nothing`);
    }
  }
  for (const w of stack.reverse()) problems.push(`"{{ ${w} ... }}" is never closed with "{{ end }}"`);
  return problems;
}
