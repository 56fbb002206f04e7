import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutboundPolicy } from '../../src/trust/outbound-policy.ts';

describe('OutboundPolicy.isPublicAddress', () => {
  const policy = new OutboundPolicy([]);
  const nonPublic = [
    '127.0.0.1',
    '127.255.0.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '169.254.0.1',
    '100.64.0.1',
    '100.127.255.254',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '192.0.2.1',
    '198.18.0.1',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '2001:db8::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '::ffff:10.0.0.1',
    '0:0:0:0:0:ffff:c0a8:0101',
    '64:ff9b::7f00:1',
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::1',
    '2002:a9fe:a9fe::',
    '::127.0.0.1',
    '2001::1',
    'not-an-ip',
    '',
  ];
  for (const address of nonPublic) {
    it(`refuses ${JSON.stringify(address)}`, () => assert.equal(policy.isPublicAddress(address), false));
  }
  const publicOnes = ['8.8.8.8', '1.1.1.1', '100.128.0.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'];
  for (const address of publicOnes) {
    it(`accepts ${address}`, () => assert.equal(policy.isPublicAddress(address), true));
  }
});

describe('OutboundPolicy allow list', () => {
  const policy = new OutboundPolicy(['idp.corp.example', '*.internal.example', '127.0.0.1/32', '10.20.0.0/16', 'fd00::1', ' ']);

  it('matches names, suffixes, addresses and CIDRs', () => {
    assert.equal(policy.isAllowedHost('idp.corp.example'), true);
    assert.equal(policy.isAllowedHost('IDP.CORP.EXAMPLE'), true);
    assert.equal(policy.isAllowedHost('keys.internal.example'), true);
    assert.equal(policy.isAllowedHost('127.0.0.1'), true);
    assert.equal(policy.isAllowedHost('10.20.3.4'), true);
    assert.equal(policy.isAllowedHost('[fd00::1]'), true);
    assert.equal(policy.isAllowedAddress('::ffff:127.0.0.1'), true);
  });

  it('does not widen entries', () => {
    assert.equal(policy.isAllowedHost('internal.example'), false, 'a *.suffix does not match the bare domain');
    assert.equal(policy.isAllowedHost('evilinternal.example'), false);
    assert.equal(policy.isAllowedHost('corp.example'), false);
    assert.equal(policy.isAllowedHost('127.0.0.2'), false);
    assert.equal(policy.isAllowedHost('10.21.0.1'), false);
    assert.equal(policy.isAllowedHost('localhost'), false);
  });

  for (const bad of ['127.0.0.1/33', '10.0.0.0/x', 'fd00::/129', 'bad host!', 'http://x.example', 'x.example/24', '*.']) {
    it(`rejects the malformed entry ${JSON.stringify(bad)} naming it`, () => {
      assert.throws(
        () => new OutboundPolicy([bad]),
        (err: Error) => err.message.includes(JSON.stringify(bad.toLowerCase())),
      );
    });
  }
});

describe('OutboundPolicy.checkUrl', () => {
  const none = new OutboundPolicy([]);
  const refused: Array<[string, string]> = [
    ['http://idp.example.com/jwks', 'url must use https scheme'],
    ['https://idp.example.com:8443/jwks', 'url must use port 443'],
    ['https://127.0.0.1/jwks', 'url must use a DNS name, not an IP address'],
    ['https://169.254.169.254/latest/meta-data', 'url must use a DNS name, not an IP address'],
    ['https://[::ffff:127.0.0.1]/jwks', 'url must use a DNS name, not an IP address'],
    ['https://[::1]/jwks', 'url must use a DNS name, not an IP address'],
    ['https://2130706433/jwks', 'url must use a DNS name, not an IP address'],
    ['https://0x7f.1/jwks', 'url must use a DNS name, not an IP address'],
    ['https://localhost/jwks', 'url must use a public DNS name'],
    ['https://localhost./jwks', 'url must use a public DNS name'],
    ['https://user:pass@idp.example.com/jwks', 'must not contain credentials'],
    ['https://user@idp.example.com/jwks', 'must not contain credentials'],
    ['https://idp.example.com/jwks#frag', 'must not contain a fragment'],
    ['ftp://idp.example.com/jwks', 'url must use https scheme'],
    ['file:///etc/passwd', 'url must use https scheme'],
    ['/relative/jwks', 'must be an absolute URL'],
  ];
  for (const [url, problem] of refused) {
    it(`refuses ${url}`, () => assert.equal(none.checkUrl(url), problem));
  }

  it('accepts public https URLs', () => {
    assert.equal(none.checkUrl('https://login.microsoftonline.com/tid/discovery/v2.0/keys'), null);
    assert.equal(none.checkUrl('https://idp.example.com:443/jwks'), null);
  });

  it('exempts allow-listed hosts from the scheme, port and IP-literal rules, not from the credential rule', () => {
    const loopback = new OutboundPolicy(['127.0.0.1/32', 'localhost']);
    assert.equal(loopback.checkUrl('http://127.0.0.1:8080/jwks'), null);
    assert.equal(loopback.checkUrl('https://localhost:9443/jwks'), null);
    assert.equal(loopback.checkUrl('http://[::ffff:127.0.0.1]:8080/jwks'), null);
    assert.equal(loopback.checkUrl('http://127.0.0.2:8080/jwks'), 'url must use https scheme');
    assert.equal(loopback.checkUrl('http://u:p@127.0.0.1:8080/jwks'), 'must not contain credentials');
    assert.equal(loopback.checkUrl('ftp://127.0.0.1/jwks'), 'url must use https scheme');
  });
});
