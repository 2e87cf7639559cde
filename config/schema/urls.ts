/**
 * Credentials in URLs: where a URL carries one (userinfo, or a query parameter named like a
 * token, key, secret, password or signature), config refuses it and points at a Secret
 * reference; messages show such a URL only with the credential masked.
 */

/** Query parameter names that carry a credential (access_token, apikey, X-Amz-Signature, sig, ...). */
const SENSITIVE_PARAM = /(token|key|secret|passw(or)?d|pwd|signature|^sig$|credential|auth)/i;

/** What kind of credential `u` carries ("user information", "query parameter access_token"), never its value. */
export function credentialInUrl(u: string): string | undefined {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return /\/\/[^/@\s]*@/.test(u) ? 'credentials before "@"' : undefined;
  }
  if (url.username || url.password) return 'credentials before "@"';
  for (const name of url.searchParams.keys()) if (SENSITIVE_PARAM.test(name)) return `query parameter ${name}`;
  return undefined;
}

/** `s` with every URL credential masked (`***`), for messages. */
export function redactUrlCredentials(s: string): string {
  return s
    .replace(/(\/\/)[^/@\s]*@/g, '$1***@')
    .replace(/([?&])([^=&#\s]+)=([^&#\s]*)/g, (m, sep: string, name: string) => (SENSITIVE_PARAM.test(name) ? `${sep}${name}=***` : m));
}

/** The message for a URL that carries a credential. */
export function credentialUrlMessage(kind: string, instead: string): string {
  return `looks like it carries a credential; ${instead} (${kind} would land in Terraform state and plan output)`;
}
