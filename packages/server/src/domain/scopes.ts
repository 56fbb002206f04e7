/** The OAuth scopes a rule may grant (spec §1.10). */
export const KNOWN_SCOPES = ['workspace:developer', 'workspace:inference', 'workspace:manage_tunnels', 'org:admin'] as const;

/** A rule's space-separated `oauth_scope` as a list. */
export function scopeList(oauthScope: string): string[] {
  return oauthScope.split(' ').filter((s) => s.length > 0);
}

export function grantsOrgAdmin(oauthScope: string): boolean {
  return scopeList(oauthScope).includes('org:admin');
}
