import { type LookupAddress, type LookupAllOptions, lookup } from 'node:dns';
import { Injectable } from '@nestjs/common';

/**
 * Turns a host name into addresses for outgoing requests. A port so tests can stand in a name
 * that resolves to an address of their choosing (DNS rebinding) without a DNS server.
 */
export abstract class HostResolver {
  abstract resolve(hostname: string, options: { family?: number | string; hints?: number }): Promise<LookupAddress[]>;
}

/** The operating system's resolver (`dns.lookup`, as node's sockets use by default). */
@Injectable()
export class SystemHostResolver extends HostResolver {
  resolve(hostname: string, options: { family?: number | string; hints?: number }): Promise<LookupAddress[]> {
    return new Promise((resolve, reject) => {
      lookup(hostname, { ...options, all: true } as LookupAllOptions, (error, addresses) =>
        error ? reject(error) : resolve(addresses),
      );
    });
  }
}
