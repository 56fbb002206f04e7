import { isServiceAccountWorkspaceRole, SERVICE_ACCOUNT_WORKSPACE_ROLES } from '../commands/workspace-roles.ts';
import { ConfigFileError, type SourceDocument } from './source-document.ts';
import {
  SPEC_DEFAULTS,
  type FederationSpec,
  type IssuerSpec,
  type JwksSpec,
  type MatchSpec,
  type MembershipSpec,
  type RuleSpec,
  type ServiceAccountSpec,
} from './specs.ts';
import type { ValuePath } from './yaml-subset.ts';

/** A validated file: the spec plus where each value came from, for later errors (unknown workspace…). */
export interface LoadedSpec extends FederationSpec {
  locate(path: ValuePath): string;
}

const NAME = /^[a-z0-9-]{1,255}$/;
const MAX_ERRORS = 25;
const MAX_OBJECTS = 1000;

type Obj = Record<string, unknown>;

/**
 * Checks the file's structure and types and fills API defaults. Semantic checks the server owns
 * (CEL, URL policy, scope rules) are left to it; every problem found here names file:line.
 */
export function readFederationSpec(doc: SourceDocument): LoadedSpec {
  const v = new Validator(doc);
  const root = v.object(doc.value ?? {}, [], ['issuers', 'service_accounts', 'rules']);
  const spec: FederationSpec = {
    issuers: v.list(root?.issuers, ['issuers'], (item, path) => v.issuer(item, path)),
    service_accounts: v.list(root?.service_accounts, ['service_accounts'], (item, path) => v.serviceAccount(item, path)),
    rules: v.list(root?.rules, ['rules'], (item, path) => v.rule(item, path)),
  };
  v.uniqueNames(spec.issuers, 'issuers');
  v.uniqueNames(spec.service_accounts, 'service_accounts');
  v.uniqueNames(spec.rules, 'rules');
  const issuerNames = new Set(spec.issuers.map((i) => i.name));
  const accountNames = new Set(spec.service_accounts.map((s) => s.name));
  spec.rules.forEach((rule, i) => {
    if (!issuerNames.has(rule.issuer)) v.fail(['rules', i, 'issuer'], `issuer "${rule.issuer}" is not declared under issuers`);
    if (!accountNames.has(rule.service_account))
      v.fail(['rules', i, 'target', 'service_account'], `service account "${rule.service_account}" is not declared under service_accounts`);
  });
  v.throwIfFailed();
  return { ...spec, locate: doc.locate };
}

class Validator {
  private readonly errors: string[] = [];
  constructor(private readonly doc: SourceDocument) {}

  fail(path: ValuePath, message: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push(`${this.doc.locate(path)}: ${describePath(path)}: ${message}`);
  }

  throwIfFailed(): void {
    if (this.errors.length > 0) throw new ConfigFileError(this.errors.join('\n'));
  }

