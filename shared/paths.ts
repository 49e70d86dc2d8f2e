import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'data'))) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the loadgen package root above ${from}`);
    }
    dir = parent;
  }
}

/** The package root, found the same way from source (`shared/`) and from the build (`dist/shared/`). */
export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** A file in the shipped `data/` folder (prices, profiles, manifest, experiments). */
export function dataPath(name: string): string {
  return join(packageRoot, 'data', name);
}
