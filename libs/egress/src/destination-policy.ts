import type { LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { HostResolver, SystemHostResolver } from './host-resolver';
import { isPublicAddress } from './special-purpose-addresses';

/** A destination the policy forbids: retrying cannot help. */
export class DestinationRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefusedError';
  }
}

export interface DestinationRules {
  /** Whether `http:` is acceptable besides `https:`. */
  allowHttp: boolean;
}

interface AllowedHost {
  hostname: string;
  /** null: every port */
  port: number | null;
}

const ALLOWED_HOST = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/;

/**
 * The one place that decides where the service may connect on a client's or a model's behalf
 * (webhook receivers, model outputs): only http(s), no credentials in the URL, and only public
 * addresses, checked on the URL before connecting and again on every address a name resolves to
 * at connect time, so DNS rebinding and odd IP spellings cannot slip past. Hosts named in
 * `EGRESS_ALLOW_HOSTS` (`host` or `host:port`) are exempt from the address check.
 */
export class DestinationPolicy {
  private readonly allowedHosts: AllowedHost[];

  constructor(
    allowHosts: readonly string[],
    private readonly resolver: HostResolver = new SystemHostResolver(),
  ) {
    this.allowedHosts = allowHosts.map(parseAllowedHost);
  }

  /** Why `url` may not be contacted, or null when it may. The reason reads after "<the URL> …". */
  refuse(url: string | URL, rules: DestinationRules): string | null {
    const parsed = typeof url === 'string' ? (URL.canParse(url) ? new URL(url) : null) : url;
    if (!parsed) return 'must be an absolute URL';
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && rules.allowHttp)) {
      return rules.allowHttp ? 'must be an http or https URL' : 'must be an https URL';
    }
    if (parsed.username || parsed.password) return 'must not carry credentials';
    if (this.isAllowedHost(parsed)) return null;
    const host = bareHostname(parsed);
    if (host === 'localhost' || host.endsWith('.localhost')) return 'must not point at this machine';
    // An IP address in the URL is connected to without a lookup, so it is checked here.
    if (isIP(host) && !isPublicAddress(host)) return 'must not point at a private or special-purpose address';
    return null;
  }

  /**
   * The socket `lookup` for a request to `url`: it answers only public addresses (all of them,
   * unless the host is allowed), so the address checked is the very one connected to.
   */
  lookupFor(url: URL): LookupFunction {
    const exempt = this.isAllowedHost(url);
    return (hostname, options, callback) => {
      this.resolver.resolve(hostname, { family: options.family, hints: options.hints }).then(
        (addresses) => {
          const usable = exempt ? addresses : addresses.filter((entry) => isPublicAddress(entry.address));
          if (usable.length === 0) {
            const refused = Object.assign(new Error(`${hostname} resolves to no public address`), {
              code: 'EDESTINATION',
            });
            return callback(refused, '', 0);
          }
          if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
          return callback(null, usable[0].address, usable[0].family);
        },
        (error: NodeJS.ErrnoException) => callback(error, '', 0),
      );
    };
  }

  private isAllowedHost(url: URL): boolean {
    const hostname = bareHostname(url);
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    return this.allowedHosts.some((allowed) => allowed.hostname === hostname && (allowed.port ?? port) === port);
  }
}

/** The host without IPv6 brackets or a trailing dot, as WHATWG URL parsing normalised it. */
function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/** `host` or `host:port` (IPv6 in brackets), spelled however: it is normalised like a URL's host. */
export function parseAllowedHost(entry: string): AllowedHost {
  const match = ALLOWED_HOST.exec(entry.trim());
  if (!match || !URL.canParse(`http://${match[1]}`)) throw new Error(`Not a host or host:port: ${entry}`);
  return { hostname: bareHostname(new URL(`http://${match[1]}`)), port: match[2] ? Number(match[2]) : null };
}
