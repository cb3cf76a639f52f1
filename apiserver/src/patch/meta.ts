// What the patch algorithms need to know about a resource's schema. The OpenAPI-based
// implementation answers from x-kubernetes-* extensions; builtin-meta.ts answers for the
// served built-in kinds until that is wired in.

/** Merge facts about one field, from `+patchStrategy`, `+listType`, `+mapType` markers. */
export interface FieldPatchMeta {
  /** 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys' (strategic merge patch) */
  patchStrategy?: string;
  /** key used by strategic merge patch to match list items */
  patchMergeKey?: string;
  /** server-side apply list semantics; lists without one are atomic */
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  /** values for map keys that the schema defaults (ports: protocol TCP) */
  listMapKeyDefaults?: Record<string, unknown>;
  mapType?: 'atomic' | 'granular';
  isList?: boolean;
  /** a map with free-form keys (labels), as opposed to a struct */
  isMap?: boolean;
}

/**
 * `path` is field names from the object root; list items are traversed by the list
 * field's name, so ['spec', 'containers', 'ports'] is the ports list of any container.
 */
export interface PatchMeta {
  at(path: string[]): FieldPatchMeta;
}

/** For kinds nothing is known about: every list atomic, every map granular. */
export const emptyPatchMeta: PatchMeta = { at: () => ({}) };

/** The strategy without `retainKeys`, as apimachinery's extractRetainKeysPatchStrategy. */
export function splitPatchStrategy(strategy: string | undefined): { strategy: string; retainKeys: boolean } {
  const parts = (strategy ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const retainKeys = parts.includes('retainKeys');
  const rest = parts.filter((p) => p !== 'retainKeys');
  return { strategy: rest[0] ?? '', retainKeys };
}
