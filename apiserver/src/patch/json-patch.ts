// RFC 6902 JSON patch (application/json-patch+json), with kube-apiserver's status codes:
// an undecodable patch is 400, too many operations 413, and an operation that cannot be
// applied 422 with apimachinery's generic wording (the detail is not passed on there either).
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { ApiError, errors, field } from '../errors.ts';
import { isObject, jsonTypeName, parseJsonBody } from './json-util.ts';

/** kube-apiserver's maxJSONPatchOperations */
export const maxJsonPatchOperations = 10000;

const knownOps = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

export function applyJsonPatch(current: object, patchBody: Buffer | string | unknown): object {
  const ops = decodeOperations(parseJsonBody(patchBody));
  let doc: unknown = structuredClone(current);
  for (let i = 0; i < ops.length; i++) {
    try {
      doc = fastJsonPatch.applyOperation(doc, ops[i] as Operation, true, true, true, i).newDocument;
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
  }
  return patch;
}

/** apimachinery's NewGenericServerResponse(422): the cause is not reported to the client. */
export function unprocessable(cause: unknown): ApiError {
  const err = new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  (err as { cause?: unknown }).cause = cause;
  return err;
}
