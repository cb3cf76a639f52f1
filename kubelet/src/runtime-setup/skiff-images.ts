// Builds the project's image recipes (images/<name>) and pushes those the registry lacks.
import { join } from 'node:path';
import { buildImage } from '../images/builder.ts';
import { pushImage, type PushResult } from '../images/push.ts';
import { findRepoRoot, skiffDir } from './repo-root.ts';

export const SKIFF_IMAGES = ['pause', 'busybox', 'web'] as const;

/** Returns e.g. { web: '127.0.0.1:5000/skiff/web:latest', ... } */
export async function ensureSkiffImages(
  names: readonly string[] = SKIFF_IMAGES,
  registry: string = process.env.SKIFF_REGISTRY_ADDR ?? '127.0.0.1:5000',
): Promise<Record<string, PushResult>> {
  const results: Record<string, PushResult> = {};
  for (const name of names) {
    const image = buildImage(join(findRepoRoot(), 'images', name), { name: `skiff/${name}:latest`, outDir: join(skiffDir(), 'images') });
    results[name] = await pushImage(image, { registry });
  }
  return results;
}
