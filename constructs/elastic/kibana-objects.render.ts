/**
 * Kibana saved objects for the ML log data stream, as the ndjson the saved-objects import API
 * takes (`POST /api/saved_objects/_import?overwrite=true`). Pure: no cdktf import.
 *
 * - a data view (`index-pattern`) on the data stream Logstash writes, time field `@timestamp`;
 * - four saved searches: ML events (`ml.event` present), errors by event and errors by framework
 *   (`ml.level` error or critical), and the jobs that hit a NaN loss (`mlobs.job` first); with
 *   Kubernetes events shipped, two more: all events and the job failure events (job first);
 * - a dashboard of by-value Lens panels (events over time by type, loss against step and against
 *   epoch per job, step time per job, Xids by node) plus the errors, NaN (and job failure events)
 *   searches by reference.
 *
 * Ids are derived from the data stream (so from the environment), never random: importing the
 * same file again with `overwrite=true` replaces the same objects, which makes delivery
 * idempotent. Every reference points at an object of the same file, and every field a search
 * or a panel uses is checked against the index template's mappings at render time.
 *
 * Formats follow Kibana 9.x's own sample data (index-pattern 7.11.0, search 7.9.3, dashboard
 * 8.7.0 with `panelsJSON`, Lens `formBased` layers); Kibana migrates objects of older
 * `typeMigrationVersion`s on import, never refuses them.
 */

import { EVENTS_SOURCE, JOB_FAILURE_REASONS } from '../contracts/k8s-events';

/** Saved-object types this module writes. */
export type KibanaSavedObjectType = 'index-pattern' | 'search' | 'dashboard';

export interface KibanaReference {
  readonly type: KibanaSavedObjectType;
  readonly id: string;
  readonly name: string;
}

export interface KibanaSavedObject {
  readonly type: KibanaSavedObjectType;
  readonly id: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly references: readonly KibanaReference[];
  readonly coreMigrationVersion: string;
  readonly typeMigrationVersion: string;
  /** Managed objects: Kibana asks to duplicate before editing (the next import would overwrite edits). */
  readonly managed: boolean;
}

/** `coreMigrationVersion` of the objects (the current core format). */
export const KIBANA_CORE_MIGRATION_VERSION = '8.8.0';
/** `typeMigrationVersion` per type: the format written here (Kibana runs newer migrations on import). */
export const KIBANA_TYPE_MIGRATION_VERSIONS: Readonly<Record<KibanaSavedObjectType, string>> = {
  'index-pattern': '7.11.0',
  search: '7.9.3',
  dashboard: '8.7.0',
};
/** Embeddable version recorded on each dashboard panel. */
export const KIBANA_PANEL_VERSION = '8.11.0';
/** Kibana's pseudo-field for "count of records" in Lens. */
const RECORDS_FIELD = '___records___';

/** Mapping types a Lens metric (average) accepts. */
const NUMBER_TYPES = ['long', 'integer', 'short', 'byte', 'double', 'float', 'half_float', 'scaled_float', 'unsigned_long'];
/** Mapping types a terms bucket or a search column accepts (aggregatable, or shown from `_source`). */
const TERMS_TYPES = ['keyword', 'constant_keyword', ...NUMBER_TYPES];

export interface KibanaObjectsProps {
  /** The data stream Logstash writes (`logs-<dataset>-<namespace>`): the data view's pattern. */
  readonly dataStream: string;
  /** Every mapped field of the index template with its type (see {@link mappedFields}). */
  readonly fields: Readonly<Record<string, string>>;
  /** Kubernetes events are in the data stream: add their saved searches and the job failure events panel. @default false */
  readonly kubernetesEvents?: boolean;
}

export interface KibanaObjects {
  readonly objects: readonly KibanaSavedObject[];
  /** One object per line, the file the import API takes. */
  readonly ndjson: string;
  readonly ids: {
    readonly dataView: string;
    readonly mlEventsSearch: string;
    readonly errorsByEventSearch: string;
    readonly errorsSearch: string;
    readonly nanJobsSearch: string;
    /** Present with `kubernetesEvents`. */
    readonly eventsSearch?: string;
    readonly jobFailureEventsSearch?: string;
    readonly dashboard: string;
  };
}

/** Flattens an index template's mappings to `field -> type` (objects descend, `@timestamp` -> date). */
export function mappedFields(indexTemplate: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (props: unknown, prefix: string): void => {
    if (typeof props !== 'object' || props === null) return;
    for (const [name, def] of Object.entries(props as Record<string, unknown>)) {
      const d = def as { type?: unknown; properties?: unknown };
      if (typeof d.type === 'string') out[`${prefix}${name}`] = d.type;
      if (d.properties) walk(d.properties, `${prefix}${name}.`);
    }
  };
  const mappings = (indexTemplate.template as { mappings?: { properties?: unknown } } | undefined)?.mappings;
  walk(mappings?.properties, '');
  return out;
}

