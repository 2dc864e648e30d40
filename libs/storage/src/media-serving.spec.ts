import { DOWNLOAD_CONTENT_TYPE, mediaServing } from './media-serving';

describe('mediaServing', () => {
  it.each([
    'image/png',
    'image/jpeg',
    'image/gif',
    'image/webp',
    'image/avif',
    'audio/mpeg',
    'audio/wav',
    'audio/flac',
    'video/mp4',
    'video/webm',
    'application/json',
  ])('serves %s inline, as itself', (type) => {
    expect(mediaServing(type, '0.bin')).toEqual({ contentType: type, disposition: 'inline; filename="0.bin"' });
  });

  it.each([
    'text/html',
    'image/svg+xml',
    'application/xml',
    'text/xml',
    'application/xhtml+xml',
    'text/javascript',
    'application/pdf',
    'text/plain',
    'application/octet-stream',
    'model/gltf-binary',
    '',
    'not a type',
  ])('serves %j as a download of opaque bytes', (type) => {
    expect(mediaServing(type, '0.html')).toEqual({
      contentType: DOWNLOAD_CONTENT_TYPE,
      disposition: 'attachment; filename="0.html"',
    });
  });

  it('ignores parameters and case when deciding, and answers with the bare type', () => {
    expect(mediaServing('Application/JSON; charset=utf-8', '0.json').contentType).toBe('application/json');
    expect(mediaServing('IMAGE/SVG+XML; charset=utf-8', '0.svg').contentType).toBe(DOWNLOAD_CONTENT_TYPE);
  });

  it('names the file so that it cannot break out of the header or hide', () => {
    expect(mediaServing('text/html', 'a"b;c\r\nd.html').disposition).toBe('attachment; filename="a_b_c__d.html"');
    expect(mediaServing('text/html', '..htaccess').disposition).toBe('attachment; filename="htaccess"');
    expect(mediaServing('text/html', '"').disposition).toBe('attachment; filename="download"');
  });

  it('rule: a type with spaces before its parameters is still recognised, and unknown types download as octet-stream', () => {
    expect(mediaServing(' image/png ; charset=binary', '0.png').contentType).toBe('image/png');
    expect(mediaServing('text/html', '0.html').contentType).toBe('application/octet-stream');
  });
});
