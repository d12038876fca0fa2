/**
 * A key's IP allow-list: CIDR blocks (IPv4 or IPv6; a bare address is a block of one) the key
 * may be used from. Admin input is normalised here once, so what is stored always parses, and
 * the gateway matches a client address with node:net's BlockList, which masks the block's host
 * bits and matches IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) against IPv4 blocks.
 *
 * @example
 * ```ts
 * parseCidr(' 10.0.0.7/8 '); // '10.0.0.7/8'
 * ipAllowed(['10.0.0.0/8', '2001:db8::/32'], '10.1.2.3'); // true
 * ```
 */
import { BlockList, isIP } from 'node:net';

/** The block in its canonical text (`address/prefix`), or undefined when it is not a CIDR block. */
export function parseCidr(text: string): string | undefined {
  const [address = '', prefix, extra] = text.trim().toLowerCase().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const maxBits = version === 4 ? 32 : 128;
  if (prefix === undefined) return `${address}/${maxBits}`;
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
  return bits >= 0 && bits <= maxBits ? `${address}/${bits}` : undefined;
}

/**
 * Whether `ip` lies in one of `cidrs`. An unknown client address matches nothing, so a key with
 * a list fails closed; a block that does not parse (never stored by the admin path) is skipped.
 */
export function ipAllowed(cidrs: readonly string[], ip: string | undefined): boolean {
  const version = ip === undefined ? 0 : isIP(ip);
  if (version === 0 || ip === undefined) return false;
  const blocks = new BlockList();
  for (const cidr of cidrs) {
    const block = parseCidr(cidr);
    if (!block) continue;
    const [address = '', bits] = block.split('/');
    blocks.addSubnet(address, Number(bits), isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }
  return blocks.check(ip, version === 4 ? 'ipv4' : 'ipv6');
}
