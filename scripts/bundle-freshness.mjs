// Whether an esbuild bundle is current: it exists and no file it was made from (the inputs of
// the metafile written beside it) changed after it. Lets `make up` skip bundling on a set-up
// machine (scripts/bundle-components.mjs, dashboard/build.mjs).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const mtime = (file) => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
};

/**
 * `metafile`: where keepMetafile wrote the bundle's metafile (outside any served folder);
 * `madeBy`: absolute paths of the files that build it (a changed build option is a change too).
 */
export function bundleIsCurrent(outfile, metafile, workingDir, madeBy = []) {
  const made = mtime(outfile);
  if (made === undefined) return false;
  try {
    const inputs = Object.keys(JSON.parse(readFileSync(metafile, 'utf8')).inputs).map((input) => join(workingDir, input));
    return [...inputs, ...madeBy].every((file) => {
      const changed = mtime(file);
      return changed !== undefined && changed <= made;
    });
  } catch {
    return false;
  }
}

/** Keeps the metafile of an esbuild result (built with metafile: true) for bundleIsCurrent. */
export function keepMetafile(metafile, result) {
  writeFileSync(metafile, JSON.stringify(result.metafile));
}
