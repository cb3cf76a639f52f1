// fsGroup: a pod's volumes are made group-owned by spec.securityContext.fsGroup, as the kubelet's
// SetVolumeOwnership does: every file gets that group and group read (+write unless the volume is
// read-only); directories also get group execute and the setgid bit, so files created later
// inherit the group. Symlinks keep their bits. With fsGroupChangePolicy OnRootMismatch the walk
// is skipped when the volume's root already has the group and the bits.
import { chmodSync, lchownSync, lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';

const rwMask = 0o660;
const roMask = 0o440;
const execMask = 0o110;
const setgid = 0o2000;

export type FsGroupChangePolicy = 'Always' | 'OnRootMismatch';

/** A valid group id: a non-negative 32-bit integer (the API checks it too; the node checks again). */
export function validFsGroup(gid: unknown): gid is number {
  return typeof gid === 'number' && Number.isInteger(gid) && gid >= 0 && gid <= 0xffffffff;
}

function wantedMode(st: Stats, readOnly: boolean): number {
  let mask = readOnly ? roMask : rwMask;
  if (st.isDirectory()) mask |= execMask | setgid;
  return (st.mode & 0o7777) | mask;
}

function rootMatches(dir: string, gid: number, readOnly: boolean): boolean {
  const st = lstatSync(dir);
  return st.gid === gid && (st.mode & 0o7777) === wantedMode(st, readOnly);
}

function changeOne(path: string, gid: number, readOnly: boolean): void {
  const st = lstatSync(path);
  if (st.gid !== gid) lchownSync(path, st.uid, gid);
  if (st.isSymbolicLink()) return;
  const mode = wantedMode(st, readOnly);
  if ((st.mode & 0o7777) !== mode) chmodSync(path, mode);
}

/** Applies fsGroup to `dir` and everything under it; returns whether it walked the tree. */
export function applyFsGroup(dir: string, gid: number, opts: { readOnly: boolean; policy?: FsGroupChangePolicy }): boolean {
  if (!validFsGroup(gid)) throw new Error(`invalid fsGroup ${String(gid)}`);
  if (opts.policy === 'OnRootMismatch' && rootMatches(dir, gid, opts.readOnly)) return false;
  const walk = (path: string) => {
    changeOne(path, gid, opts.readOnly);
    if (!lstatSync(path).isDirectory()) return;
    for (const e of readdirSync(path)) walk(join(path, e));
  };
  walk(dir);
  return true;
}

/** Extra mode bits a file written into a volume gets when the pod has an fsGroup. */
export function fsGroupFileMask(fsGroup: number | undefined, readOnly: boolean): number {
  return fsGroup === undefined ? 0 : readOnly ? roMask : rwMask;
}
