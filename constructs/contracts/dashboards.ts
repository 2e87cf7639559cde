/**
 * A small typed builder for Grafana dashboards (schemaVersion 39 JSON model): enough for
 * time series, stat and logs panels with PromQL/LogQL targets. Pure: no cdktf import.
 *
 * Why not @grafana/grafana-foundation-sdk: it is a large generated dependency that tracks
 * Grafana's schema per version; our dashboards use three panel types, and every query must be
 * inspectable for the grammar tests ({@link queriesOf}), which plain data gives for free.
 */

/** A datasource reference by uid (see DATASOURCE_UIDS). */
export interface DatasourceRef {
  readonly type: 'prometheus' | 'loki' | 'elasticsearch';
  readonly uid: string;
}

export interface PromQuery {
  readonly language: 'promql';
  readonly expr: string;
  /** Legend, e.g. `{{instance}}`. @default - series labels */
  readonly legend?: string;
}

export interface LogQuery {
  readonly language: 'logql';
  readonly expr: string;
}

export type Query = PromQuery | LogQuery;

export const promql = (expr: string, legend?: string): PromQuery => ({ language: 'promql', expr, ...(legend ? { legend } : {}) });
export const logql = (expr: string): LogQuery => ({ language: 'logql', expr });

export interface PanelSpec {
  readonly kind: 'timeseries' | 'stat' | 'logs';
  readonly title: string;
  readonly description?: string;
  readonly queries: readonly Query[];
  /** Grafana unit id, e.g. `percentunit`, `bytes`, `short`. @default short */
  readonly unit?: string;
  /** Width in grid columns (of 24). @default 12 */
  readonly width?: number;
  /** Height in grid rows. @default 8 */
  readonly height?: number;
}

export interface DashboardSpec {
  /** Stable uid (URL and provisioning identity). */
  readonly uid: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly panels: readonly PanelSpec[];
  /** @default now-6h */
  readonly from?: string;
  /** @default 30s */
  readonly refresh?: string;
}

export const DEFAULT_PANEL_WIDTH = 12;
export const DEFAULT_PANEL_HEIGHT = 8;
export const GRID_COLUMNS = 24;
export const DEFAULT_TIME_FROM = 'now-6h';
export const DEFAULT_REFRESH = '30s';
export const DASHBOARD_SCHEMA_VERSION = 39;

export const timeseries = (p: Omit<PanelSpec, 'kind'>): PanelSpec => ({ kind: 'timeseries', ...p });
export const stat = (p: Omit<PanelSpec, 'kind'>): PanelSpec => ({ kind: 'stat', ...p });
export const logs = (p: Omit<PanelSpec, 'kind'>): PanelSpec => ({ kind: 'logs', ...p });

/** Every query of a dashboard spec (for the grammar tests). */
export function queriesOf(d: DashboardSpec): readonly Query[] {
  return d.panels.flatMap((p) => p.queries);
}

export interface DashboardDatasources {
  readonly prometheus: DatasourceRef;
  readonly loki?: DatasourceRef;
}

/** The dashboard JSON model. Panels flow left to right, top to bottom. */
export function buildDashboard(d: DashboardSpec, ds: DashboardDatasources): Record<string, unknown> {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const panels = d.panels.map((p, i) => {
    const w = p.width ?? DEFAULT_PANEL_WIDTH;
    const h = p.height ?? DEFAULT_PANEL_HEIGHT;
    if (w < 1 || w > GRID_COLUMNS) throw new Error(`dashboard "${d.uid}", panel "${p.title}": width ${w} is not between 1 and ${GRID_COLUMNS}`);
    if (x + w > GRID_COLUMNS) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { x, y, w, h };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    const langs = new Set(p.queries.map((q) => q.language));
    if (langs.size !== 1) throw new Error(`dashboard "${d.uid}", panel "${p.title}": needs queries of exactly one language, got ${[...langs].join(', ') || 'none'}`);
    const lang = [...langs][0];
    const datasource = lang === 'promql' ? ds.prometheus : ds.loki;
    if (!datasource) throw new Error(`dashboard "${d.uid}", panel "${p.title}": LogQL queries need a Loki datasource; enable logs.pipelines: [loki]`);
    return {
      id: i + 1,
      type: p.kind,
      title: p.title,
      ...(p.description ? { description: p.description } : {}),
      datasource,
      gridPos,
      fieldConfig: { defaults: { unit: p.unit ?? 'short' }, overrides: [] },
      options: {},
      targets: p.queries.map((q, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource,
        expr: q.expr,
        ...(q.language === 'promql' && q.legend ? { legendFormat: q.legend } : {}),
      })),
    };
  });
  return {
    uid: d.uid,
    title: d.title,
    tags: [...d.tags],
    editable: false,
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    time: { from: d.from ?? DEFAULT_TIME_FROM, to: 'now' },
    refresh: d.refresh ?? DEFAULT_REFRESH,
    timezone: 'utc',
    templating: { list: [] },
    annotations: { list: [] },
    panels,
  };
}

/** The label the Grafana dashboard sidecar watches; teams put it on their dashboard ConfigMaps. */
export const DASHBOARD_LABEL = { key: 'mlobs.dev/dashboard', value: '1' } as const;

/** Datasource uids, stable so dashboards can reference them. */
export const DATASOURCE_UIDS = { prometheus: 'prometheus', alertmanager: 'alertmanager', loki: 'loki', elasticsearch: 'elasticsearch' } as const;
