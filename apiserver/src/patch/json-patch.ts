// RFC 6902 JSON patch (application/json-patch+json), with kube-apiserver's status codes:
// an undecodable patch is 400, too many operations 413, and an operation that cannot be
// applied 422 with apimachinery's generic wording (the detail is not passed on there either).
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { ApiError, errors, field } from '../errors.ts';
import { PatchCopyBudget } from '../server/limits.ts';
import { isObject, jsonTypeName, parseJsonBody } from './json-util.ts';

/** kube-apiserver's maxJSONPatchOperations */
export const maxJsonPatchOperations = 10000;

const knownOps = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

export function applyJsonPatch(current: object, patchBody: Buffer | string | unknown): object {
  const ops = decodeOperations(parseJsonBody(patchBody));
  let doc: unknown = structuredClone(current);
  const budget = new PatchCopyBudget();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Operation;
    if (op.op === 'copy') budget.copy(copiedValue(doc, op.from));
    try {
      doc = fastJsonPatch.applyOperation(doc, op, validateWithoutCloning, true, true, i).newDocument;
    } catch (e) {
      throw unprocessable(e);
    }
  }
  if (!isObject(doc)) {
    throw errors.invalid('', '', '', [
      field.invalid('patch', JSON.stringify(doc), `json: cannot unmarshal ${jsonTypeName(doc)} into Go value of type map[string]interface {}`),
    ]);
  }
  return doc;
}

/**
 * fast-json-patch's validator, except for `copy` and `move`: it checks their `from` by applying
 * a read to a deep clone of the whole document, per operation, which made repeated copies cost
 * seconds. A read needs no clone.
 */
const validateWithoutCloning: fastJsonPatch.Validator<unknown> = (operation, index, document, existingPath) => {
  if (document === undefined || (operation.op !== 'copy' && operation.op !== 'move')) {
    fastJsonPatch.validator(operation, index, document, existingPath);
    return;
  }
  fastJsonPatch.validator(operation, index);
  try {
    fastJsonPatch.applyOperation(document, { op: '_get', path: operation.from } as unknown as Operation, true, true, true, index);
  } catch (e) {
    if ((e as { name?: string }).name !== 'OPERATION_PATH_UNRESOLVABLE') throw e;
    throw new fastJsonPatch.JsonPatchError(
      'Cannot perform the operation from a path that does not exist',
      'OPERATION_FROM_UNRESOLVABLE',
      index,
      operation,
      document,
    );
  }
};

/** What a `copy` would insert, measured before it is applied. */
function copiedValue(doc: unknown, from: string): unknown {
  try {
    return fastJsonPatch.getValueByPointer(doc, from);
  } catch (e) {
    throw unprocessable(e);
  }
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
