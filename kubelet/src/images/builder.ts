// Builds an OCI image from a recipe directory: a shared busybox base layer, one layer with
// the recipe's files, an image config and a manifest, tagged in an OCI layout directory.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import { busyboxRootfs, parentDirs } from './busybox-rootfs.ts';
import { parseImageRef, type ImageRef } from './image-ref.ts';
import { MEDIA_TYPES, sha256Digest, tagManifest, writeBlob, writeJsonBlob, type Descriptor } from './oci-layout.ts';
import { loadRecipe, type ImageRecipe, type RecipeFile } from './recipe.ts';
import { tarArchive, type TarEntry } from './tar.ts';

export interface BuildOptions {
  /** [registry/]repository[:tag] */
  name: string;
  /** Directory holding one OCI layout per repository; default `.skiff/images`. */
  outDir?: string;
  busyboxPath?: string;
}

export interface BuiltImage {
  ref: ImageRef;
  layoutDir: string;
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
// Fixed so that the config blob, and with it the manifest digest, only changes with content.
const CREATED = '2000-01-01T00:00:00Z';

export function buildImage(recipeDir: string, options: BuildOptions): BuiltImage {
  const recipe = loadRecipe(recipeDir);
  const ref = parseImageRef(options.name);
  const layoutDir = join(options.outDir ?? '.skiff/images', ref.repository);

  const layerTars: Buffer[] = [];
  if (recipe.base === 'busybox') layerTars.push(tarArchive(busyboxRootfs(options.busyboxPath)));
  const added = recipeFileEntries(recipe.files);
  if (added.length > 0) layerTars.push(tarArchive(added));
  if (layerTars.length === 0) throw new Error(`recipe ${recipeDir} has base "scratch" and no files: the image would be empty`);

  const layers = layerTars.map((tar) => writeBlob(layoutDir, MEDIA_TYPES.layerGzip, gzipSync(tar, { level: 9 })));
  const config = writeJsonBlob(
    layoutDir,
    MEDIA_TYPES.config,
    imageConfig(
      recipe,
      layerTars.map((t) => sha256Digest(t)),
    ),
  );
  const manifest = writeJsonBlob(layoutDir, MEDIA_TYPES.manifest, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config,
    layers,
  });
  tagManifest(layoutDir, ref.tag, manifest);
  return { ref, layoutDir, manifest, config, layers };
}

function imageConfig(recipe: ImageRecipe, diffIds: string[]): unknown {
  const env = recipe.env.some((e) => e.startsWith('PATH=')) ? recipe.env : [DEFAULT_PATH, ...recipe.env];
  return {
    created: CREATED,
    architecture: ociArchitecture(process.arch),
    os: 'linux',
    config: {
      Env: env,
      ...(recipe.entrypoint ? { Entrypoint: recipe.entrypoint } : {}),
      ...(recipe.cmd ? { Cmd: recipe.cmd } : {}),
      ...(recipe.workdir ? { WorkingDir: recipe.workdir } : {}),
      ...(recipe.user ? { User: recipe.user } : {}),
      ...(recipe.ports.length ? { ExposedPorts: Object.fromEntries(recipe.ports.map((p) => [p, {}])) } : {}),
      ...(Object.keys(recipe.labels).length ? { Labels: recipe.labels } : {}),
    },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({ created: CREATED, created_by: i === 0 && recipe.base === 'busybox' ? 'skiff: busybox base' : 'skiff: recipe files' })),
  };
}

export function ociArchitecture(nodeArch: string): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  const arch = map[nodeArch];
  if (!arch) throw new Error(`unsupported architecture ${nodeArch}`);
  return arch;
}

/** Tar entries for the recipe's files, with their parent directories, sorted for reproducibility. */
export function recipeFileEntries(files: readonly RecipeFile[]): TarEntry[] {
  const byPath = new Map<string, TarEntry>();
  const add = (entry: TarEntry) => {
    for (const dir of parentDirs(entry.path)) if (!byPath.has(dir)) byPath.set(dir, { type: 'dir', path: dir, mode: 0o755 });
    byPath.set(entry.path, entry);
  };
  for (const file of files) collect(file.src, file.dest.replace(/^\/+/, ''), file.mode, add);
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function collect(src: string, dest: string, mode: number | undefined, add: (e: TarEntry) => void): void {
  const stat = lstatSync(src, { throwIfNoEntry: false });
  if (!stat) throw new Error(`recipe file ${src} does not exist`);
  if (stat.isSymbolicLink()) {
    add({ type: 'symlink', path: dest, target: readlinkSync(src) });
  } else if (stat.isDirectory()) {
    add({ type: 'dir', path: dest, mode: stat.mode & 0o7777 });
    // mode from the recipe applies to the named file only, not to a directory's contents
    for (const name of readdirSync(src).sort()) collect(join(src, name), posix.join(dest, name), undefined, add);
  } else if (stat.isFile()) {
    add({ type: 'file', path: dest, mode: mode ?? stat.mode & 0o7777, content: readFileSync(src) });
  } else {
    throw new Error(`recipe file ${src} is neither a file, a directory nor a symlink`);
  }
}
