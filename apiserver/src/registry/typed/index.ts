// The typed decode stage of every write: the object a create, update, patch or apply would store
// is read against the Go types of its kind (the OpenAPI schema the apiserver serves) before
// anything else sees it. As kube-apiserver answers:
// - create/update/apply: a body the types cannot hold is 400 BadRequest
//   `Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal ...`;
// - patch: the patched object failing to decode is 422 Invalid on the field `patch`
//   (handlers/patch.go: field.Invalid(field.NewPath("patch"), patchedJS, err));
// - unknown fields: fieldValidation=Strict refuses them ("strict decoding error: unknown field
//   \"spec.foo\""), Warn (the default) returns one Warning header each, Ignore says nothing; in
//   both the fields are dropped, never stored;
// - a string outside its closed set is 422 Invalid, `spec.restartPolicy: Unsupported value: ...`.
import { ApiError } from '@skiff/common/apimachinery/status';
import { errors } from '../../errors.ts';
import type { KObject } from '../types.ts';
import { compiledKind } from './compile.ts';
import { decodeTyped, TypedDecodeError } from './decode.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** What a request is writing, for the wording of its errors. */
export interface TypedTarget {
  group: string;
  version: string;
  kind: string;
  /** `create` and `update` bodies and apply configurations are decoded; a patch's result is */
  source: 'body' | 'patch';
  fieldValidation: FieldValidation;
}

/** The `fieldValidation` query parameter; the empty string is the default, Warn. */
export function parseFieldValidation(raw: string | null): FieldValidation {
  const mode = raw ?? '';
  if (mode === '') return 'Warn';
  if (mode === 'Strict' || mode === 'Warn' || mode === 'Ignore') return mode;
  throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${mode}"`);
}

/**
 * Checks (and normalizes, as the Go decode does) `obj` in place. Returns the Warning texts to send
 * back; throws the Status error Kubernetes would answer with. Kinds without a schema pass as they are.
 */
export function checkTyped(target: TypedTarget, obj: KObject): string[] {
  const root = compiledKind(target.group, target.version, target.kind);
  if (!root) return [];
  let found: ReturnType<typeof decodeTyped>;
  try {
    found = decodeTyped(root, obj as unknown as Record<string, unknown>);
  } catch (e) {
    if (e instanceof TypedDecodeError) throw decodeFailure(target, obj, e.message);
    throw e;
  }
  const warnings = reportUnknownFields(target, obj, found.unknown);
  if (found.invalid.length) {
    const name = typeof obj.metadata?.name === 'string' ? obj.metadata.name : '';
    throw errors.invalid(target.group, target.kind, name, found.invalid);
  }
  return warnings;
}

/** Unknown fields as fieldValidation wants them: refused (Strict), Warning texts (Warn), or nothing. */
export function reportUnknownFields(target: TypedTarget, obj: KObject, unknown: string[]): string[] {
  if (!unknown.length || target.fieldValidation === 'Ignore') return [];
  if (target.fieldValidation === 'Strict') {
    throw decodeFailure(target, obj, `strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  }
  return unknown.map((f) => `unknown field "${f}"`);
}

function decodeFailure(target: TypedTarget, obj: KObject, message: string): ApiError {
  if (target.source === 'body') {
    return errors.badRequest(`${target.kind} in version "${target.version}" cannot be handled as a ${target.kind}: ${message}`);
  }
  // NewInvalid(schema.GroupKind{}, "", ...): an empty kind and name lead the sentence.
  const value = JSON.stringify(obj);
  const detail = `Invalid value: ${JSON.stringify(value)}: ${message}`;
  return new ApiError(422, 'Invalid', ` "" is invalid: patch: ${detail}`, {
    name: '',
    kind: '',
    causes: [{ reason: 'FieldValueInvalid', message: detail, field: 'patch' }],
  });
}

export { compiledKind } from './compile.ts';
export { decodeTyped, TypedDecodeError } from './decode.ts';
