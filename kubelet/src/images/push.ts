// Pushes a built OCI layout to a registry with skopeo, skipping the copy when the registry
// already serves the same manifest digest for the tag.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BuiltImage } from './builder.ts';
import { DEFAULT_REGISTRY, formatImageRef } from './image-ref.ts';
import { MEDIA_TYPES } from './oci-layout.ts';

const execFileAsync = promisify(execFile);

export interface PushOptions {
  /** Used when the image name carries no registry; default 127.0.0.1:5000. */
  registry?: string;
  /** Push even when the registry already has this manifest. */
  force?: boolean;
}

export interface PushResult {
  destination: string;
  pushed: boolean;
  digest: string;
}

export async function pushImage(image: BuiltImage, options: PushOptions = {}): Promise<PushResult> {
  const registry = image.ref.registry ?? options.registry ?? DEFAULT_REGISTRY;
  const destination = formatImageRef(image.ref, registry);
  const digest = image.manifest.digest;
  if (!options.force && (await remoteManifestDigest(registry, image.ref.repository, image.ref.tag)) === digest) {
    return { destination, pushed: false, digest };
  }
  try {
    // Our registries are local and plain HTTP, hence no TLS verification.
    await execFileAsync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false',
      `oci:${image.layoutDir}:${image.ref.tag}`, `docker://${destination}`], { timeout: 120_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`skopeo copy to ${destination} failed: ${(e.stderr || e.message).trim()}`);
  }
  return { destination, pushed: true, digest };
}

/** The digest the registry serves for repository:tag, or undefined when it has no such tag. */
export async function remoteManifestDigest(registry: string, repository: string, tag: string): Promise<string | undefined> {
  const url = `http://${registry}/v2/${repository}/manifests/${encodeURIComponent(tag)}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'HEAD',
      headers: { Accept: [MEDIA_TYPES.manifest, 'application/vnd.docker.distribution.manifest.v2+json'].join(', ') },
      signal: AbortSignal.timeout(5000),
    });
  } catch (err) {
    throw new Error(`registry ${registry} is not reachable (${(err as Error).message}); start it with scripts/registry.sh start`);
  }
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`registry ${registry} answered ${res.status} for ${repository}:${tag}`);
  return res.headers.get('docker-content-digest') ?? undefined;
}
