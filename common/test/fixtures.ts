// Paths of the test fixtures, valid both from source and from dist/.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../src/testing/repo.ts';

const fromSource = import.meta.url.endsWith('.ts');

/** Node arguments running fixtures/NAME(.ts|.js) next to this file. */
export function fixtureEntry(name: string): string[] {
  return [fileURLToPath(new URL(`./fixtures/${name}${fromSource ? '.ts' : '.js'}`, import.meta.url))];
}

/** Non-TypeScript fixtures are not copied to dist/, so they are read from the source tree. */
export function sourceFixture(name: string): string {
  return join(repoRoot(), 'common', 'test', 'fixtures', name);
}
