import { collectMediaUrls, outputShapeOf } from './prediction-output';

describe('collectMediaUrls', () => {
  it('collects a single URL string', () => {
    expect(collectMediaUrls('https://replicate.delivery/pbxt/abc/out-0.png')).toEqual([
      'https://replicate.delivery/pbxt/abc/out-0.png',
    ]);
  });

  it('collects a list of URLs in order', () => {
    const output = [
      'https://replicate.delivery/a/out-0.webp',
      'https://replicate.delivery/a/out-1.webp',
      'https://replicate.delivery/a/out-2.webp',
    ];

    expect(collectMediaUrls(output)).toEqual(output);
  });

  it('collects URLs from nested objects and arrays, in order', () => {
    const output = {
      images: ['https://example.test/1.png', { url: 'https://example.test/2.png', seed: 42 }],
      audio: { track: 'http://example.test/3.wav', waveform: ['https://example.test/4.png'] },
      video: 'https://example.test/5.mp4',
    };

    expect(collectMediaUrls(output)).toEqual([
      'https://example.test/1.png',
      'https://example.test/2.png',
      'http://example.test/3.wav',
      'https://example.test/4.png',
      'https://example.test/5.mp4',
    ]);
  });

  it('collects data: URIs', () => {
    expect(collectMediaUrls(['data:image/png;base64,iVBORw0KGgo=', 'data:text/plain,hi'])).toEqual([
      'data:image/png;base64,iVBORw0KGgo=',
      'data:text/plain,hi',
    ]);
  });

  it('collects both http and https URLs, whatever the letter case of the scheme', () => {
    expect(collectMediaUrls(['http://a.test/x.png', 'https://a.test/y.png', 'HTTPS://a.test/z.png'])).toEqual([
      'http://a.test/x.png',
      'https://a.test/y.png',
      'HTTPS://a.test/z.png',
    ]);
  });

  it('ignores strings that are not media URLs', () => {
    const output = [
      'a cat on a skateboard',
      'see https://a.test/inline.png',
      'ftp://a.test/file.png',
      'www.a.test/x.png',
      '/relative/path.png',
      'file:///etc/passwd',
      '',
    ];

    expect(collectMediaUrls(output)).toEqual([]);
  });

  it('ignores numbers, null, undefined and booleans, also inside structures', () => {
    expect(collectMediaUrls(42)).toEqual([]);
    expect(collectMediaUrls(null)).toEqual([]);
    expect(collectMediaUrls(undefined)).toEqual([]);
    expect(collectMediaUrls(true)).toEqual([]);
    expect(collectMediaUrls(false)).toEqual([]);
    expect(collectMediaUrls([1, null, false, { score: 0.9, nsfw: true, url: 'https://a.test/ok.png' }])).toEqual([
      'https://a.test/ok.png',
    ]);
  });

  it('finds no media in a text output made of plain strings', () => {
    expect(collectMediaUrls(['Once', ' upon', ' a', ' time', '.'])).toEqual([]);
    expect(collectMediaUrls({ text: 'Hello', tokens: ['Hel', 'lo'] })).toEqual([]);
  });

  it('finds no media in empty structures', () => {
    expect(collectMediaUrls([])).toEqual([]);
    expect(collectMediaUrls({})).toEqual([]);
  });
});

describe('outputShapeOf', () => {
  it('marks a single URL as the first output', () => {
    expect(outputShapeOf('https://replicate.delivery/a/out-0.png')).toEqual({ $output: 0 });
  });

  it('keeps a list a list, numbering its URLs in order', () => {
    expect(outputShapeOf(['https://a.test/0.png', 'data:image/png;base64,AA=='])).toEqual([
      { $output: 0 },
      { $output: 1 },
    ]);
  });

  it('numbers the URLs of nested structures in the order collectMediaUrls gives them, keeping other values', () => {
    const output = {
      images: ['https://a.test/1.png', { url: 'https://a.test/2.png', seed: 42 }],
      caption: 'a cat',
      nsfw: false,
      missing: undefined,
      none: null,
    };

    expect(outputShapeOf(output)).toEqual({
      images: [{ $output: 0 }, { url: { $output: 1 }, seed: 42 }],
      caption: 'a cat',
      nsfw: false,
      missing: null,
      none: null,
    });
    expect(collectMediaUrls(output)).toEqual(['https://a.test/1.png', 'https://a.test/2.png']);
  });

  it('keeps an output without media as it is', () => {
    expect(outputShapeOf(['Once', ' upon'])).toEqual(['Once', ' upon']);
    expect(outputShapeOf(7)).toBe(7);
  });
});
