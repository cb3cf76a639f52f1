// Pod volumes on the node, under <root>/pods/<uid>/volumes/<kind>/<name>: directories the
// containers bind-mount. ConfigMap, Secret, downwardAPI and projected volumes are rewritten
// on every sync (only files whose content changed), which is how updates reach pods; the
// objects they come from are read through a short-lived cache (api/object-cache.ts).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { V1KeyToPath, V1Pod, V1Volume, V1VolumeProjection } from '@kubernetes/client-node';
import { ObjectCache } from '../api/object-cache.ts';
import { configMapEntries, secretEntries, type PodObjectSource } from '../api/objects.ts';
import { fieldRefValue, resourceFieldValue, type NodeFacts } from '../pods/field-paths.ts';
import { ContainerConfigError } from '../pods/env.ts';
import { resolveClaimVolume } from './persistent-claims.ts';
import { LocalPathCleanup, localPathProvisioner } from './local-path-cleanup.ts';
import { applyFsGroup, fsGroupFileMask, validFsGroup, type FsGroupChangePolicy } from './ownership.ts';

const run = promisify(execFile);

export interface PreparedVolume {
  name: string;
  hostPath: string;
  readOnly: boolean;
}

export class VolumeManager {
  private readonly rootDir: string;
  private readonly objects: ObjectCache;
  private readonly node: NodeFacts;
  /** uids of pods whose volumes were set up once: later refreshes may read cached objects */
  private readonly setUp = new Set<string>();
  readonly localPath: LocalPathCleanup;
  /** `<pod uid>/<volume>` of writable volumes already given the pod's fsGroup: done once, at set-up */
  private readonly owned = new Set<string>();

  constructor(rootDir: string, objects: PodObjectSource, node: NodeFacts, objectCacheTtlMs?: number) {
    this.rootDir = rootDir;
    this.objects = new ObjectCache(objects, objectCacheTtlMs);
    this.node = node;
    this.localPath = new LocalPathCleanup(join(rootDir, 'local-path-volumes'), objects);
  }

  podDir(uid: string): string {
    return join(this.rootDir, 'pods', uid);
  }

  /** Creates or refreshes every volume of the pod; returns name -> host path. */
  async prepare(pod: V1Pod, podIP: string): Promise<Map<string, PreparedVolume>> {
    const uid = pod.metadata!.uid!;
    const objects = this.setUp.has(uid) ? this.objects.cached : this.objects.fresh;
    const out = new Map<string, PreparedVolume>();
    for (const v of pod.spec?.volumes ?? []) out.set(v.name, await this.prepareOne(pod, v, podIP, objects));
    this.setUp.add(uid);
    return out;
  }

