import type { LookupAddress } from 'node:dns';
import { DestinationPolicy, parseAllowedHost } from './destination-policy';
import { HostResolver } from './host-resolver';

/** Answers scripted addresses per name; any other name is unknown. */
class StubResolver extends HostResolver {
  constructor(private readonly names: Record<string, LookupAddress[]>) {
    super();
  }

  async resolve(hostname: string): Promise<LookupAddress[]> {
    const addresses = this.names[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses;
  }
}

const HTTPS_ONLY = { allowHttp: false };
const HTTP_TOO = { allowHttp: true };
const strict = new DestinationPolicy([]);

describe('DestinationPolicy.refuse', () => {
  it.each(['https://example.com/hooks', 'https://93.184.216.34/x', 'https://[2606:4700:4700::1111]/x'])(
    'accepts %s',
    (url) => {
      expect(strict.refuse(url, HTTPS_ONLY)).toBeNull();
    },
  );

  it('refuses http unless allowed, and every other scheme always', () => {
    expect(strict.refuse('http://example.com/x', HTTPS_ONLY)).toBe('must be an https URL');
    expect(strict.refuse('http://example.com/x', HTTP_TOO)).toBeNull();
    for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'javascript:alert(1)', 'ws://example.com/x']) {
      expect(strict.refuse(url, HTTP_TOO)).toBe('must be an http or https URL');
    }
    expect(strict.refuse('data:text/plain,hi', HTTP_TOO)).toBe('must be an http or https URL');
  });

  it.each(['https://user:secret@example.com/x', 'https://user@example.com/x', 'https://:secret@example.com/x'])(
    'refuses credentials in %s',
    (url) => {
      expect(strict.refuse(url, HTTPS_ONLY)).toBe('must not carry credentials');
    },
  );

  it.each(['not a url', '/relative/path', 'example.com/x', ''])('refuses %j, which is no absolute URL', (url) => {
    expect(strict.refuse(url, HTTPS_ONLY)).toBe('must be an absolute URL');
  });

  it.each(['https://localhost/x', 'https://LOCALHOST:8443/x', 'https://api.localhost/x', 'https://localhost./x'])(
    'refuses %s, a name of this machine',
    (url) => {
      expect(strict.refuse(url, HTTPS_ONLY)).toBe('must not point at this machine');
    },
  );

  // WHATWG URL parsing turns each of these into a canonical address before the check sees it.
  it.each([
    ['http://127.0.0.1:8080/secret', 'dotted loopback'],
    ['http://127.1/x', 'short form'],
    ['http://2130706433/x', 'one decimal number'],
    ['http://0x7f000001/x', 'one hex number'],
    ['http://0x7f.1/x', 'hex and short'],
    ['http://017700000001/x', 'one octal number'],
    ['http://0177.0.0.1/x', 'octal octet'],
    ['http://127.0.0.1./x', 'trailing dot'],
    ['http://%31%32%37.0.0.1/x', 'percent-encoded'],
    ['http://①②⑦.0.0.1/x', 'full-width digits'],
    ['http://0.0.0.0/x', 'unspecified'],
    ['http://0/x', 'zero'],
    ['http://[::1]/x', 'IPv6 loopback'],
    ['http://[0:0:0:0:0:0:0:1]/x', 'IPv6 loopback spelled out'],
    ['http://[::]/x', 'IPv6 unspecified'],
    ['http://[::ffff:127.0.0.1]/x', 'IPv4-mapped'],
    ['http://[::ffff:7f00:1]/x', 'IPv4-mapped, hex'],
    ['http://[::127.0.0.1]/x', 'IPv4-compatible'],
    ['http://[64:ff9b::127.0.0.1]/x', 'NAT64'],
    ['http://[64:ff9b:1::a00:1]/x', 'local NAT64'],
    ['http://[2002:7f00:1::]/x', '6to4'],
    ['http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/x', 'Teredo'],
    ['http://10.0.0.1/x', 'private'],
    ['http://172.16.5.4/x', 'private'],
    ['http://192.168.1.1/x', 'private'],
    ['http://169.254.169.254/latest/meta-data', 'cloud metadata'],
    ['http://100.64.0.1/x', 'carrier-grade NAT'],
    ['http://198.18.0.1/x', 'benchmarking'],
    ['http://192.0.2.1/x', 'documentation'],
    ['http://224.0.0.1/x', 'multicast'],
    ['http://[fd00::1]/x', 'unique local'],
    ['http://[fe80::1]/x', 'link local'],
    ['http://[ff02::1]/x', 'IPv6 multicast'],
  ])('refuses %s (%s)', (url) => {
    expect(strict.refuse(url, HTTP_TOO)).toBe('must not point at a private or special-purpose address');
  });

