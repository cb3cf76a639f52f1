// The host directory a volume mount with subPath (or subPathExpr) binds, checked at the kubelet's
// own edge as kubelet_pods.go makeMounts does: the apiserver refuses such paths, but the kubelet
// never trusts that before it joins a path to a host directory. A subPath must be relative,
// may not step out with `..`, and may not leave the volume through a symlink.
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { localDescendingPathProblems } from '@skiff/common/apimachinery/local-path';
import { ContainerConfigError, expandVars } from '../pods/env.ts';

export interface SubPathMount {
  name: string;
  subPath?: string;
  subPathExpr?: string;
}

/** The host path to bind for `mount` of a volume at `volumeHostPath`; throws ContainerConfigError. */
export function subPathHostPath(volumeHostPath: string, mount: SubPathMount, env: Record<string, string>, containerName: string): string {
  const subPath = mount.subPathExpr ? expandVars(mount.subPathExpr, env) : (mount.subPath ?? '');
  if (!subPath) return volumeHostPath;
  const problems = localDescendingPathProblems(subPath);
  if (problems.includes('must be a relative path')) throw new ContainerConfigError(`error SubPath \`${subPath}\` must not be an absolute path`);
  if (problems.length) throw new ContainerConfigError(`unable to provision SubPath \`${subPath}\`: ${problems[0]}`);
  const target = join(volumeHostPath, subPath);
  if (!existsSync(volumeHostPath)) return target; // nothing on this host to escape from (simulated volumes)
  const root = realpathSync(volumeHostPath);
  if (!inside(root, realpathSync(deepestExisting(target)))) {
    throw new ContainerConfigError(`failed to prepare subPath for volumeMount "${mount.name}" of container "${containerName}"`);
  }
  // as upstream, a missing subPath is created as a directory inside the volume
  if (!existsSync(target)) mkdirSync(target, { recursive: true, mode: 0o750 });
  return target;
}

function deepestExisting(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
}