  object(value: unknown, path: ValuePath, allowed: readonly string[], required: readonly string[] = []): Obj | null {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, 'expected a mapping');
      return null;
    }
    const obj = value as Obj;
    for (const key of Object.keys(obj)) if (!allowed.includes(key)) this.fail([...path, key], `unknown field "${key}" (allowed: ${allowed.join(', ')})`);
    for (const key of required) if (obj[key] === undefined || obj[key] === null) this.fail(path, `missing required field "${key}"`);
    return obj;
  }

  list<T>(value: unknown, path: ValuePath, item: (value: unknown, path: ValuePath) => T | null): T[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.fail(path, 'expected a list');
      return [];
    }
    if (value.length > MAX_OBJECTS) {
      this.fail(path, `at most ${MAX_OBJECTS} entries`);
      return [];
    }
    return value.map((entry, i) => item(entry, [...path, i])).filter((entry): entry is T => entry !== null);
  }

  uniqueNames(items: readonly { name: string }[], section: string): void {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item.name)) this.fail([section, i, 'name'], `duplicate name "${item.name}"`);
      seen.add(item.name);
    });
  }

  string(obj: Obj, key: string, path: ValuePath, options: { max?: number; pattern?: RegExp; what?: string } = {}): string | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    const at = [...path, key];
    if (typeof value !== 'string') return void this.fail(at, 'expected a string');
    if (value === '') return void this.fail(at, 'must not be empty (leave the field out instead)');
    if (options.max !== undefined && value.length > options.max) return void this.fail(at, `longer than ${options.max} characters`);
    if (options.pattern && !options.pattern.test(value)) return void this.fail(at, `must be ${options.what ?? `like ${options.pattern}`}`);
    return value;
  }

  integer(obj: Obj, key: string, path: ValuePath, min: number, max: number): number | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      return void this.fail([...path, key], `expected an integer from ${min} to ${max}`);
    return value;
  }

  boolean(obj: Obj, key: string, path: ValuePath): boolean | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') return void this.fail([...path, key], 'expected true or false');
    return value;
  }

  name(obj: Obj, path: ValuePath): string {
    return this.string(obj, 'name', path, { pattern: NAME, what: 'a slug of lowercase letters, digits and "-" (1-255)' }) ?? '';
  }

  issuer(value: unknown, path: ValuePath): IssuerSpec | null {
    const obj = this.object(value, path, ['name', 'issuer_url', 'jwks', 'check_jti', 'max_jwt_lifetime_seconds'], ['name', 'issuer_url']);
    if (obj === null) return null;
    return {
      name: this.name(obj, path),
      issuer_url: this.string(obj, 'issuer_url', path, { max: 2048 }) ?? '',
      jwks: this.jwks(obj.jwks, [...path, 'jwks']),
      check_jti: this.boolean(obj, 'check_jti', path) ?? SPEC_DEFAULTS.check_jti,
      max_jwt_lifetime_seconds: this.integer(obj, 'max_jwt_lifetime_seconds', path, 1, 176_400) ?? SPEC_DEFAULTS.max_jwt_lifetime_seconds,
    };
  }

  jwks(value: unknown, path: ValuePath): JwksSpec {
    if (value === undefined || value === null) return { type: 'discovery' };
    const obj = this.object(value, path, ['type', 'discovery_base', 'url', 'ca_cert_pem', 'keys'], ['type']);
    if (obj === null) return { type: 'discovery' };
    const caCert = this.string(obj, 'ca_cert_pem', path, { max: 8192 });
    const withCa = caCert === undefined ? {} : { ca_cert_pem: caCert };
    const only = (allowed: string[]) => {
      for (const key of Object.keys(obj)) if (!allowed.includes(key)) this.fail([...path, key], `not allowed for jwks type "${String(obj.type)}"`);
    };
    switch (obj.type) {
      case 'discovery': {
        only(['type', 'discovery_base', 'ca_cert_pem']);
        const base = this.string(obj, 'discovery_base', path, { max: 2048 });
        return { type: 'discovery', ...(base === undefined ? {} : { discovery_base: base }), ...withCa };
      }
      case 'explicit_url':
        only(['type', 'url', 'ca_cert_pem']);
        if (obj.url === undefined) this.fail(path, 'missing required field "url"');
        return { type: 'explicit_url', url: this.string(obj, 'url', path, { max: 2048 }) ?? '', ...withCa };
      case 'inline': {
        only(['type', 'keys']);
        const keys = obj.keys;
        if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'object' && k !== null && !Array.isArray(k))) {
          this.fail([...path, 'keys'], 'expected a non-empty list of JWK mappings');
          return { type: 'inline', keys: [] };
        }
        return { type: 'inline', keys: keys as Record<string, unknown>[] };
      }
      default:
        this.fail([...path, 'type'], 'expected discovery, explicit_url or inline');
        return { type: 'discovery' };
    }
  }

  serviceAccount(value: unknown, path: ValuePath): ServiceAccountSpec | null {
    const obj = this.object(value, path, ['name', 'description', 'organization_role', 'workspaces'], ['name']);
    if (obj === null) return null;
    const role = obj.organization_role ?? SPEC_DEFAULTS.organization_role;
    if (role !== 'developer' && role !== 'admin') this.fail([...path, 'organization_role'], 'expected developer or admin');
    return {
      name: this.name(obj, path),
      description: this.string(obj, 'description', path, { max: 2000 }) ?? null,
      organization_role: role === 'admin' ? 'admin' : 'developer',
      workspaces: obj.workspaces === undefined ? null : this.list(obj.workspaces, [...path, 'workspaces'], (item, itemPath) => this.membership(item, itemPath)),
    };
  }

  membership(value: unknown, path: ValuePath): MembershipSpec | null {
    const obj = this.object(value, path, ['workspace', 'role'], ['workspace', 'role']);
    if (obj === null) return null;
    const role = obj.role;
    if (!isServiceAccountWorkspaceRole(role)) {
      if (role !== undefined && role !== null) this.fail([...path, 'role'], `expected one of ${SERVICE_ACCOUNT_WORKSPACE_ROLES.join(', ')}`);
      return null;
    }
    return { workspace: this.string(obj, 'workspace', path, { max: 255 }) ?? '', role };
  }

  rule(value: unknown, path: ValuePath): RuleSpec | null {
    const obj = this.object(
      value,
      path,
      ['name', 'issuer', 'description', 'match', 'target', 'oauth_scope', 'token_lifetime_seconds', 'applies_to_all_workspaces', 'workspaces'],
      ['name', 'issuer', 'match', 'target', 'oauth_scope'],
    );
    if (obj === null) return null;
    const target =
      obj.target === undefined || obj.target === null ? null : this.object(obj.target, [...path, 'target'], ['service_account'], ['service_account']);
    const workspaces = this.list(obj.workspaces, [...path, 'workspaces'], (item, itemPath) => {
      if (typeof item === 'string' && item !== '') return item;
      this.fail(itemPath, 'expected a workspace name');
      return null;
    });
    const appliesToAll = this.boolean(obj, 'applies_to_all_workspaces', path) ?? false;
    if (!appliesToAll && workspaces.length === 0 && obj.name !== undefined) {
      this.fail(path, 'a rule needs workspaces (a list of workspace names) unless applies_to_all_workspaces is true');
    }
    return {
      name: this.name(obj, path),
      issuer: this.string(obj, 'issuer', path) ?? '',
      description: this.string(obj, 'description', path, { max: 2000 }) ?? null,
      match: this.match(obj.match, [...path, 'match']),
      service_account: target === null ? '' : (this.string(target, 'service_account', [...path, 'target']) ?? ''),
      oauth_scope: this.string(obj, 'oauth_scope', path, { max: 1000 }) ?? '',
      token_lifetime_seconds: this.integer(obj, 'token_lifetime_seconds', path, 60, 86_400) ?? SPEC_DEFAULTS.token_lifetime_seconds,
      applies_to_all_workspaces: appliesToAll,
      workspaces,
    };
  }

  match(value: unknown, path: ValuePath): MatchSpec {
    if (value === undefined || value === null) return {};
    const obj = this.object(value, path, ['subject_prefix', 'audience', 'claims', 'condition']);
    if (obj === null) return {};
    const match: MatchSpec = {};
    const subject = this.string(obj, 'subject_prefix', path, { max: 1024 });
    const audience = this.string(obj, 'audience', path, { max: 1024 });
    const condition = this.string(obj, 'condition', path, { max: 4096 });
    if (subject !== undefined) match.subject_prefix = subject;
    if (audience !== undefined) match.audience = audience;
    if (condition !== undefined) match.condition = condition;
    if (obj.claims !== undefined && obj.claims !== null) {
      const claims = this.object(obj.claims, [...path, 'claims'], Object.keys(obj.claims as object));
      if (claims !== null) {
        for (const [key, claim] of Object.entries(claims)) {
          // Numbers and booleans never equal a string claim: say so instead of quietly stringifying.
          if (typeof claim !== 'string')
            this.fail([...path, 'claims', key], 'claim values must be strings (quote numbers; use condition for non-string claims)');
        }
        if (Object.keys(claims).length > 0) match.claims = claims as Record<string, string>;
      }
    }
    return match;
  }
}

function describePath(path: ValuePath): string {
  if (path.length === 0) return '(top level)';
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}
