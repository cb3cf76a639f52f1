// The node half of the skiff.io/local-path provisioner: the controller-manager creates and
// deletes the PersistentVolume objects but cannot reach this node's disk, so the kubelet removes
// a provisioned directory once its volume object is gone (reclaim policy Delete). It only ever
// removes directories it created itself, for a volume of that provisioner, that it recorded
// under its own root dir when a pod first mounted them; each path is checked again before the rm.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '@skiff/common';
import { safeVolumePath, type ClaimLookup } from './persistent-claims.ts';

export const localPathProvisioner = 'skiff.io/local-path';
const volumeNamePattern = /^pvc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sweepEveryMs = 30_000;

/** Whether `dir` is a directory the provisioner made for `volumeName`: <root>/<volume>_<namespace>_<claim>. */
export function isProvisionedDir(dir: string, volumeName: string): boolean {
  return volumeNamePattern.test(volumeName) && safeVolumePath(dir) && path.posix.basename(dir).startsWith(`${volumeName}_`) && path.posix.dirname(dir) !== '/';
}

export class LocalPathCleanup {
  private readonly recordDir: string;
  private readonly lookup: Pick<ClaimLookup, 'persistentVolume'>;
  private readonly log?: Logger;
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(recordDir: string, lookup: Pick<ClaimLookup, 'persistentVolume'>, log?: Logger) {
    this.recordDir = recordDir;
    this.lookup = lookup;
    this.log = log;
  }

  /** Notes a provisioned directory this node serves; starts the periodic sweep. */
  remember(volumeName: string, dir: string): void {
    if (!isProvisionedDir(dir, volumeName)) return;
    mkdirSync(this.recordDir, { recursive: true });
    const record = path.join(this.recordDir, volumeName);
    if (!existsSync(record)) writeFileSync(record, dir);
    this.timer ??= setInterval(() => void this.sweep(), sweepEveryMs).unref();
  }

  /** Removes the directories of recorded volumes whose PersistentVolume no longer exists. */
  async sweep(): Promise<string[]> {
    if (this.sweeping || !existsSync(this.recordDir)) return [];
    this.sweeping = true;
    const removed: string[] = [];
    try {
      for (const volumeName of readdirSync(this.recordDir)) {
        const record = path.join(this.recordDir, volumeName);
        const dir = readFileSync(record, 'utf8').trim();
        if (!isProvisionedDir(dir, volumeName)) {
          this.log?.warn('ignoring a local-path record with an unexpected path', { volume: volumeName, dir });
          continue;
        }
        if (await this.lookup.persistentVolume(volumeName)) continue;
        rmSync(dir, { recursive: true, force: true });
        rmSync(record, { force: true });
        removed.push(dir);
        this.log?.info('removed the directory of a deleted local-path volume', { volume: volumeName, dir });
      }
    } catch (e) {
      this.log?.warn('local-path cleanup failed, will retry', { err: e as Error });
    } finally {
      this.sweeping = false;
    }
    return removed;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
