// Builds the project's image recipes (images/<name>) and pushes those the registry lacks,
// as skiff/<name> and as library/<name> (what the docker.io mirror serves for short names).
import { join } from 'node:path';
import { buildImage } from '../images/builder.ts';
import { pushImage, pushImageAs, skiffImageNames, type PushResult } from '../images/push.ts';
import { findRepoRoot, skiffDir } from './repo-root.ts';

export const SKIFF_IMAGES = ['pause', 'busybox', 'web'] as const;

/** Returns e.g. { web: '127.0.0.1:5000/skiff/web:latest', ... } */
export async function ensureSkiffImages(
  names: readonly string[] = SKIFF_IMAGES,
  registry: string = process.env.SKIFF_REGISTRY_ADDR ?? '127.0.0.1:5000',
): Promise<Record<string, PushResult>> {
  const results: Record<string, PushResult> = {};
  for (const name of names) {
    const names = skiffImageNames(name);
    const image = buildImage(join(findRepoRoot(), 'images', name), { name: names.name, outDir: join(skiffDir(), 'images') });
    results[name] = await pushImage(image, { registry });
    for (const alias of names.aliases) await pushImageAs(image, alias, { registry });
  }
  return results;
}
