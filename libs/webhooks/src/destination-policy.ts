import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export interface DestinationPolicy {
  allowHttp: boolean;
  allowPrivateNetworks: boolean;
}

/**
 * Loopback, private, link-local, carrier-grade NAT, multicast and unspecified ranges. (BlockList
 * also checks IPv4-mapped IPv6 addresses, such as ::ffff:127.0.0.1, against the IPv4 ranges.)
 */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  // NAT64 and 6to4 can embed any IPv4 address, private ones included.
  ['64:ff9b::', 96],
  ['2002::', 16],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why `url` may not receive webhooks under `policy`, or null when it may (checked at submit). */
export function refuseDestination(url: string, policy: DestinationPolicy): string | null {
  const parsed = URL.canParse(url) ? new URL(url) : null;
  if (!parsed) return 'webhook must be an absolute URL';
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && policy.allowHttp)) {
    return policy.allowHttp ? 'webhook must be an http or https URL' : 'webhook must be an https URL';
  }
  if (parsed.username || parsed.password) return 'webhook must not carry credentials';
  if (policy.allowPrivateNetworks) return null;
  const host = parsed.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'webhook must not point at this machine';
  if (isIP(host) && !isPublicAddress(host))
    return 'webhook must not point at a private, loopback or link-local address';
  return null;
}

/**
 * A DNS lookup for outgoing webhook requests that refuses non-public addresses. Used as the
 * socket's `lookup`, it checks the very address connected to, so DNS rebinding cannot slip past.
 */
export function publicOnlyLookup(policy: DestinationPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const allowed = policy.allowPrivateNetworks
        ? addresses
        : addresses.filter((entry) => isPublicAddress(entry.address));
      if (allowed.length === 0) {
        const refused = Object.assign(new Error(`${hostname} resolves to no public address`), { code: 'EDESTINATION' });
        return callback(refused, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      return callback(null, allowed[0].address, allowed[0].family);
    });
  };
}
