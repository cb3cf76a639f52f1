// Strategic merge patch (application/strategic-merge-patch+json), following the semantics
// of apimachinery's strategicpatch as the server runs it (MergeParallelList and
// IgnoreUnmatchedNulls on): lists merge by their patchMergeKey, lists without a merge
// strategy are replaced, null deletes, and the directives $patch, $retainKeys,
// $setElementOrder/<list> and $deleteFromPrimitiveList/<list> are honoured and never stored.
import { ApiError, errors } from '../errors.ts';
import { clone, deepEqual, isObject, jsonTypeName, parseJsonBody, type JsonObject } from './json-util.ts';
import { splitPatchStrategy, type PatchMeta } from './meta.ts';

const directiveMarker = '$patch';
const retainKeysDirective = '$retainKeys';
const setElementOrderPrefix = '$setElementOrder/';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList/';

// apimachinery's mergepatch errors; the first group is a 400, the second a 422.
const badPatchFormatForPrimitiveList = 'invalid patch format of primitive list';
const badPatchFormatForRetainKeys = 'invalid patch format of retainKeys';
const badPatchFormatForSetElementOrderList = 'invalid patch format of setElementOrder list';

export function applyStrategicMergePatch(current: object, patchBody: Buffer | string | unknown, meta: PatchMeta): object {
  const patch = parseJsonBody(patchBody);
  if (!isObject(patch)) {
    throw errors.badRequest(`json: cannot unmarshal ${jsonTypeName(patch)} into Go value of type map[string]interface {}`);
  }
  return mergeMap(clone(current as JsonObject), clone(patch), [], meta);
}

function listStrategy(meta: PatchMeta, path: string[]): { strategy: string; mergeKey: string } {
  const m = meta.at(path);
  return { strategy: splitPatchStrategy(m.patchStrategy).strategy, mergeKey: m.patchMergeKey ?? '' };
}

function mergeMap(original: JsonObject | undefined, patch: JsonObject, path: string[], meta: PatchMeta): JsonObject {
  if (directiveMarker in patch) return mapDirective(patch, path, meta);
  const out: JsonObject = original ?? {};
  applyRetainKeys(out, patch);
  applySetElementOrder(out, patch, path, meta);

  for (const [rawKey, patchV] of Object.entries(patch)) {
    let key = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(deleteFromPrimitiveListPrefix)) {
      key = rawKey.slice(deleteFromPrimitiveListPrefix.length);
      if (!key) throw errors.badRequest(badPatchFormatForPrimitiveList);
      isDeleteList = true;
    } else if (rawKey.startsWith('$')) {
      continue; // unknown directives are not fields of the object
    }
    const childPath = [...path, key];
    if (patchV === null) {
      delete out[key];
      continue;
    }
    const origV = out[key];
    if (origV === undefined || sameKind(origV, patchV) === false) {
      if (!isDeleteList) out[key] = fromPatch(patchV, childPath, meta);
      continue;
    }
    if (isObject(origV) && isObject(patchV)) {
      const { strategy } = listStrategy(meta, childPath);
      out[key] = strategy === 'replace' ? fromPatch(patchV, childPath, meta) : mergeMap(origV, patchV, childPath, meta);
    } else if (Array.isArray(origV) && Array.isArray(patchV)) {
      const { strategy, mergeKey } = listStrategy(meta, childPath);
      if (strategy === 'merge') out[key] = mergeSlice(origV, patchV, childPath, meta, mergeKey, isDeleteList);
      else if (!isDeleteList) out[key] = fromPatch(patchV, childPath, meta);
    } else if (!isDeleteList) {
      out[key] = patchV;
    }
  }
  return out;
}

function sameKind(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b);
  if (isObject(a) || isObject(b)) return isObject(a) && isObject(b);
  return typeof a === typeof b;
}

/** A patch value that has nothing to merge with: directives and nulls still must not be stored. */
function fromPatch(v: unknown, path: string[], meta: PatchMeta): unknown {
  if (isObject(v)) return mergeMap(undefined, v, path, meta);
  if (Array.isArray(v)) {
    const { strategy, mergeKey } = listStrategy(meta, path);
    if (strategy === 'merge' && v.some(isObject)) return mergeSlice([], v, path, meta, mergeKey, false);
    return v.map((x) => (isObject(x) ? mergeMap(undefined, x, path, meta) : x));
  }
  return v;
}

