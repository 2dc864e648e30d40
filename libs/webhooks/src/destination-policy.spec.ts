import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { type DestinationPolicy, isPublicAddress, publicOnlyLookup, refuseDestination } from './destination-policy';

// The real resolver, unless a test scripts what a name resolves to.
jest.mock('node:dns', () => {
  const actual = jest.requireActual<typeof import('node:dns')>('node:dns');
  return { ...actual, lookup: jest.fn(actual.lookup) };
});

const STRICT: DestinationPolicy = { allowHttp: false, allowPrivateNetworks: false };

describe('isPublicAddress', () => {
  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1'])(
    'takes the public IPv4 address %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );

  it.each(['2606:4700:4700::1111', '2001:4860:4860::8888', '2a00:1450:4001:80b::200e'])(
    'takes the public IPv6 address %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );

  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.20.10.5',
    '172.31.255.255',
    '192.168.0.1',
    '192.168.255.255',
    '169.254.169.254',
    '169.254.0.1',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456:789a::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
  ])('refuses the non-public address %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['example.com', 'localhost', '', 'not an address', '[::1]'])(
    'refuses %j, which is no IP address',
    (value) => {
      expect(isPublicAddress(value)).toBe(false);
    },
  );
});

describe('refuseDestination', () => {
  describe('with https only and no private networks', () => {
    it.each(['https://example.com/hooks', 'https://93.184.216.34/x', 'https://[2606:4700:4700::1111]/x'])(
      'accepts %s',
      (url) => {
        expect(refuseDestination(url, STRICT)).toBeNull();
      },
    );

    it('refuses http', () => {
      expect(refuseDestination('http://example.com/hooks', STRICT)).toMatch(/https/);
    });

    it.each(['ftp://example.com/x', 'file:///etc/passwd', 'javascript:alert(1)', 'ws://example.com/x'])(
      'refuses the scheme of %s',
      (url) => {
        expect(refuseDestination(url, STRICT)).toEqual(expect.any(String));
      },
    );

    it.each(['https://user:secret@example.com/x', 'https://user@example.com/x', 'https://:secret@example.com/x'])(
      'refuses credentials in %s',
      (url) => {
        expect(refuseDestination(url, STRICT)).toMatch(/credentials/);
      },
    );

    it.each([
      'https://localhost/x',
      'https://LOCALHOST:8443/x',
      'https://api.localhost/x',
      'https://127.0.0.1/x',
      'https://127.1/x',
      'https://2130706433/x',
      'https://0x7f000001/x',
      'https://[::1]/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://10.0.0.1/x',
      'https://172.16.5.4/x',
      'https://192.168.1.1/x',
      'https://169.254.169.254/latest/meta-data',
      'https://100.64.0.1/x',
      'https://0.0.0.0/x',
      'https://[fd00::1]/x',
      'https://[fe80::1]/x',
    ])('refuses %s, which points at this machine or a private network', (url) => {
      expect(refuseDestination(url, STRICT)).toMatch(/must not point at/);
    });

    it.each(['not a url', '/relative/path', 'example.com/x', ''])('refuses %j, which is no absolute URL', (url) => {
      expect(refuseDestination(url, STRICT)).toMatch(/absolute URL/);
    });
  });

  it('accepts http when allowed, but still no other scheme', () => {
    const policy = { allowHttp: true, allowPrivateNetworks: false };

    expect(refuseDestination('http://example.com/hooks', policy)).toBeNull();
    expect(refuseDestination('https://example.com/hooks', policy)).toBeNull();
    expect(refuseDestination('ftp://example.com/x', policy)).toMatch(/http or https/);
    expect(refuseDestination('http://127.0.0.1/x', policy)).toMatch(/must not point at/);
  });

  it('accepts loopback and private networks when allowed, but still not credentials', () => {
    const policy = { allowHttp: false, allowPrivateNetworks: true };

    for (const url of ['https://127.0.0.1/x', 'https://localhost:8443/x', 'https://[::1]/x', 'https://10.0.0.1/x']) {
      expect(refuseDestination(url, policy)).toBeNull();
    }
    expect(refuseDestination('http://127.0.0.1/x', policy)).toMatch(/https/);
    expect(refuseDestination('https://user:secret@127.0.0.1/x', policy)).toMatch(/credentials/);
  });
});

