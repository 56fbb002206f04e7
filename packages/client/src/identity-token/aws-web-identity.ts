import { readEnv, type Env } from '../lib/env.ts';
import { fileToken, type IdentityTokenSource } from './file.ts';

/**
 * AWS web-identity token file (EKS IRSA-style projected token,
 * `AWS_WEB_IDENTITY_TOKEN_FILE`), re-read on every call. The token must have
 * been projected with the Anthropic audience (IRSA's default audience is
 * `sts.amazonaws.com`). STS `GetWebIdentityToken` (outbound federation) is not
 * implemented: it needs SigV4 request signing; wrap the AWS SDK in your own
 * `() => Promise<string>` for that.
 */
export function awsWebIdentity(options: { tokenFile?: string; env?: Env } = {}): IdentityTokenSource {
  const tokenFile = options.tokenFile ?? readEnv(options.env ?? process.env, 'AWS_WEB_IDENTITY_TOKEN_FILE');
  if (tokenFile === undefined) throw new TypeError('aws-web-identity: tokenFile (or AWS_WEB_IDENTITY_TOKEN_FILE) is required');
  return fileToken(tokenFile, { platform: 'aws-web-identity' });
}
