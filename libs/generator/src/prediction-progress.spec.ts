import { PROGRESS_MESSAGE_MAX, progressFromLogs } from './prediction-progress';

describe('progressFromLogs', () => {
  it('has nothing to say about empty logs', () => {
    expect(progressFromLogs(null)).toBeNull();
    expect(progressFromLogs(undefined)).toBeNull();
    expect(progressFromLogs('')).toBeNull();
    expect(progressFromLogs('\n \r\n\t\n')).toBeNull();
  });

  it('reads the percent of the last tqdm bar, its line as the message', () => {
    const logs = [
      'Using seed: 42',
      '  0%|          | 0/20 [00:00<?, ?it/s]',
      ' 45%|████▌     | 9/20 [00:04<00:05, 2.10it/s]',
      '',
    ].join('\n');
    expect(progressFromLogs(logs)).toEqual({ percent: 45, message: '45%|████▌     | 9/20 [00:04<00:05, 2.10it/s]' });
  });

  it('reads tqdm updates separated by carriage returns', () => {
    expect(progressFromLogs(' 10%|█ | 2/20\r 15%|█▌ | 3/20\r')).toMatchObject({ percent: 15 });
  });

  it('computes the percent of `step n/m` and `Step n of m`', () => {
    expect(progressFromLogs('denoising step 9/20')).toEqual({ percent: 45, message: 'denoising step 9/20' });
    expect(progressFromLogs('Step 1 of 3 done')?.percent).toBe(33);
    expect(progressFromLogs('steps: 20/20')?.percent).toBe(100);
  });

  it('keeps the percent of an earlier line when the last line has none', () => {
    expect(progressFromLogs('step 5/10\nsaving the video')).toEqual({ percent: 50, message: 'saving the video' });
  });

  it('reports a message without a percent when no line has one', () => {
    expect(progressFromLogs('Loading weights\nWarming up')).toEqual({ percent: null, message: 'Warming up' });
  });

  it('ignores a step count out of nothing and keeps percents within 0–100', () => {
    expect(progressFromLogs('step 3/0')?.percent).toBeNull();
    expect(progressFromLogs('step 30/20')?.percent).toBe(100);
    expect(progressFromLogs('140%|██████| 28/20')?.percent).toBe(100);
    expect(progressFromLogs('12.6%|█ |')?.percent).toBe(13);
  });

  it('strips terminal escapes and control characters', () => {
    expect(progressFromLogs('\u001b[32mstep 1/4\u001b[0m\u0007')).toEqual({ percent: 25, message: 'step 1/4' });
  });

  it('never passes on URLs, tokens or other secrets', () => {
    const logs = [
      'GET https://user:pw@example.com/weights?X-Amz-Signature=abc123 done',
      'Authorization: Bearer r8_abcdefghijklmnopqrstuvwxyz012345',
      'token=hunter2 api_key: s3cr3t password=letmein',
      'aws AKIAABCDEFGHIJKLMNOP loaded r8_abcdefghij12 and sk-live_abcdefghijk',
      `blob ${'a1B2'.repeat(10)} end`,
    ];
    const messages = logs.map((line) => progressFromLogs(line)?.message);
    expect(messages).toEqual([
      'GET <url> done',
      'Authorization: Bearer <redacted>',
      'token=<redacted> api_key: <redacted> password=<redacted>',
      'aws <redacted> loaded <redacted> and <redacted>',
      'blob <redacted> end',
    ]);
    for (const message of messages) expect(message).not.toMatch(/hunter2|s3cr3t|letmein|example\.com|abcdefghij/);
  });

  it.each([
    ['secret=abc', 'secret=<redacted>'],
    ['passwd=abc', 'passwd=<redacted>'],
    ['signature=abc', 'signature=<redacted>'],
    ['credential = abc', 'credential = <redacted>'],
    ['authorization:abc', 'authorization:<redacted>'],
    ['apikey=abc api-key=def API_KEY=ghi', 'apikey=<redacted> api-key=<redacted> API_KEY=<redacted>'],
    ['bearer abc', 'Bearer <redacted>'],
    ['bearer   abc', 'Bearer <redacted>'],
    ['pk_abcdefgh ghp_abcdefgh xoxb-abcdefgh xoxp-abcdefgh', '<redacted> <redacted> <redacted> <redacted>'],
    ['sk_abcdefg r8_abcdefg', 'sk_abcdefg r8_abcdefg'],
    ['AKIA0123456789ABCDEF', '<redacted>'],
    ['AKIA0123456789ABCDE', 'AKIA0123456789ABCDE'],
    [`${'x'.repeat(31)}`, `${'x'.repeat(31)}`],
    [`id ${'x/+_=-'.repeat(6)}xy`, 'id <redacted>'],
    ['see s3://bucket/key.png', 'see <url>'],
    ['hash token-free text', 'hash token-free text'],
  ])('redacts %j as %j', (line, message) => {
    expect(progressFromLogs(line)?.message).toBe(message);
  });

  it.each([
    ['token=abc', 'token=<redacted>'],
    ['tokens=abc', 'tokens=<redacted>'],
    ['passwords: hunter2', 'passwords: <redacted>'],
    ['API_KEYS=abc,def', 'API_KEYS=<redacted>'],
    ['Secrets = abc', 'Secrets = <redacted>'],
    ['credentials:abc', 'credentials:<redacted>'],
    ['token: 1234', 'token: <redacted>'],
    ['passwords: 12abc', 'passwords: <redacted>'],
    ['passwords: abc123', 'passwords: <redacted>'],
    ['tokens: 12 token=abc', 'tokens: 12 token=<redacted>'],
  ])('redacts the value of a credential, its name kept as written: %j as %j', (line, message) => {
    expect(progressFromLogs(line)?.message).toBe(message);
  });

  it.each([
    'tokens: 12',
    'prompt tokens: 1,024, output tokens=77.',
    'max-tokens=77',
    'signatures: 3',
    'Secrets = 2.5',
    'passwords and tokens and secrets',
    'api keys rotated',
    'tokenizer: clip',
    'missing keys: unet.conv_in.weight',
    'keys=12',
  ])('leaves ordinary words, plurals and counts as they are: %j', (line) => {
    expect(progressFromLogs(line)?.message).toBe(line);
  });

  it('strips the DEL character and keeps the percent of the line it was on', () => {
    expect(progressFromLogs('step 2/4\u007f')).toEqual({ percent: 50, message: 'step 2/4' });
  });

  it('reads the spacing variants of a step count and a fractional tqdm percent', () => {
    expect(progressFromLogs('steps:9/20')?.percent).toBe(45);
    expect(progressFromLogs('step : 9 / 20')?.percent).toBe(45);
    expect(progressFromLogs('12.65%|█ |')?.percent).toBe(13);
  });

  it('does not read a step count out of a longer word', () => {
    expect(progressFromLogs('substeps 1/2')?.percent).toBeNull();
  });

  it('bounds the message length', () => {
    const message = progressFromLogs(`step 1/2 ${'word '.repeat(100)}`)?.message ?? '';
    expect(message).toHaveLength(PROGRESS_MESSAGE_MAX);
    expect(message.endsWith('…')).toBe(true);
    const fits = `${'ab '.repeat(53)}a`;
    expect(progressFromLogs(fits)?.message).toBe(fits);
  });

  it('reads only the tail of very long logs', () => {
    const logs = `step 1/4\n${'warming up\n'.repeat(2000)}`;
    expect(progressFromLogs(logs)).toEqual({ percent: null, message: 'warming up' });
  });
});