type Column = Readonly<Record<string, unknown>> & { readonly sourceField: string };

const dateHistogram = (): Column => ({
  label: '@timestamp',
  dataType: 'date',
  operationType: 'date_histogram',
  sourceField: '@timestamp',
  isBucketed: true,
  scale: 'interval',
  params: { interval: 'auto', includeEmptyRows: true, dropPartials: false },
});
const count = (): Column => ({
  label: 'Count of records',
  dataType: 'number',
  operationType: 'count',
  sourceField: RECORDS_FIELD,
  isBucketed: false,
  scale: 'ratio',
  params: { emptyAsNull: true },
});
const average = (field: string): Column => ({
  label: `Average of ${field}`,
  dataType: 'number',
  operationType: 'average',
  sourceField: field,
  isBucketed: false,
  scale: 'ratio',
  params: { emptyAsNull: true },
});
/** A number histogram (Lens `range` in histogram mode): x against a number field such as `ml.step`. */
const histogram = (field: string): Column => ({
  label: field,
  dataType: 'number',
  operationType: 'range',
  sourceField: field,
  isBucketed: true,
  scale: 'interval',
  params: { type: 'histogram', ranges: [{ from: 0, to: 1000, label: '' }], maxBars: 'auto', includeEmptyRows: false },
});
const terms = (field: string, size: number, orderByColumn: string, dataType: 'string' | 'number'): Column => ({
  label: `Top ${size} values of ${field}`,
  dataType,
  operationType: 'terms',
  sourceField: field,
  isBucketed: true,
  scale: 'ordinal',
  params: { size, orderBy: { type: 'column', columnId: orderByColumn }, orderDirection: 'desc', otherBucket: true, missingBucket: false, parentFormat: { id: 'terms' } },
});

interface LensPanelSpec {
  /** Panel index (stable, also the reference prefix). */
  readonly key: string;
  readonly title: string;
  readonly query: string;
  readonly seriesType: 'bar_stacked' | 'line';
  /** Column id -> column; `x`, `y` and optional `split` are the accessors. */
  readonly x: Column;
  readonly y: Column;
  readonly split?: Column;
  readonly grid: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
}

/** Field names a KQL query compares (`field: value`, `field:*`, `field:(a or b)`); quoted values are skipped. */
export function kqlFields(query: string): string[] {
  const unquoted = query.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...unquoted.matchAll(/([A-Za-z_@][\w.@]*)\s*:/g)].map((m) => m[1] as string);
}

