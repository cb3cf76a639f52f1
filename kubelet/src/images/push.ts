// Pushes a built OCI layout to a registry with skopeo, skipping the copy when the registry
// already serves the same manifest digest for the tag.
import { execFile } from 'node:child_process';
import { mkdtempSync, copyFileSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BuiltImage } from './builder.ts';
import { DEFAULT_REGISTRY, formatImageRef, parseImageRef } from './image-ref.ts';
import { MEDIA_TYPES, tagManifest } from './oci-layout.ts';

const execFileAsync = promisify(execFile);

export interface PushOptions {
  /** Used when the image name carries no registry; default 127.0.0.1:5000. */
  registry?: string;
  /** Push even when the registry already has this manifest. */
  force?: boolean;
  /** The registry serves HTTPS with a certificate from this CA (else plain HTTP, as on loopback). */
  caFile?: string;
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
  if (!options.force && (await remoteManifestDigest(registry, image.ref.repository, image.ref.tag, options.caFile)) === digest) {
    return { destination, pushed: false, digest };
  }
  // skopeo reads a registry's CA from a directory holding ca.crt
  const certDir = options.caFile ? mkdtempSync(join(tmpdir(), 'skiff-push-ca-')) : undefined;
  try {
    if (certDir) copyFileSync(options.caFile!, join(certDir, 'ca.crt'));
    const tls = certDir ? ['--dest-cert-dir', certDir] : ['--dest-tls-verify=false'];
    await execFileAsync('skopeo', ['copy', '--quiet', ...tls, `oci:${image.layoutDir}:${image.ref.tag}`, `docker://${destination}`], { timeout: 120_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`skopeo copy to ${destination} failed: ${(e.stderr || e.message).trim()}`);
  } finally {
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  }
  return { destination, pushed: true, digest };
}

/**
 * Pushes the same image under another name too, e.g. library/busybox:latest beside
 * skiff/busybox:latest, so that the docker.io mirror (scripts/node/containerd-config.sh)
 * finds it for the short name `busybox`.
 */
export async function pushImageAs(image: BuiltImage, name: string, options: PushOptions = {}): Promise<PushResult> {
  const ref = parseImageRef(name);
  if (ref.tag !== image.ref.tag) tagManifest(image.layoutDir, ref.tag, image.manifest);
  return pushImage({ ...image, ref }, options);
}

/** Skiff's own name for an image of images/<folder>, then the names it is also pushed under. */
export function skiffImageNames(folder: string): { name: string; aliases: string[] } {
  return { name: `skiff/${folder}:latest`, aliases: [`library/${folder}:latest`] };
}

/** The digest the registry serves for repository:tag, or undefined when it has no such tag. */
export async function remoteManifestDigest(registry: string, repository: string, tag: string, caFile?: string): Promise<string | undefined> {
  const url = `${caFile ? 'https' : 'http'}://${registry}/v2/${repository}/manifests/${encodeURIComponent(tag)}`;
  const accept = [MEDIA_TYPES.manifest, 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');
  let res: { status: number; digest: string | undefined };
  try {
    res = caFile
      ? await headOverTls(url, accept, readFileSync(caFile))
      : await fetch(url, {
          method: 'HEAD',
          headers: { Accept: accept },
          signal: AbortSignal.timeout(5000),
        }).then((r) => ({ status: r.status, digest: r.headers.get('docker-content-digest') ?? undefined }));
  } catch (err) {
    throw new Error(`registry ${registry} is not reachable (${(err as Error).message}); start it with scripts/registry.sh start`);
  }
  if (res.status === 404) return undefined;
  if (res.status < 200 || res.status >= 300) throw new Error(`registry ${registry} answered ${res.status} for ${repository}:${tag}`);
  return res.digest;
}

// fetch() cannot take a CA of our own without undici's Agent; node:https can.
function headOverTls(url: string, accept: string, ca: Buffer): Promise<{ status: number; digest: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'HEAD', headers: { Accept: accept }, ca, timeout: 5000 }, (res) => {
      res.resume();
      const digest = res.headers['docker-content-digest'];
      resolve({ status: res.statusCode ?? 0, digest: typeof digest === 'string' ? digest : undefined });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}
