import { isIP } from 'node:net';

/**
 * The one place that decides which IP addresses count as public: the service connects to nothing
 * else on a client's or a model's behalf. Built from the IANA IPv4 and IPv6 Special-Purpose
 * Address Registries (plus multicast and deprecated ranges), refusing every entry, also those
 * the registry marks globally reachable: no legitimate receiver or model output lives there.
 */

/** [network, prefix length, what it is, where it is defined] */
type Range = readonly [string, number, string, string];

const IPV4_SPECIAL: readonly Range[] = [
  ['0.0.0.0', 8, '"this network" (0.0.0.0 reaches this host)', 'RFC 791 §3.2'],
  ['10.0.0.0', 8, 'private use', 'RFC 1918'],
  ['100.64.0.0', 10, 'shared address space (carrier-grade NAT)', 'RFC 6598'],
  ['127.0.0.0', 8, 'loopback', 'RFC 1122 §3.2.1.3'],
  ['169.254.0.0', 16, 'link local (cloud metadata services)', 'RFC 3927'],
  ['172.16.0.0', 12, 'private use', 'RFC 1918'],
  ['192.0.0.0', 24, 'IETF protocol assignments (DS-Lite, NAT64 discovery, PCP/TURN anycast)', 'RFC 6890'],
  ['192.0.2.0', 24, 'documentation (TEST-NET-1)', 'RFC 5737'],
  ['192.31.196.0', 24, 'AS112-v4', 'RFC 7535'],
  ['192.52.193.0', 24, 'AMT', 'RFC 7450'],
  ['192.88.99.0', 24, 'deprecated 6to4 relay anycast', 'RFC 7526'],
  ['192.168.0.0', 16, 'private use', 'RFC 1918'],
  ['192.175.48.0', 24, 'direct delegation AS112 service', 'RFC 7534'],
  ['198.18.0.0', 15, 'benchmarking', 'RFC 2544'],
  ['198.51.100.0', 24, 'documentation (TEST-NET-2)', 'RFC 5737'],
  ['203.0.113.0', 24, 'documentation (TEST-NET-3)', 'RFC 5737'],
  ['224.0.0.0', 4, 'multicast', 'RFC 5771'],
  ['240.0.0.0', 4, 'reserved for future use, and 255.255.255.255 limited broadcast', 'RFC 1112 §4, RFC 919'],
];

/**
 * Anything outside 2000::/3 (global unicast) is refused as well, so the entries below that range
 * are listed for the record; those inside it are the reason this table exists.
 */
const IPV6_SPECIAL: readonly Range[] = [
  ['::', 96, 'unspecified, loopback and deprecated IPv4-compatible addresses', 'RFC 4291 §2.5.5.1'],
  ['::ffff:0:0', 96, 'IPv4-mapped addresses', 'RFC 4291 §2.5.5.2'],
  ['64:ff9b::', 96, 'IPv4/IPv6 translation (NAT64)', 'RFC 6052'],
  ['64:ff9b:1::', 48, 'local-use IPv4/IPv6 translation', 'RFC 8215'],
  ['100::', 64, 'discard-only', 'RFC 6666'],
  ['100:0:0:1::', 64, 'dummy IPv6 prefix', 'RFC 9780'],
  ['2001::', 23, 'IETF protocol assignments (Teredo 2001::/32, benchmarking 2001:2::/48, ORCHID…)', 'RFC 2928'],
  ['2001:db8::', 32, 'documentation', 'RFC 3849'],
  ['2002::', 16, '6to4 (embeds any IPv4 address)', 'RFC 3056'],
  ['2620:4f:8000::', 48, 'direct delegation AS112 service', 'RFC 7534'],
  ['3fff::', 20, 'documentation', 'RFC 9637'],
  ['5f00::', 16, 'segment routing (SRv6) SIDs', 'RFC 9602'],
  ['fc00::', 7, 'unique local', 'RFC 4193'],
  ['fe80::', 10, 'link-local unicast', 'RFC 4291'],
  ['fec0::', 10, 'deprecated site-local', 'RFC 3879'],
  ['ff00::', 8, 'multicast', 'RFC 4291'],
];

const GLOBAL_UNICAST_V6 = { network: parseIpv6('2000::'), prefix: 3 };

interface Subnet {
  network: bigint;
  prefix: number;
}

const toSubnets = (ranges: readonly Range[], parse: (address: string) => bigint): Subnet[] =>
  ranges.map(([network, prefix]) => ({ network: parse(network), prefix }));
const V4_SUBNETS = toSubnets(IPV4_SPECIAL, parseIpv4);
const V6_SUBNETS = toSubnets(IPV6_SPECIAL, parseIpv6);

function contains(subnet: Subnet, address: bigint, bits: number): boolean {
  const shift = BigInt(bits - subnet.prefix);
  return address >> shift === subnet.network >> shift;
}

/** True for an IPv4 or IPv6 address outside every special-purpose range; false for anything else. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) {
    const value = parseIpv4(address);
    return !V4_SUBNETS.some((subnet) => contains(subnet, value, 32));
  }
  if (family === 6) {
    const value = parseIpv6(address);
    return contains(GLOBAL_UNICAST_V6, value, 128) && !V6_SUBNETS.some((subnet) => contains(subnet, value, 128));
  }
  return false;
}

/** A dotted-quad IPv4 address (as `isIP` accepts it) as a number. */
function parseIpv4(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

/** An IPv6 address (as `isIP` accepts it: `::` shorthand, a trailing dotted quad, a zone) as a number. */
function parseIpv6(address: string): bigint {
  let text = address.split('%')[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = parseIpv4(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = tail === undefined ? groups(head) : [...groups(head), ...Array(missing).fill('0'), ...groups(tail)];
  return all.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}