  describe('with EGRESS_ALLOW_HOSTS', () => {
    const policy = new DestinationPolicy(['127.0.0.1:8080', 'Model-Server.internal', '[::1]:9000', 'localhost:80']);

    it.each([
      'http://127.0.0.1:8080/x',
      'http://2130706433:8080/x',
      'http://model-server.internal/x',
      'https://MODEL-SERVER.internal:8443/x',
      'http://model-server.internal./x',
      'http://[::1]:9000/x',
      'http://[0:0::1]:9000/x',
      'http://localhost/x',
    ])('accepts the listed %s', (url) => {
      expect(policy.refuse(url, HTTP_TOO)).toBeNull();
    });

    it.each([
      ['http://127.0.0.1:8081/x', 'another port of a host:port entry'],
      ['http://127.0.0.1/x', 'the default port of a host:port entry'],
      ['http://[::1]:9001/x', 'another port of an IPv6 entry'],
      ['https://localhost/x', 'https (443) of a localhost:80 entry'],
      ['http://127.0.0.2:8080/x', 'a neighbouring address'],
    ])('still refuses %s (%s)', (url) => {
      expect(policy.refuse(url, HTTP_TOO)).toEqual(expect.any(String));
    });

    it('still refuses credentials and schemes on a listed host', () => {
      expect(policy.refuse('http://u:p@127.0.0.1:8080/x', HTTP_TOO)).toBe('must not carry credentials');
      expect(policy.refuse('http://127.0.0.1:8080/x', HTTPS_ONLY)).toBe('must be an https URL');
    });
  });
});

describe('parseAllowedHost', () => {
  it.each([
    ['example.com', { hostname: 'example.com', port: null }],
    ['Example.COM:8443', { hostname: 'example.com', port: 8443 }],
    ['127.0.0.1', { hostname: '127.0.0.1', port: null }],
    ['[::1]:9000', { hostname: '::1', port: 9000 }],
    ['[0:0:0:0:0:0:0:1]', { hostname: '::1', port: null }],
  ])('reads %s', (entry, expected) => {
    expect(parseAllowedHost(entry)).toEqual(expected);
  });

  it.each(['::1', 'a:b:c', 'host:port', '', 'http://example.com'])('refuses %j', (entry) => {
    expect(() => parseAllowedHost(entry)).toThrow(/host/);
  });
});

describe('DestinationPolicy.lookupFor', () => {
  type Result = { error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };
  const names: Record<string, LookupAddress[]> = {
    'hooks.example.com': [{ address: '93.184.216.34', family: 4 }],
    'evil.test': [{ address: '127.0.0.1', family: 4 }],
    'mapped.test': [{ address: '::ffff:169.254.169.254', family: 6 }],
    'mixed.test': [
      { address: '10.0.0.5', family: 4 },
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
      { address: '::1', family: 6 },
    ],
    'model-server.internal': [{ address: '10.1.2.3', family: 4 }],
  };
  const resolver = new StubResolver(names);

  function lookup(policy: DestinationPolicy, url: string, options: { all?: boolean } = {}): Promise<Result> {
    const { hostname } = new URL(url);
    return new Promise((resolve) => {
      // Called as node's net calls a socket's `lookup`.
      policy.lookupFor(new URL(url))(hostname, options, (error, address, family) =>
        resolve({ error, address, family }),
      );
    });
  }

  it('answers a public address', async () => {
    const { error, address, family } = await lookup(new DestinationPolicy([], resolver), 'https://hooks.example.com/x');

    expect(error).toBeNull();
    expect(address).toBe('93.184.216.34');
    expect(family).toBe(4);
  });

  it.each(['http://evil.test/x', 'http://mapped.test/x'])(
    'refuses %s, a name resolving to a non-public address (rebinding), with code EDESTINATION',
    async (url) => {
      for (const all of [false, true]) {
        const { error } = await lookup(new DestinationPolicy([], resolver), url, { all });

        expect(error?.code).toBe('EDESTINATION');
        expect(error?.message).toContain('resolves to no public address');
      }
    },
  );

  it('connects to the first public address of several, skipping the others', async () => {
    const policy = new DestinationPolicy([], resolver);

    expect(await lookup(policy, 'http://mixed.test/x')).toMatchObject({ error: null, address: '93.184.216.34' });
    expect((await lookup(policy, 'http://mixed.test/x', { all: true })).address).toEqual([
      names['mixed.test'][1],
      names['mixed.test'][2],
    ]);
  });

  it('answers every address of an allowed host, private ones included', async () => {
    const policy = new DestinationPolicy(['model-server.internal', 'mixed.test:8080'], resolver);

    expect(await lookup(policy, 'http://model-server.internal/x')).toMatchObject({ error: null, address: '10.1.2.3' });
    expect((await lookup(policy, 'http://mixed.test:8080/x', { all: true })).address).toEqual(names['mixed.test']);
    // Another port of the same name is not the allowed destination.
    expect((await lookup(policy, 'http://mixed.test:9090/x', { all: true })).address).toHaveLength(2);
  });

  it('passes on a resolver error as it is', async () => {
    const { error } = await lookup(new DestinationPolicy([], resolver), 'http://no-such-host.invalid/x');

    expect(error?.code).toBe('ENOTFOUND');
  });

  it('uses the system resolver by default', async () => {
    const { error } = await lookup(new DestinationPolicy([]), 'http://localhost/x');

    expect(error?.code).toBe('EDESTINATION');
  });
});
