import { outputPath } from './output-path';

describe('outputPath', () => {
  it('writes one output to the given file and several beside it, numbered', () => {
    expect(outputPath('fox.png', 0, 1)).toBe('fox.png');
    expect([0, 1].map((index) => outputPath('out/fox.png', index, 2))).toEqual(['out/fox-0.png', 'out/fox-1.png']);
    expect(outputPath('fox', 1, 2)).toBe('fox-1');
  });
});
