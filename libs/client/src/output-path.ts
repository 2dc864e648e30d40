import { extname } from 'node:path';

/** `fox.png` for one output; `fox-0.png`, `fox-1.png` … for several. */
export function outputPath(target: string, index: number, count: number): string {
  if (count === 1) return target;
  const extension = extname(target);
  return `${target.slice(0, target.length - extension.length)}-${index}${extension}`;
}
