/** Protocol names the log stores and their readers share. */

/** The HTTP header that carries the Loki tenant (multi-tenant mode): writers and Grafana send it. */
export const TENANT_HEADER = 'X-Scope-OrgID';