function mapDirective(patch: JsonObject, path: string[], meta: PatchMeta): JsonObject {
  const directive = patch[directiveMarker];
  if (directive === 'replace') {
    const { [directiveMarker]: _, ...rest } = patch;
    return mergeMap(undefined, rest, path, meta);
  }
  if (directive === 'delete') return {};
  throw errors.badRequest(`Unknown patch type: ${String(directive)} in map: ${goMap(patch)}`);
}

/** Clears the keys of `original` that the patch does not list in $retainKeys. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!(retainKeysDirective in patch)) return;
  const keep = patch[retainKeysDirective];
  delete patch[retainKeysDirective];
  if (!Array.isArray(keep)) throw errors.badRequest(badPatchFormatForRetainKeys);
  const kept = new Set(keep);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(deleteFromPrimitiveListPrefix) || k.startsWith(setElementOrderPrefix)) continue;
    if (!kept.has(k)) throw errors.badRequest(badPatchFormatForRetainKeys);
  }
  for (const k of Object.keys(original)) if (!kept.has(k)) delete original[k];
}

/**
 * $setElementOrder/<list> gives the order of the list after patching; server-only items keep
 * their place relative to the patch items as well as they can.
 */
function applySetElementOrder(original: JsonObject, patch: JsonObject, path: string[], meta: PatchMeta): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue;
    const order = patch[key];
    delete patch[key];
    const listKey = key.slice(setElementOrderPrefix.length);
    if (!listKey || !Array.isArray(order)) throw errors.badRequest(badPatchFormatForSetElementOrderList);
    const childPath = [...path, listKey];
    const origList = original[listKey];
    const patchList = patch[listKey];
    if (origList !== undefined && !Array.isArray(origList)) throw errors.badRequest(badPatchFormatForSetElementOrderList);
    if (patchList !== undefined && patchList !== null && !Array.isArray(patchList)) throw errors.badRequest(badPatchFormatForSetElementOrderList);
    const { strategy, mergeKey } = listStrategy(meta, childPath);
    if (Array.isArray(patchList)) validateOrderList(patchList, order, mergeKey);

    let merged: unknown[];
    if (Array.isArray(origList) && Array.isArray(patchList)) {
      merged = strategy === 'merge' ? mergeSlice(origList, patchList, childPath, meta, mergeKey, false) : (fromPatch(patchList, childPath, meta) as unknown[]);
    } else if (Array.isArray(patchList)) {
      merged = fromPatch(patchList, childPath, meta) as unknown[];
    } else if (Array.isArray(origList)) {
      merged = origList;
    } else {
      continue;
    }
    const inOrder = (item: unknown) => indexIn(order, item, mergeKey) >= 0;
    const patchItems = merged.filter(inOrder);
    const serverOnly = merged.filter((x) => !inOrder(x));
    original[listKey] = normalizeElementOrder(patchItems, serverOnly, order, Array.isArray(origList) ? origList : [], mergeKey);
    delete patch[listKey];
  }
}

/** The patch list must be in the $setElementOrder order (deletions aside). */
function validateOrderList(patchList: unknown[], order: unknown[], mergeKey: string): void {
  const items = patchList.filter((x) => !(isObject(x) && directiveMarker in x));
  let p = 0;
  for (let o = 0; o < order.length && p < items.length; o++) {
    if (sameItem(items[p], order[o], mergeKey)) p++;
  }
  if (p < items.length) {
    throw badPatch(`The order in patch list:\n${JSON.stringify(patchList)}\n doesn't match $setElementOrder list:\n${JSON.stringify(order)}\n`);
  }
}

function sameItem(a: unknown, b: unknown, mergeKey: string): boolean {
  if (!mergeKey) return deepEqual(a, b);
  return isObject(a) && isObject(b) && a[mergeKey] !== undefined && deepEqual(a[mergeKey], b[mergeKey]);
}

function indexIn(list: unknown[], item: unknown, mergeKey: string): number {
  return list.findIndex((x) => sameItem(x, item, mergeKey));
}

