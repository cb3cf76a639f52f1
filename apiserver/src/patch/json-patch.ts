// RFC 6902 JSON patch (application/json-patch+json), with kube-apiserver's status codes:
// an undecodable patch is 400, too many operations 413, and an operation that cannot be
// applied 422 with apimachinery's generic wording (the detail is not passed on there either).
import { ApiError, errors, field } from '../errors.ts';
import { PatchCopyBudget } from '../server/limits.ts';
import { deepEqual, isObject, jsonTypeName, parseJsonBody } from './json-util.ts';

/** kube-apiserver's maxJSONPatchOperations */
export const maxJsonPatchOperations = 10000;

const knownOps = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

export function applyJsonPatch(current: object, patchBody: Buffer | string | unknown): object {
  const ops = decodeOperations(parseJsonBody(patchBody)) as PatchOperation[];
  let doc: unknown = structuredClone(current);
  const budget = new PatchCopyBudget();
  try {
    for (const op of ops) doc = applyOperation(doc, op, budget);
  } catch (e) {
    throw e instanceof OperationFailed ? unprocessable(e) : e;
  }
  if (!isObject(doc)) {
    throw errors.invalid('', '', '', [
      field.invalid('patch', JSON.stringify(doc), `json: cannot unmarshal ${jsonTypeName(doc)} into Go value of type map[string]interface {}`),
    ]);
  }
  return doc;
}

interface PatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

/**
 * An operation that cannot be applied. Ours, not fast-json-patch's: its errors pretty-print the
 * whole document into their message, twice, which took a second on a large object.
 */
class OperationFailed extends Error {}

/** RFC 6902 section 4, on `doc` in place; returns the document (a new one when the root is replaced). */
function applyOperation(doc: unknown, op: PatchOperation, budget: PatchCopyBudget): unknown {
  const path = parsePointer(op.path);
  switch (op.op) {
    case 'add':
      return add(doc, path, op.value);
    case 'remove':
      return remove(doc, path);
    case 'replace':
      return replace(doc, path, op.value);
    case 'move': {
      const from = parsePointer(op.from!);
      if (op.path === op.from) return doc;
      if (op.path.startsWith(`${op.from}/`)) throw new OperationFailed('a value cannot be moved into one of its children');
      const value = valueAt(doc, from);
      return add(remove(doc, from), path, value);
    }
    case 'copy': {
      const value = valueAt(doc, parsePointer(op.from!));
      budget.copy(value);
      return add(doc, path, structuredClone(value));
    }
    case 'test':
      if (!deepEqual(valueAt(doc, path), op.value)) throw new OperationFailed('test failed');
      return doc;
  }
}

/** RFC 6901: `/a/b~1c` is ['a', 'b/c']; the empty pointer is the whole document. */
function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new OperationFailed(`invalid path ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The object or array that holds the last token of `path`. */
function parentOf(doc: unknown, path: string[]): unknown {
  let cur = doc;
  for (let i = 0; i < path.length - 1; i++) cur = child(cur, path[i]!);
  return cur;
}

function child(container: unknown, token: string): unknown {
  if (Array.isArray(container)) return container[existingIndex(container, token)];
  if (isObject(container) && Object.hasOwn(container, token)) return container[token];
  throw new OperationFailed('path not found');
}

function valueAt(doc: unknown, path: string[]): unknown {
  return path.length === 0 ? doc : child(parentOf(doc, path), path[path.length - 1]!);
}

function arrayIndex(token: string): number {
  if (!/^(0|[1-9][0-9]{0,8})$/.test(token)) throw new OperationFailed(`invalid array index ${token}`);
  return Number(token);
}

function existingIndex(list: unknown[], token: string): number {
  const i = arrayIndex(token);
  if (i >= list.length) throw new OperationFailed('array index out of bounds');
  return i;
}

/** A key the patch may write: never one that would reach an object's prototype. */
function writableKey(token: string): string {
  if (token === '__proto__') throw new OperationFailed('the key __proto__ cannot be written');
  return token;
}

function add(doc: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path);
  const token = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const i = token === '-' ? parent.length : arrayIndex(token);
    if (i > parent.length) throw new OperationFailed('array index out of bounds');
    parent.splice(i, 0, value);
  } else if (isObject(parent)) parent[writableKey(token)] = value;
  else throw new OperationFailed('path not found');
  return doc;
}

function remove(doc: unknown, path: string[]): unknown {
  if (path.length === 0) throw new OperationFailed('the whole document cannot be removed');
  const parent = parentOf(doc, path);
  const token = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(existingIndex(parent, token), 1);
  else if (isObject(parent) && Object.hasOwn(parent, token)) delete parent[token];
  else throw new OperationFailed('path not found');
  return doc;
}

function replace(doc: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path);
  const token = path[path.length - 1]!;
  if (Array.isArray(parent)) parent[existingIndex(parent, token)] = value;
  else if (isObject(parent) && Object.hasOwn(parent, token)) parent[writableKey(token)] = value;
  else throw new OperationFailed('path not found');
  return doc;
}

function decodeOperations(patch: unknown): unknown[] {
  if (!Array.isArray(patch)) {
    throw errors.badRequest(`json: cannot unmarshal ${jsonTypeName(patch)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of patch) {
    if (!isObject(op)) {
      throw errors.badRequest(`json: cannot unmarshal ${jsonTypeName(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  if (patch.length > maxJsonPatchOperations) {
    throw errors.tooLarge(`Request entity too large: The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${patch.length}`);
  }
  for (const op of patch as Record<string, unknown>[]) {
    // evanphx/json-patch fails these at apply time, hence 422 rather than 400
    if (typeof op.op !== 'string' || !knownOps.has(op.op)) throw unprocessable(new Error(`Unexpected kind: ${String(op.op)}`));
    if (typeof op.path !== 'string') throw unprocessable(new Error('operation missing path'));
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op)) throw unprocessable(new Error('operation missing value'));
    if ((op.op === 'copy' || op.op === 'move') && typeof op.from !== 'string') throw unprocessable(new Error('operation missing from'));
    // RFC 6902 4.4: a value cannot move inside itself (it would contain itself: a cycle, not a document)
    if (op.op === 'move' && (op.path as string).startsWith(`${op.from as string}/`)) {
      throw unprocessable(new Error('the "from" location of a move must not be a proper prefix of its "path"'));
    }
  }
  return patch;
}

/** apimachinery's NewGenericServerResponse(422): the cause is not reported to the client. */
export function unprocessable(cause: unknown): ApiError {
  const err = new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  (err as { cause?: unknown }).cause = cause;
  return err;
}
