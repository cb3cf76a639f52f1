// validateLocalDescendingPath (pkg/apis/core/validation): a path inside a volume, such as a
// volume mount's subPath, must stay inside it. The apiserver refuses such paths and the kubelet
// checks again before it joins one to a host directory.

/** Kubernetes' messages for a path that is absolute or steps out with `..`; empty when fine. */
export function localDescendingPathProblems(target: string): string[] {
  const problems: string[] = [];
  if (target.startsWith('/')) problems.push('must be a relative path');
  // one error is enough even for `../../..`; backslashes count as separators (filepath.ToSlash)
  if (target.replaceAll('\\', '/').split('/').includes('..')) problems.push("must not contain '..'");
  return problems;
}
