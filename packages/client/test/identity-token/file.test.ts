import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { awsWebIdentity, fileToken, IdentityTokenError, kubernetesTokenFile, staticToken } from '../../src/index.ts';
import { createTempDir, createTestIssuer, type TempDir, type TestIssuer } from '../helpers/test-issuer.ts';

let temp: TempDir;
let issuer: TestIssuer;
before(async () => {
  temp = await createTempDir();
  issuer = await createTestIssuer();
});
after(() => temp.remove());

describe('fileToken', () => {
  it('re-reads the file on every call, so a rotated token is picked up', async () => {
    const first = await issuer.sign();
    const second = await issuer.sign();
    const path = await temp.write('rotating.jwt', `${first}\n`);
    const read = fileToken(path);
    assert.equal(await read(), first);
    // Rotate atomically like the kubelet does (write then rename).
    const staged = await temp.write('rotating.jwt.new', second);
    await rename(staged, path);
    assert.equal(await read(), second);
  });

  it('trims surrounding whitespace', async () => {
    const token = await issuer.sign();
    const path = await temp.write('padded.jwt', `\n  ${token} \r\n`);
    assert.equal(await fileToken(path)(), token);
  });

  it('reports an empty file', async () => {
    const path = await temp.write('empty.jwt', ' \n ');
    await assert.rejects(fileToken(path)(), (err: unknown) => {
      assert.ok(err instanceof IdentityTokenError);
      assert.equal(err.platform, 'file');
      assert.match(err.message, /is empty/);
      return true;
    });
  });

  it('reports a missing file with its error code', async () => {
    await assert.rejects(fileToken(join(temp.path, 'nope.jwt'))(), (err: unknown) => {
      assert.ok(err instanceof IdentityTokenError);
      assert.equal(err.errorCode, 'ENOENT');
      assert.match(err.message, /nope\.jwt \(ENOENT\)/);
      return true;
    });
  });

  it('reports a directory instead of a file', async () => {
    await assert.rejects(fileToken(temp.path)(), { name: 'IdentityTokenError', message: /EISDIR/ });
  });

  it('refuses a file larger than 64 KiB without returning its content', async () => {
    const path = join(temp.path, 'huge.jwt');
    await writeFile(path, 'h'.repeat(64 * 1024 + 1));
    await assert.rejects(fileToken(path)(), { name: 'IdentityTokenError', message: /larger than 65536 bytes/ });
  });

  it('rejects an empty path up front', () => {
    assert.throws(() => fileToken(''), { name: 'TypeError' });
    assert.throws(() => fileToken('   '), { name: 'TypeError' });
  });
});

describe('kubernetesTokenFile and awsWebIdentity', () => {
  it('labels kubernetes failures with the platform and defaults to the Anthropic mount path', async () => {
    await assert.rejects(kubernetesTokenFile()(), (err: unknown) => {
      assert.ok(err instanceof IdentityTokenError);
      assert.equal(err.platform, 'kubernetes');
      assert.match(err.message, /\/var\/run\/secrets\/anthropic\.com\/token/);
      return true;
    });
  });

  it('reads a kubernetes projected token at a custom path', async () => {
    const token = await issuer.sign({ aud: ['https://api.anthropic.com'] });
    const path = await temp.write('k8s.jwt', token);
    assert.equal(await kubernetesTokenFile(path)(), token);
  });

  it('awsWebIdentity reads AWS_WEB_IDENTITY_TOKEN_FILE', async () => {
    const token = await issuer.sign();
    const path = await temp.write('irsa.jwt', token);
    assert.equal(await awsWebIdentity({ env: { AWS_WEB_IDENTITY_TOKEN_FILE: path } })(), token);
    await assert.rejects(awsWebIdentity({ tokenFile: join(temp.path, 'missing') })(), { message: /^aws-web-identity:/ });
  });

  it('awsWebIdentity without a file is a configuration error', () => {
    assert.throws(() => awsWebIdentity({ env: { AWS_WEB_IDENTITY_TOKEN_FILE: '' } }), /AWS_WEB_IDENTITY_TOKEN_FILE/);
  });
});

describe('staticToken', () => {
  it('returns the trimmed value', async () => {
    assert.equal(await staticToken(' abc.def.ghi ')(), 'abc.def.ghi');
  });

  it('rejects an empty value', () => {
    assert.throws(() => staticToken(''), { name: 'TypeError' });
    assert.throws(() => staticToken(undefined as unknown as string), { name: 'TypeError' });
  });
});
