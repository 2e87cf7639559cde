/**
 * URLs of services a stack did not create (an existing Loki, Elasticsearch or Alertmanager),
 * checked where they enter a construct. Pure: no cdktf import.
 */

/** The URL, parsed, or an error naming where it came from: http(s) only, never with credentials in it. */
export function serviceUrl(url: string, where: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${where}: "${url}" is not a URL; use e.g. http://loki-gateway.logging.svc:80`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${where}: "${url}" is not an http(s) URL`);
  if (u.username || u.password) throw new Error(`${where}: the URL carries a credential; give it without one (credentials come from Secrets)`);
  return u;
}