  /** Unmounts tmpfs volumes and deletes the pod's directory. */
  async cleanup(uid: string): Promise<void> {
    this.setUp.delete(uid);
    const dir = this.podDir(uid);
    if (!existsSync(dir)) return;
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((p) => p.startsWith(dir + '/'));
    for (const m of mounts.sort().reverse()) await run('umount', ['-l', m]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    for (const key of this.owned) if (key.startsWith(`${uid}/`)) this.owned.delete(key);
  }

  /** Gives a writable volume the pod's fsGroup once per pod (a walk of a large claim is costly). */
  private ownOnce(pod: V1Pod, volume: string, dir: string, readOnly: boolean): void {
    const sc = pod.spec?.securityContext;
    if (sc?.fsGroup === undefined || sc.fsGroup === null) return;
    const key = `${pod.metadata!.uid}/${volume}`;
    if (this.owned.has(key)) return;
    applyFsGroup(dir, checkedFsGroup(sc.fsGroup)!, { readOnly, policy: sc.fsGroupChangePolicy as FsGroupChangePolicy | undefined });
    this.owned.add(key);
  }

  /** Files of configMap, secret, downwardAPI and projected volumes: written, then group-owned. */
  private writeReadOnlyVolume(pod: V1Pod, dir: string, files: Map<string, FileContent>): void {
    const fsGroup = checkedFsGroup(pod.spec?.securityContext?.fsGroup);
    writeFiles(dir, files, fsGroupFileMask(fsGroup, true));
    if (fsGroup !== undefined) applyFsGroup(dir, fsGroup, { readOnly: true });
  }

  private async prepareOne(pod: V1Pod, v: V1Volume, podIP: string, objects: PodObjectSource): Promise<PreparedVolume> {
    const uid = pod.metadata!.uid!;
    const ns = pod.metadata?.namespace ?? 'default';
    const dirFor = (kind: string) => {
      const d = join(this.podDir(uid), 'volumes', kind, v.name);
      mkdirSync(d, { recursive: true });
      return d;
    };
    if (v.persistentVolumeClaim || v.ephemeral) {
      const claimed = await resolveClaimVolume(pod, v, objects, this.node.nodeName);
      if (claimed.provisionedBy === localPathProvisioner) this.localPath.remember(claimed.volumeName, claimed.path);
      const prepared = { ...this.hostPathVolume(v.name, claimed.path, claimed.type), readOnly: claimed.readOnly };
      // local volumes support ownership management in Kubernetes, hostPath ones do not; a
      // local-path volume is a node directory handed out like a local volume, so it is owned too
      // (a read-only mount is left alone, as the local plugin does)
      if ((claimed.local || claimed.provisionedBy === localPathProvisioner) && !claimed.readOnly) this.ownOnce(pod, v.name, claimed.path, false);
      return prepared;
    }
    if (v.hostPath) return this.hostPathVolume(v.name, v.hostPath.path, v.hostPath.type ?? '');
    if (v.emptyDir) {
      const d = dirFor('empty-dir');
      if (v.emptyDir.medium === 'Memory' && !isMountPoint(d)) {
        const size = v.emptyDir.sizeLimit ? [`-o`, `size=${String(v.emptyDir.sizeLimit).replace(/i$/, '')}`] : [];
        await run('mount', ['-t', 'tmpfs', ...size, 'tmpfs', d]);
      }
      chmodSync(d, 0o777 | (statSync(d).mode & 0o2000));
      this.ownOnce(pod, v.name, d, false);
      return { name: v.name, hostPath: d, readOnly: false };
    }
    if (v.configMap) {
      const cm = await objects.configMap(ns, v.configMap.name ?? '');
      if (!cm && !v.configMap.optional) throw new ContainerConfigError(`configmap "${v.configMap.name}" not found`);
      const files = pickItems(cm ? configMapEntries(cm) : {}, v.configMap.items, v.configMap.defaultMode ?? 0o644, v.configMap.optional);
      this.writeReadOnlyVolume(pod, dirFor('configmap'), files);
      return { name: v.name, hostPath: join(this.podDir(uid), 'volumes', 'configmap', v.name), readOnly: true };
    }
    if (v.secret) {
      const s = await objects.secret(ns, v.secret.secretName ?? '');
      if (!s && !v.secret.optional) throw new ContainerConfigError(`secret "${v.secret.secretName}" not found`);
      const files = pickItems(s ? secretEntries(s) : {}, v.secret.items, v.secret.defaultMode ?? 0o644, v.secret.optional);
      this.writeReadOnlyVolume(pod, dirFor('secret'), files);
      return { name: v.name, hostPath: join(this.podDir(uid), 'volumes', 'secret', v.name), readOnly: true };
    }
    if (v.downwardAPI) {
      const files = new Map<string, FileContent>();
      for (const item of v.downwardAPI.items ?? []) {
        const value = item.fieldRef
          ? fieldRefValue(pod, item.fieldRef, podIP, this.node)
          : item.resourceFieldRef
            ? resourceFieldValue(pod, item.resourceFieldRef, undefined, this.node)
            : '';
        files.set(item.path, { data: Buffer.from(value), mode: item.mode ?? v.downwardAPI.defaultMode ?? 0o644 });
      }
      this.writeReadOnlyVolume(pod, dirFor('downward-api'), files);
      return { name: v.name, hostPath: join(this.podDir(uid), 'volumes', 'downward-api', v.name), readOnly: true };
    }
    if (v.projected) {
      const files = new Map<string, FileContent>();
      for (const source of v.projected.sources ?? []) await this.project(pod, source, v.projected.defaultMode ?? 0o644, podIP, files, objects);
      this.writeReadOnlyVolume(pod, dirFor('projected'), files);
      return { name: v.name, hostPath: join(this.podDir(uid), 'volumes', 'projected', v.name), readOnly: true };
    }
    throw new ContainerConfigError(`volume "${v.name}": unsupported volume type on this node`);
  }

  /** A directory or file of the node, checked (and created) by its hostPath type. */
  private hostPathVolume(name: string, hostPath: string, type: string): PreparedVolume {
    if (type === 'DirectoryOrCreate' && !existsSync(hostPath)) mkdirSync(hostPath, { recursive: true, mode: 0o755 });
    if (type === 'FileOrCreate' && !existsSync(hostPath)) {
      mkdirSync(dirname(hostPath), { recursive: true });
      writeFileSync(hostPath, '');
    }
    if (type === 'Directory' && !(existsSync(hostPath) && statSync(hostPath).isDirectory()))
      throw new ContainerConfigError(`hostPath type check failed: ${hostPath} is not a directory`);
    if (type === 'File' && !(existsSync(hostPath) && statSync(hostPath).isFile()))
      throw new ContainerConfigError(`hostPath type check failed: ${hostPath} is not a file`);
    return { name, hostPath, readOnly: false };
  }

  private async project(
    pod: V1Pod,
    src: V1VolumeProjection,
    defaultMode: number,
    podIP: string,
    files: Map<string, FileContent>,
    objects: PodObjectSource,
  ): Promise<void> {
    const ns = pod.metadata?.namespace ?? 'default';
    if (src.configMap) {
      const cm = await objects.configMap(ns, src.configMap.name ?? '');
      if (!cm && !src.configMap.optional) throw new ContainerConfigError(`configmap "${src.configMap.name}" not found`);
      for (const [p, f] of pickItems(cm ? configMapEntries(cm) : {}, src.configMap.items, defaultMode, src.configMap.optional)) files.set(p, f);
    }
    if (src.secret) {
      const s = await objects.secret(ns, src.secret.name ?? '');
      if (!s && !src.secret.optional) throw new ContainerConfigError(`secret "${src.secret.name}" not found`);
      for (const [p, f] of pickItems(s ? secretEntries(s) : {}, src.secret.items, defaultMode, src.secret.optional)) files.set(p, f);
    }
    if (src.downwardAPI) {
      for (const item of src.downwardAPI.items ?? []) {
        const value = item.fieldRef
          ? fieldRefValue(pod, item.fieldRef, podIP, this.node)
          : item.resourceFieldRef
            ? resourceFieldValue(pod, item.resourceFieldRef, undefined, this.node)
            : '';
        files.set(item.path, { data: Buffer.from(value), mode: item.mode ?? defaultMode });
      }
    }
    if (src.serviceAccountToken) {
      const t = src.serviceAccountToken;
      const token = await objects
        .serviceAccountToken({
          namespace: ns,
          serviceAccount: pod.spec?.serviceAccountName || 'default',
          podName: pod.metadata?.name ?? '',
          podUid: pod.metadata?.uid ?? '',
          expirationSeconds: t.expirationSeconds ?? 3600,
          audience: t.audience,
        })
        .catch((e: Error) => {
          throw new ContainerConfigError(`serviceaccount token for ${ns}/${pod.spec?.serviceAccountName}: ${e.message}`);
        });
      files.set(t.path, { data: Buffer.from(token), mode: defaultMode });
    }
    // clusterTrustBundle sources are not supported (no ClusterTrustBundle API is served).
  }
}

interface FileContent {
  data: Buffer;
  mode: number;
}

function pickItems(
  entries: Record<string, Buffer>,
  items: V1KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean | undefined,
): Map<string, FileContent> {
  const files = new Map<string, FileContent>();
  if (!items?.length) {
    for (const [k, data] of Object.entries(entries)) files.set(k, { data, mode: defaultMode });
    return files;
  }
  for (const item of items) {
    const data = entries[item.key];
    if (data === undefined) {
      if (optional) continue;
      throw new ContainerConfigError(`configmap or secret key "${item.key}" not found`);
    }
    files.set(item.path, { data, mode: item.mode ?? defaultMode });
  }
  return files;
}

/** The pod's fsGroup, checked at the node's edge before any chown. */
function checkedFsGroup(gid: unknown): number | undefined {
  if (gid === undefined || gid === null) return undefined;
  if (!validFsGroup(gid)) throw new ContainerConfigError(`invalid securityContext.fsGroup ${JSON.stringify(gid)}`);
  return gid;
}

/**
 * Makes dir hold exactly `files`: changed files are replaced by rename, so readers never see
 * half a file. `modeMask` (the fsGroup's group bits) is added to every file's mode.
 */
function writeFiles(dir: string, files: Map<string, FileContent>, modeMask = 0): void {
  for (const [path, raw] of files) {
    const f = { data: raw.data, mode: raw.mode | modeMask };
    if (path.split('/').includes('..') || path.startsWith('/')) throw new ContainerConfigError(`invalid volume item path "${path}"`);
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    let same = false;
    try {
      same = readFileSync(target).equals(f.data) && (statSync(target).mode & 0o777) === f.mode;
    } catch {
      same = false;
    }
    if (same) continue;
    const tmp = `${target}.skiff-tmp`;
    writeFileSync(tmp, f.data, { mode: f.mode });
    chmodSync(tmp, f.mode);
    renameSync(tmp, target);
  }
  for (const existing of listFiles(dir)) if (!files.has(relative(dir, existing))) rmSync(existing, { force: true });
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

function isMountPoint(dir: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === dir);
}
