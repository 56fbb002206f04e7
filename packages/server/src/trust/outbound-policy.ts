import { BlockList, isIP } from 'node:net';
import { isPublicIp } from './ip-ranges.ts';

/**
 * Where the server may dial for an issuer (spec §4.2, §7). By default: https on port 443 to DNS
 * names that resolve only to public addresses. Entries of OPENWIF_OUTBOUND_ALLOW — host names,
 * `*.suffix` wildcards, IP addresses and CIDRs — are exempt from all three rules, for on-prem
 * issuers and loopback development. Credentials and fragments are refused for every URL.
 */
export class OutboundPolicy {
  private readonly allowedNames = new Set<string>();
  private readonly allowedSuffixes: string[] = [];
  private readonly allowedAddresses = new BlockList();

  /** Throws an Error naming the first malformed entry (start-up should fail on it). */
  constructor(allow: readonly string[]) {
    for (const entry of allow) {
      const value = entry.trim().toLowerCase();
      if (value === '') continue;
      this.addEntry(value);
    }
  }

  /** The hostname (brackets allowed) is operator-allowed by name, suffix or literal address. */
  isAllowedHost(hostname: string): boolean {
    const host = normalizeHost(hostname);
    if (this.allowedNames.has(host)) return true;
    if (this.allowedSuffixes.some((suffix) => host.endsWith(suffix) && host.length > suffix.length)) return true;
    return isIP(host) !== 0 && this.isAllowedAddress(host);
  }

  /** The IP literal lies in an allowed address or CIDR (IPv4-mapped IPv6 matches IPv4 entries). */
  isAllowedAddress(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    return this.allowedAddresses.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }

  /** Whether a resolved address may be dialled for a host that is not operator-allowed. */
  isPublicAddress(address: string): boolean {
    return isPublicIp(address);
  }

  /** A resolved address may be dialled: the host is allowed, the address is allowed, or it is public. */
  mayConnect(hostname: string, address: string): boolean {
    return this.isAllowedHost(hostname) || this.isAllowedAddress(address) || this.isPublicAddress(address);
  }

  /**
   * Static URL checks, run when an admin saves a URL and before every fetch. Returns a problem
   * message (to be prefixed with the field name) or null. Resolved addresses are checked again
   * at connect time (safe-fetch.ts), which defeats DNS rebinding.
   */
  checkUrl(raw: string): string | null {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'must be an absolute URL';
    }
    if (url.username !== '' || url.password !== '') return 'must not contain credentials';
    if (url.hash !== '' || raw.includes('#')) return 'must not contain a fragment';
    if (this.isAllowedHost(url.hostname)) {
      return url.protocol === 'https:' || url.protocol === 'http:' ? null : 'url must use https scheme';
    }
    if (url.protocol !== 'https:') return 'url must use https scheme';
    if (url.port !== '' && url.port !== '443') return 'url must use port 443';
    if (isIP(normalizeHost(url.hostname)) !== 0) return 'url must use a DNS name, not an IP address';
    if (!url.hostname.includes('.') || url.hostname.endsWith('.')) return 'url must use a public DNS name';
    return null;
  }

  private addEntry(value: string): void {
    const slash = value.indexOf('/');
    const address = normalizeHost(slash === -1 ? value : value.slice(0, slash));
    const family = isIP(address);
    if (family === 0) {
      if (slash !== -1) throw new Error(`OPENWIF_OUTBOUND_ALLOW: ${JSON.stringify(value)} is not a valid CIDR`);
      if (value.startsWith('*.') && isHostName(value.slice(2))) this.allowedSuffixes.push(value.slice(1));
      else if (isHostName(value)) this.allowedNames.add(value);
      else throw new Error(`OPENWIF_OUTBOUND_ALLOW: ${JSON.stringify(value)} is not a host name, *.suffix, IP address or CIDR`);
      return;
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      this.allowedAddresses.addAddress(address, type);
      return;
    }
    const bitsText = value.slice(slash + 1);
    const bits = Number(bitsText);
    if (!/^\d{1,3}$/.test(bitsText) || bits > (family === 4 ? 32 : 128)) {
      throw new Error(`OPENWIF_OUTBOUND_ALLOW: ${JSON.stringify(value)} has an invalid prefix length`);
    }
    this.allowedAddresses.addSubnet(address, bits, type);
  }
}

function normalizeHost(hostname: string): string {
  return hostname.toLowerCase().replace(/^\[|\]$/g, '');
}

function isHostName(value: string): boolean {
  return value.length <= 253 && /^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/.test(value);
}
