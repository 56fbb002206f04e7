import { UsageError } from '../errors.ts';

/** Roles a service account can hold in a workspace (the SDK's NoBillingWorkspaceRole). */
export const SERVICE_ACCOUNT_WORKSPACE_ROLES = ['workspace_user', 'workspace_developer', 'workspace_restricted_developer', 'workspace_admin'] as const;
export type ServiceAccountWorkspaceRole = (typeof SERVICE_ACCOUNT_WORKSPACE_ROLES)[number];

export function isServiceAccountWorkspaceRole(value: unknown): value is ServiceAccountWorkspaceRole {
  return (SERVICE_ACCOUNT_WORKSPACE_ROLES as readonly unknown[]).includes(value);
}

export function parseWorkspaceRole(text: string): ServiceAccountWorkspaceRole {
  if (!isServiceAccountWorkspaceRole(text)) throw new UsageError(`--role: expected one of ${SERVICE_ACCOUNT_WORKSPACE_ROLES.join(', ')}`);
  return text;
}