export function renderKibanaObjects(p: KibanaObjectsProps): KibanaObjects {
  if (!/^logs-[a-z0-9_.]+-[a-z0-9_.]+$/.test(p.dataStream)) {
    throw new Error(`Kibana objects: data stream "${p.dataStream}" is not of the form logs-<dataset>-<namespace> (lower case); the data view must match what Logstash writes`);
  }
  const prefix = `mlobs-${p.dataStream}`;
  const ids = {
    dataView: prefix,
    mlEventsSearch: `${prefix}-search-ml-events`,
    errorsByEventSearch: `${prefix}-search-errors-by-event`,
    errorsSearch: `${prefix}-search-errors-by-framework`,
    nanJobsSearch: `${prefix}-search-jobs-with-nan-loss`,
    ...(p.kubernetesEvents ? { eventsSearch: `${prefix}-search-kubernetes-events`, jobFailureEventsSearch: `${prefix}-search-job-failure-events` } : {}),
    dashboard: `${prefix}-dashboard-overview`,
  };
  const used: { field: string; allowed: readonly string[]; by: string }[] = [];
  const use = (field: string, allowed: readonly string[], by: string): string => {
    used.push({ field, allowed, by });
    return field;
  };
  const useQuery = (query: string, by: string): string => {
    for (const f of kqlFields(query)) use(f, Object.values(p.fields), by);
    return query;
  };
  const meta = (type: KibanaSavedObjectType) => ({ coreMigrationVersion: KIBANA_CORE_MIGRATION_VERSION, typeMigrationVersion: KIBANA_TYPE_MIGRATION_VERSIONS[type], managed: true });
  const dataViewRef = (name: string): KibanaReference => ({ type: 'index-pattern', id: ids.dataView, name });

  const dataView: KibanaSavedObject = {
    type: 'index-pattern',
    id: ids.dataView,
    attributes: { title: p.dataStream, name: `ML logs (${p.dataStream})`, timeFieldName: use('@timestamp', ['date', 'date_nanos'], 'data view') },
    references: [],
    ...meta('index-pattern'),
  };

  const search = (id: string, title: string, description: string, query: string, columns: readonly string[]): KibanaSavedObject => ({
    type: 'search',
    id,
    attributes: {
      title,
      description,
      columns: columns.map((c) => use(c, [...TERMS_TYPES, 'match_only_text', 'text'], title)),
      sort: [['@timestamp', 'desc']],
      kibanaSavedObjectMeta: {
        searchSourceJSON: JSON.stringify({
          query: { query: useQuery(query, title), language: 'kuery' },
          filter: [],
          indexRefName: 'kibanaSavedObjectMeta.searchSourceJSON.index',
        }),
      },
    },
    references: [dataViewRef('kibanaSavedObjectMeta.searchSourceJSON.index')],
    ...meta('search'),
  });
  const mlEvents = search(ids.mlEventsSearch, 'ML events', 'Log lines the ML catalog classified as an event.', 'ml.event:*', ['ml.event', 'ml.framework', 'ml.level', 'ml.message']);
  const errorsByEvent = search(
    ids.errorsByEventSearch,
    'ML errors by event',
    'Error and critical ML log lines that the catalog classified as an event (OOM, NCCL, NaN loss, Xid...), event first.',
    'ml.level:(error or critical) and ml.event:*',
    ['ml.event', 'ml.framework', 'kubernetes.pod.name', 'ml.message'],
  );
  const errors = search(
    ids.errorsSearch,
    'ML errors by framework',
    'Error and critical ML log lines, framework first.',
    'ml.level:(error or critical)',
    ['ml.framework', 'ml.event', 'ml.level', 'kubernetes.pod.name', 'ml.message'],
  );

  const nanJobs = search(
    ids.nanJobsSearch,
    'Jobs that hit a NaN loss',
    'Lines with a NaN or infinite loss, with the job (mlobs.job), namespace, pod and step: which jobs diverged, and when.',
    'ml.event:nan_loss',
    ['mlobs.job', 'kubernetes.namespace', 'kubernetes.pod.name', 'ml.step', 'ml.message'],
  );

  // Kubernetes events (contracts/k8s-events.ts): all of them, and the reasons that explain a failed or stuck job.
  const eventColumns = ['mlobs.job', 'kubernetes.namespace', 'kubernetes.event.type', 'kubernetes.event.reason', 'kubernetes.event.involved_object.kind', 'kubernetes.event.involved_object.name', 'message'];
  const eventSearches =
    ids.eventsSearch && ids.jobFailureEventsSearch
      ? [
          search(ids.eventsSearch, 'Kubernetes events', 'Kubernetes events of the collected namespaces, with the job their object belongs to (mlobs.job) where it belongs to one.', `mlobs.source:"${EVENTS_SOURCE}"`, eventColumns),
          search(
            ids.jobFailureEventsSearch,
            'Job failure events',
            `Events that explain a failed or stuck job (${JOB_FAILURE_REASONS.join(', ')}), job first.`,
            `mlobs.source:"${EVENTS_SOURCE}" and kubernetes.event.reason:(${JOB_FAILURE_REASONS.join(' or ')})`,
            eventColumns,
          ),
        ]
      : [];

  const lens: LensPanelSpec[] = [
    {
      key: 'events-by-type',
      title: 'ML events over time by type',
      query: 'ml.event:*',
      seriesType: 'bar_stacked',
      x: dateHistogram(),
      y: count(),
      split: terms('ml.event', 12, 'y', 'string'),
      grid: { x: 0, y: 0, w: 48, h: 12 },
    },
    {
      key: 'loss-by-step-per-job',
      title: 'Training loss against step, by job',
      query: 'ml.loss:* and ml.step:*',
      seriesType: 'line',
      x: histogram('ml.step'),
      y: average('ml.loss'),
      split: terms('mlobs.job', 10, 'y', 'string'),
      grid: { x: 0, y: 12, w: 24, h: 12 },
    },
    {
      key: 'loss-by-epoch-per-job',
      title: 'Training loss against epoch, by job',
      query: 'ml.loss:* and ml.epoch:*',
      seriesType: 'line',
      x: histogram('ml.epoch'),
      y: average('ml.loss'),
      split: terms('mlobs.job', 10, 'y', 'string'),
      grid: { x: 24, y: 12, w: 24, h: 12 },
    },
    {
      key: 'step-time-by-job',
      title: 'Step time (s) by job',
      query: 'ml.step_time_s:*',
      seriesType: 'line',
      x: dateHistogram(),
      y: average('ml.step_time_s'),
      split: terms('mlobs.job', 10, 'y', 'string'),
      grid: { x: 0, y: 36, w: 24, h: 12 },
    },
    {
      key: 'xids-by-node',
      title: 'GPU Xid errors by node',
      query: 'ml.event:xid',
      seriesType: 'bar_stacked',
      x: terms('mlobs.node', 20, 'y', 'string'),
      y: count(),
      split: terms('ml.xid', 10, 'y', 'number'),
      grid: { x: 0, y: 24, w: 24, h: 12 },
    },
  ];
  const errorsPanelKey = 'errors-by-framework';

  const dashboardRefs: KibanaReference[] = [];
  const panels: Record<string, unknown>[] = lens.map((l) => {
    const layerId = `${l.key}-layer`;
    const refName = `indexpattern-datasource-layer-${layerId}`;
    dashboardRefs.push(dataViewRef(`${l.key}:${refName}`));
    const columns: Record<string, Column> = { x: l.x, y: l.y, ...(l.split ? { split: l.split } : {}) };
    for (const c of Object.values(columns)) {
      if (c.sourceField === RECORDS_FIELD) continue;
      const allowed = c.operationType === 'date_histogram' ? ['date', 'date_nanos'] : c.operationType === 'average' || c.operationType === 'range' ? NUMBER_TYPES : TERMS_TYPES;
      use(c.sourceField, allowed, l.title);
    }
    return {
      version: KIBANA_PANEL_VERSION,
      type: 'lens',
      gridData: { ...l.grid, i: l.key },
      panelIndex: l.key,
      title: l.title,
      embeddableConfig: {
        enhancements: {},
        attributes: {
          title: l.title,
          visualizationType: 'lnsXY',
          type: 'lens',
          references: [dataViewRef(refName)],
          state: {
            visualization: {
              legend: { isVisible: true, position: 'right' },
              valueLabels: 'hide',
              fittingFunction: 'None',
              preferredSeriesType: l.seriesType,
              layers: [
                { layerId, layerType: 'data', seriesType: l.seriesType, xAccessor: 'x', accessors: ['y'], ...(l.split ? { splitAccessor: 'split' } : {}) },
              ],
            },
            query: { query: useQuery(l.query, l.title), language: 'kuery' },
            filters: [],
            datasourceStates: { formBased: { layers: { [layerId]: { columns, columnOrder: Object.keys(columns).filter((k) => k !== 'y').concat('y'), incompleteColumns: {} } } } },
            internalReferences: [],
            adHocDataViews: {},
          },
        },
      },
    };
  });
  /** A saved search on the dashboard, by reference. */
  const searchPanel = (key: string, title: string, id: string, grid: { x: number; y: number }): void => {
    panels.push({
      version: KIBANA_PANEL_VERSION,
      type: 'search',
      gridData: { ...grid, w: 24, h: 12, i: key },
      panelIndex: key,
      title,
      embeddableConfig: { enhancements: {} },
      panelRefName: `panel_${key}`,
    });
    dashboardRefs.push({ type: 'search', id, name: `${key}:panel_${key}` });
  };
  searchPanel(errorsPanelKey, 'ML errors by framework', ids.errorsSearch, { x: 24, y: 24 });
  searchPanel('jobs-with-nan-loss', 'Jobs that hit a NaN loss', ids.nanJobsSearch, { x: 24, y: 36 });
  if (ids.jobFailureEventsSearch) searchPanel('job-failure-events', 'Job failure events (Kubernetes)', ids.jobFailureEventsSearch, { x: 0, y: 48 });

  const dashboard: KibanaSavedObject = {
    type: 'dashboard',
    id: ids.dashboard,
    attributes: {
      title: `ML training logs (${p.dataStream})`,
      description: `Generated by mlobs: ML events by type, loss against step and epoch by job, step time by job, GPU Xids by node, errors by framework, jobs that hit a NaN loss${p.kubernetesEvents ? ', Kubernetes events that explain a failed or stuck job' : ''}.`,
      timeRestore: true,
      timeFrom: 'now-24h',
      timeTo: 'now',
      refreshInterval: { pause: false, value: 60000 },
      optionsJSON: JSON.stringify({ useMargins: true, syncColors: false, syncCursor: true, syncTooltips: false, hidePanelTitles: false }),
      panelsJSON: JSON.stringify(panels),
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] }) },
    },
    references: dashboardRefs,
    ...meta('dashboard'),
  };

  const problems = used
    .filter((u) => !(u.field in p.fields) || !u.allowed.includes(p.fields[u.field] as string))
    .map((u) => (u.field in p.fields ? `"${u.by}" uses ${u.field} (mapped as ${p.fields[u.field]}) where only ${[...new Set(u.allowed)].join(', ')} works` : `"${u.by}" uses ${u.field}, which the index template does not map`));
  if (problems.length > 0) {
    throw new Error(`Kibana objects do not fit the index template of ${p.dataStream}:\n  - ${[...new Set(problems)].join('\n  - ')}\nMap the field in renderIndexTemplate (constructs/elastic/ilm.render.ts) or change the object.`);
  }

  const objects = [dataView, mlEvents, errorsByEvent, errors, nanJobs, ...eventSearches, dashboard];
  return { objects, ndjson: objects.map((o) => JSON.stringify(o)).join('\n') + '\n', ids };
}
