import { checkbox, postForm, textArea, textInput } from '../components.ts';
import { field, fieldList, type ConsoleContext } from '../context.ts';
import type { FormErrors } from '../form-errors.ts';
import { html } from '../html.ts';
import type { IssuerWire } from '../wire.ts';

/** The issuer create/edit form and its translation to an Admin API body. */

export const ISSUER_FIELDS = [
  'name',
  'issuer_url',
  'jwks',
  'jwks.type',
  'jwks.discovery_base',
  'jwks.url',
  'jwks.ca_cert_pem',
  'jwks.keys',
  'check_jti',
  'max_jwt_lifetime_seconds',
] as const;

export interface IssuerFormValues {
  name: string;
  issuer_url: string;
  jwks_type: 'discovery' | 'explicit_url' | 'inline';
  discovery_base: string;
  url: string;
  ca_cert_pem: string;
  keys: string;
  check_jti: boolean;
  max_jwt_lifetime_seconds: string;
}

export const EMPTY_ISSUER: IssuerFormValues = {
  name: '',
  issuer_url: '',
  jwks_type: 'discovery',
  discovery_base: '',
  url: '',
  ca_cert_pem: '',
  keys: '',
  check_jti: true,
  max_jwt_lifetime_seconds: '3600',
};

export function issuerValues(issuer: IssuerWire): IssuerFormValues {
  const jwks = issuer.jwks;
  return {
    name: issuer.name,
    issuer_url: issuer.issuer_url,
    jwks_type: jwks.type,
    discovery_base: jwks.type === 'discovery' ? (jwks.discovery_base ?? '') : '',
    url: jwks.type === 'explicit_url' ? jwks.url : '',
    ca_cert_pem: jwks.type !== 'inline' ? (jwks.ca_cert_pem ?? '') : '',
    keys: jwks.type === 'inline' ? JSON.stringify(jwks.keys, null, 2) : '',
    check_jti: issuer.check_jti,
    max_jwt_lifetime_seconds: String(issuer.max_jwt_lifetime_seconds),
  };
}

export function readIssuerForm(body: unknown): IssuerFormValues {
  const type = field(body, 'jwks.type');
  return {
    name: field(body, 'name'),
    issuer_url: field(body, 'issuer_url'),
    jwks_type: type === 'explicit_url' || type === 'inline' ? type : 'discovery',
    discovery_base: field(body, 'jwks.discovery_base'),
    url: field(body, 'jwks.url'),
    ca_cert_pem: field(body, 'jwks.ca_cert_pem'),
    keys: field(body, 'jwks.keys'),
    check_jti: fieldList(body, 'check_jti').includes('true'),
    max_jwt_lifetime_seconds: field(body, 'max_jwt_lifetime_seconds'),
  };
}

/** Numbers the API validates itself: a non-number is sent as typed so its message names the field. */
export function numberOrText(text: string): number | string | null {
  if (text === '') return null;
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

/** The body for create and update; `keysError` when the inline key text is not JSON (the API never sees it). */
export function issuerBody(values: IssuerFormValues): { body: Record<string, unknown>; keysError: string | null } {
  let jwks: Record<string, unknown>;
  let keysError: string | null = null;
  switch (values.jwks_type) {
    case 'discovery':
      jwks = { type: 'discovery', discovery_base: values.discovery_base || null, ca_cert_pem: values.ca_cert_pem || null };
      break;
    case 'explicit_url':
      jwks = { type: 'explicit_url', url: values.url, ca_cert_pem: values.ca_cert_pem || null };
      break;
    case 'inline': {
      let keys: unknown = undefined;
      try {
        keys = JSON.parse(values.keys);
      } catch {
        keysError = 'jwks.keys: is not valid JSON; paste the array of public JWKs, e.g. [{"kty":"RSA","kid":"…","n":"…","e":"AQAB"}]';
      }
      jwks = { type: 'inline', keys };
      break;
    }
  }
  return {
    body: {
      name: values.name,
      issuer_url: values.issuer_url,
      jwks,
      check_jti: values.check_jti,
      max_jwt_lifetime_seconds: numberOrText(values.max_jwt_lifetime_seconds),
    },
    keysError,
  };
}

function jwksChoice(value: IssuerFormValues['jwks_type'], current: IssuerFormValues['jwks_type'], label: string, hint: string) {
  return html`<div class="choice">
  <input type="radio" id="jwks-type-${value}" name="jwks.type" value="${value}"${value === current ? html` checked` : ''}>
  <label for="jwks-type-${value}"><strong>${label}</strong> <span class="hint">${hint}</span></label>
</div>`;
}

export function issuerForm(ctx: ConsoleContext, options: { action: string; values: IssuerFormValues; errors: FormErrors; submitLabel: string }) {
  const { values, errors } = options;
  return postForm(
    { action: options.action, csrfToken: ctx.csrfToken, errors, submitLabel: options.submitLabel, className: 'issuer-form' },
    html`${textInput({ name: 'name', label: 'Name', value: values.name, errors, required: true, hint: 'Lowercase letters, digits and dashes, e.g. "github-actions".' })}
${textInput({ name: 'issuer_url', label: 'Issuer URL', value: values.issuer_url, errors, required: true, type: 'url', hint: 'Exactly the iss claim of the tokens, byte for byte (e.g. https://token.actions.githubusercontent.com).' })}
<fieldset class="field${errors.for('jwks.type') || errors.for('jwks') ? ' has-error' : ''}">
  <legend>Where the signing keys come from</legend>
  ${jwksChoice('discovery', values.jwks_type, 'OIDC discovery', 'read jwks_uri from the issuer’s /.well-known/openid-configuration')}
  ${jwksChoice('explicit_url', values.jwks_type, 'JWKS URL', 'fetch keys from a URL you give')}
  ${jwksChoice('inline', values.jwks_type, 'Inline keys', 'paste the public keys; nothing is fetched')}
  ${errors.for('jwks.type') || errors.for('jwks') ? html`<p class="field-error">${errors.for('jwks.type') ?? errors.for('jwks')}</p>` : ''}
</fieldset>
<div class="jwks-mode jwks-discovery">
  ${textInput({ name: 'jwks.discovery_base', label: 'Discovery base URL', value: values.discovery_base, errors, type: 'url', hint: 'Only when discovery is served somewhere other than the issuer URL (e.g. a cluster-internal API server).' })}
</div>
<div class="jwks-mode jwks-explicit_url">
  ${textInput({ name: 'jwks.url', label: 'JWKS URL', value: values.url, errors, type: 'url' })}
</div>
<div class="jwks-mode jwks-discovery jwks-explicit_url">
  ${textArea({ name: 'jwks.ca_cert_pem', label: 'Private CA certificate (PEM)', value: values.ca_cert_pem, errors, rows: 3, code: true, hint: 'Only for key hosts whose TLS certificate is not publicly trusted.' })}
</div>
<div class="jwks-mode jwks-inline">
  ${textArea({ name: 'jwks.keys', label: 'Public keys (JSON array of JWKs)', value: values.keys, errors, rows: 6, code: true })}
</div>
${checkbox({ name: 'check_jti', label: 'Refuse replayed tokens (check jti)', checked: values.check_jti, errors, hint: 'Each token can be exchanged once. Turn off only for issuers that send no jti.' })}
${textInput({ name: 'max_jwt_lifetime_seconds', label: 'Longest accepted token lifetime (seconds)', value: values.max_jwt_lifetime_seconds, errors, type: 'number', hint: 'exp − iat of incoming tokens may not exceed this.' })}`,
  );
}
