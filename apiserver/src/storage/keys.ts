// How storage keys are laid out: /registry/<resource>/<namespace>/<name> for namespaced
// objects and /registry/<resource>/<name> for cluster-scoped ones, as kube-apiserver does.
// Error messages need the resource and name, so they are read back from the key. Custom
// resources are stored under /registry/<group>/<resource>/ as in Kubernetes: a segment with a
// dot is an API group (a CRD's group must have one; built-in resource names never do).

export interface KeyDescription {
  group: string;
  resource: string;
  name: string;
}

/** Turns a key into what apimachinery's error messages name; pluggable for grouped resources. */
export type KeyDescriber = (key: string) => KeyDescription;

export function describeKey(key: string): KeyDescription {
  const parts = key.split('/').filter((p) => p !== '');
  if (parts.length >= 4 && parts[1]!.includes('.')) return { group: parts[1]!, resource: parts[2]!, name: parts[parts.length - 1]! };
  const resource = parts.length >= 2 ? parts[1] : (parts[0] ?? '');
  const name = parts.length >= 3 ? parts[parts.length - 1] : '';
  return { group: '', resource, name };
}

/**
 * The `/registry/<resource>/` (or `/registry/<group>/<resource>/`) prefix a key or prefix
 * belongs to, or undefined if it spans several resources.
 */
export function resourcePrefixOf(keyOrPrefix: string): string | undefined {
  const grouped = /^(\/[^/]+\/[^/]*\.[^/]*\/[^/]+\/)/.exec(keyOrPrefix);
  if (grouped) return grouped[1];
  if (/^\/[^/]+\/[^/]*\.[^/]*\/?$/.test(keyOrPrefix)) return undefined; // a whole group
  const m = /^(\/[^/]+\/[^/]+\/)/.exec(keyOrPrefix);
  return m ? m[1] : undefined;
}

/** The smallest key greater than every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  // all 0xff: no upper bound; etcd reads "\0" as "to the end of the keyspace"
  return Buffer.from([0]);
}
