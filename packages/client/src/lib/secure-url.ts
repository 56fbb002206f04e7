const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

/** True for the hosts where cleartext HTTP is tolerated (local development, tests, emulators). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.replace(/^\[|\]$/g, '').toLowerCase());
}

/**
 * Parses a token-endpoint base URL and refuses anything that would send an
 * assertion in cleartext to a non-loopback host. Misconfiguration, so `TypeError`.
 */
export function requireSecureBaseURL(baseURL: string, settingName: string): URL {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw new TypeError(`${settingName} is not a valid URL`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw new TypeError(`${settingName} must use https (http is allowed only for localhost, 127.0.0.1 and ::1)`);
}