describe('publicOnlyLookup', () => {
  type Result = { error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };

  function lookup(policy: DestinationPolicy, hostname: string, options: { all?: boolean } = {}): Promise<Result> {
    return new Promise((resolve) => {
      // Called as node's net/http call a socket's `lookup`.
      publicOnlyLookup(policy)(hostname, options, (error, address, family) => resolve({ error, address, family }));
    });
  }

  it('refuses a name that resolves only to loopback, with code EDESTINATION', async () => {
    const { error } = await lookup(STRICT, 'localhost');

    expect(error).toBeInstanceOf(Error);
    expect(error?.code).toBe('EDESTINATION');
    expect(error?.message).toContain('localhost');
  });

  it('refuses loopback also when every address is asked for', async () => {
    const { error } = await lookup(STRICT, 'localhost', { all: true });

    expect(error?.code).toBe('EDESTINATION');
  });

  it('refuses an IP literal of a private network', async () => {
    const { error } = await lookup(STRICT, '169.254.169.254');

    expect(error?.code).toBe('EDESTINATION');
  });

  it('resolves loopback when private networks are allowed', async () => {
    const { error, address, family } = await lookup({ allowHttp: false, allowPrivateNetworks: true }, 'localhost');

    expect(error).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(address);
    expect([4, 6]).toContain(family);
  });

  it('answers every allowed address when asked for all', async () => {
    const { error, address } = await lookup({ allowHttp: false, allowPrivateNetworks: true }, '127.0.0.1', {
      all: true,
    });

    expect(error).toBeNull();
    expect(address).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });

  it('passes on a resolver error as it is', async () => {
    const { error } = await lookup(STRICT, 'no-such-host.invalid');

    expect(error?.code).toEqual(expect.any(String));
    expect(error?.code).not.toBe('EDESTINATION');
  });

  it('resolves a name whose only address is a public IPv4 one (most webhook receivers)', async () => {
    jest
      .mocked(dnsLookup)
      .mockImplementationOnce(((_name: string, _options: unknown, callback: DnsCallback) =>
        callback(null, [{ address: '93.184.216.34', family: 4 }])) as unknown as typeof dnsLookup);

    const { error, address } = await lookup(STRICT, 'hooks.example.com');

    expect(error).toBeNull();
    expect(address).toBe('93.184.216.34');
  });

  describe('with a name that resolves to several addresses', () => {
    const resolved: LookupAddress[] = [
      { address: '10.0.0.5', family: 4 },
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
      { address: '::1', family: 6 },
    ];

    beforeEach(() => {
      jest
        .mocked(dnsLookup)
        .mockImplementationOnce(((_name: string, _options: unknown, callback: DnsCallback) =>
          callback(null, resolved)) as unknown as typeof dnsLookup);
    });

    it('connects to the first public address, skipping the private ones', async () => {
      const { error, address, family } = await lookup(STRICT, 'hooks.example.com');

      expect(error).toBeNull();
      expect(address).toBe('93.184.216.34');
      expect(family).toBe(4);
    });

    it('answers only the public addresses when asked for all', async () => {
      const { error, address } = await lookup(STRICT, 'hooks.example.com', { all: true });

      expect(error).toBeNull();
      expect(address).toEqual([resolved[1], resolved[2]]);
    });

    it('answers every address when private networks are allowed', async () => {
      const { address } = await lookup({ allowHttp: false, allowPrivateNetworks: true }, 'hooks.example.com', {
        all: true,
      });

      expect(address).toEqual(resolved);
    });
  });
});

type DnsCallback = (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;
