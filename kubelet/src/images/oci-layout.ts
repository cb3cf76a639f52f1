// Writes images as an OCI image layout (oci-layout, index.json, blobs/sha256/*): the format
// skopeo reads with `oci:DIR:TAG`. Blobs are content-addressed, so rebuilding an unchanged
// image rewrites nothing and yields the same manifest digest.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

interface OciIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export function sha256Digest(data: Buffer): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

export function blobPath(layoutDir: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  if (algorithm !== 'sha256' || !/^[a-f0-9]{64}$/.test(hex ?? '')) throw new Error(`unsupported digest ${digest}`);
  return join(layoutDir, 'blobs', algorithm, hex!);
}

export function writeBlob(layoutDir: string, mediaType: string, data: Buffer): Descriptor {
  const digest = sha256Digest(data);
  const path = blobPath(layoutDir, digest);
  if (!existsSync(path)) atomicWrite(path, data);
  return { mediaType, digest, size: data.length };
}

export function writeJsonBlob(layoutDir: string, mediaType: string, value: unknown): Descriptor {
  return writeBlob(layoutDir, mediaType, Buffer.from(JSON.stringify(value)));
}

/** Points `tag` at the manifest, keeping the other tags already in the layout. */
export function tagManifest(layoutDir: string, tag: string, manifest: Descriptor): void {
  mkdirSync(layoutDir, { recursive: true });
  atomicWrite(join(layoutDir, 'oci-layout'), Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  const index = readIndex(layoutDir);
  index.manifests = index.manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== tag);
  index.manifests.push({ ...manifest, annotations: { [REF_NAME_ANNOTATION]: tag } });
  atomicWrite(join(layoutDir, 'index.json'), Buffer.from(JSON.stringify(index, null, 2) + '\n'));
}

export function readIndex(layoutDir: string): OciIndex {
  const path = join(layoutDir, 'index.json');
  if (!existsSync(path)) return { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [] };
  const index = JSON.parse(readFileSync(path, 'utf8')) as OciIndex;
  if (index.schemaVersion !== 2 || !Array.isArray(index.manifests)) throw new Error(`${path} is not an OCI index`);
  return index;
}

export function findTag(layoutDir: string, tag: string): Descriptor | undefined {
  return readIndex(layoutDir).manifests.find((d) => d.annotations?.[REF_NAME_ANNOTATION] === tag);
}

function atomicWrite(path: string, data: Buffer): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