function mergeSlice(original: unknown[], patch: unknown[], path: string[], meta: PatchMeta, mergeKey: string, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const all = [...original, ...patch];
  if (all.some(Array.isArray)) throw new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  const ofMaps = all.some(isObject);
  if (ofMaps && !all.every(isObject)) throw badPatch('list items are not all of the same type');

  let merged: unknown[];
  let orderSource = original;
  let patchItemsOrder = patch;
  if (!ofMaps) {
    if (isDeleteList) return original.filter((x) => !patch.some((d) => deepEqual(d, x)));
    merged = dedupe([...original, ...patch]);
  } else {
    if (!mergeKey) throw badPatch('cannot merge lists without merge key for type map');
    const special = withSpecialElements(original as JsonObject[], patch as JsonObject[], mergeKey);
    orderSource = special.original;
    patchItemsOrder = special.patch;
    merged = [...special.original.map((x) => clone(x))];
    for (const item of special.patch) {
      const key = item[mergeKey];
      if (key === undefined) throw badPatch(`map: ${goMap(item)} does not contain declared merge key: ${mergeKey}`);
      const at = merged.findIndex((x) => isObject(x) && deepEqual(x[mergeKey], key));
      if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, item, path, meta);
      else merged.push(mergeMap(undefined, item, path, meta));
    }
    if (special.replaced) merged = special.original.map((x) => mergeMap(undefined, x, path, meta));
  }
  const inPatch = (x: unknown) => indexIn(patchItemsOrder, x, ofMaps ? mergeKey : '') >= 0;
  return normalizeElementOrder(
    merged.filter(inPatch),
    merged.filter((x) => !inPatch(x)),
    patchItemsOrder,
    orderSource,
    ofMaps ? mergeKey : '',
  );
}

/** `$patch: delete` items remove by merge key, `$patch: replace` makes the patch the list. */
function withSpecialElements(
  original: JsonObject[],
  patch: JsonObject[],
  mergeKey: string,
): { original: JsonObject[]; patch: JsonObject[]; replaced: boolean } {
  const plain: JsonObject[] = [];
  let replace = false;
  let kept = original;
  for (const item of patch) {
    if (!(directiveMarker in item)) {
      plain.push(item);
      continue;
    }
    const directive = item[directiveMarker];
    if (directive === 'delete') {
      if (!(mergeKey in item)) throw badPatch(`map: ${goMap(item)} does not contain declared merge key: ${mergeKey}`);
      kept = kept.filter((x) => !deepEqual(x[mergeKey], item[mergeKey]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw badPatch('merging lists cannot yet be specified in the patch');
    } else {
      throw errors.badRequest(`Unknown patch type: ${String(directive)} in map: ${goMap(item)}`);
    }
  }
  if (replace) return { original: plain, patch: [], replaced: true };
  return { original: kept, patch: plain, replaced: false };
}

function dedupe(list: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const x of list) if (!out.some((y) => deepEqual(x, y))) out.push(x);
  return out;
}

/**
 * Patch items sorted by the patch's order, server-only items by the live order, then the
 * two interleaved so that each keeps its place relative to its live neighbours.
 */
function normalizeElementOrder(patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string): unknown[] {
  // items the order knows are sorted among the slots they occupy; the others stay put
  const sortBy = (list: unknown[], order: unknown[]) => {
    const slots = list.map((x, i) => ({ i, at: indexIn(order, x, mergeKey) })).filter((e) => e.at >= 0);
    const sorted = [...slots].sort((a, b) => a.at - b.at);
    const out = [...list];
    slots.forEach((slot, n) => {
      out[slot.i] = list[sorted[n].i];
    });
    return out;
  };
  const right = sortBy(patchItems, patchOrder);
  const left = sortBy(serverOnly, serverOrder);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) {
      out.push(right[j++]);
      continue;
    }
    if (j >= right.length) {
      out.push(left[i++]);
      continue;
    }
    const li = indexIn(serverOrder, left[i], mergeKey);
    const ri = indexIn(serverOrder, right[j], mergeKey);
    if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
    else out.push(right[j++]);
  }
  return out;
}

/** Go's %v of a map, for messages that quote one. */
function goMap(m: JsonObject): string {
  return `map[${Object.keys(m)
    .sort()
    .map((k) => `${k}:${typeof m[k] === 'object' ? JSON.stringify(m[k]) : String(m[k])}`)
    .join(' ')}]`;
}

/**
 * kube-apiserver lets some of these through as 500s; a patch that does not fit the object is
 * the client's mistake, so here it is a 400 with the same words.
 */
function badPatch(message: string) {
  return errors.badRequest(message);
}
