import { BlockList, isIP } from 'node:net';

/**
 * Where the server may dial (spec §4.2, §7). By default: https on port 443 to DNS names that
 * resolve only to public addresses. Hosts, IPs and CIDRs in OPENWIF_OUTBOUND_ALLOW are exempt
 * from all three rules, for on-prem issuers and loopback development.
 */
export class OutboundPolicy {
  private readonly allowedNames = new Set<string>();
  private readonly allowedSuffixes: string[] = [];
  private readonly allowedAddresses = new BlockList();

  constructor(allow: readonly string[]) {
    for (const entry of allow) {
      const value = entry.trim().toLowerCase();
      if (value === '') continue;
      const [addr, bits] = value.split('/');
      const family = isIP(addr ?? '');
      if (family !== 0 && addr) {
        const type = family === 4 ? 'ipv4' : 'ipv6';
        if (bits === undefined) this.allowedAddresses.addAddress(addr, type);
        else this.allowedAddresses.addSubnet(addr, Number(bits), type);
      } else if (value.startsWith('*.')) {
        this.allowedSuffixes.push(value.slice(1));
      } else {
        this.allowedNames.add(value);
      }
    }
  }

  /** The hostname (bracket-free) is operator-allowed by name, suffix or literal address. */
  isAllowedHost(hostname: string): boolean {
    const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
    if (this.allowedNames.has(host)) return true;
    if (this.allowedSuffixes.some((s) => host.endsWith(s))) return true;
    return isIP(host) !== 0 && this.isAllowedAddress(host);
  }

  isAllowedAddress(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    return this.allowedAddresses.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * Static URL checks done when an admin saves a URL. Returns a problem message or null.
   * DNS is checked again on every connection (see safe-fetch.ts), which defeats rebinding.
   */
  checkUrl(raw: string): string | null {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'must be an absolute URL';
    }
    if (url.username !== '' || url.password !== '') return 'must not contain credentials';
    if (url.hash !== '') return 'must not contain a fragment';
    if (this.isAllowedHost(url.hostname)) {
      return url.protocol === 'https:' || url.protocol === 'http:' ? null : 'url must use https scheme';
    }
    if (url.protocol !== 'https:') return 'url must use https scheme';
    if (url.port !== '' && url.port !== '443') return 'url must use port 443';
    if (isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0) return 'url must use a DNS name, not an IP address';
    if (!url.hostname.includes('.')) return 'url must use a public DNS name';
    return null;
  }

  /** Whether a resolved address may be dialled for a host that is not operator-allowed. */
  isPublicAddress(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return !NON_PUBLIC.check(mapped[1], 'ipv4');
    return !NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}

const NON_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['64:ff9b::', 96]] as const) {
  NON_PUBLIC.addSubnet(net, bits, 'ipv6');
}
