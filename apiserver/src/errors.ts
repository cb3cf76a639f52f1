// Kubernetes `Status` errors as apimachinery words them (k8s.io/apimachinery/pkg/api/errors).
// Every failure that reaches a client goes through ApiError so that kubectl and the official
// client can read code, reason and details.
import { fieldErrorDetail, fieldErrorMessage, type FieldError } from '@skiff/common/apimachinery/field-errors';

import { ApiError, qualifiedResource } from '@skiff/common/apimachinery/status';

export { ApiError, qualifiedResource } from '@skiff/common/apimachinery/status';
export type { StatusCause, StatusDetails } from '@skiff/common/apimachinery/status';

export const errors = {
  notFound: (group: string, resource: string, name: string) =>
    new ApiError(404, 'NotFound', `${qualifiedResource(group, resource)} "${name}" not found`, { name, group: group || undefined, kind: resource }),
  alreadyExists: (group: string, resource: string, name: string) =>
    new ApiError(409, 'AlreadyExists', `${qualifiedResource(group, resource)} "${name}" already exists`, { name, group: group || undefined, kind: resource }),
  conflict: (group: string, resource: string, name: string, why: string) =>
    new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(group, resource)} "${name}": ${why}`, {
      name,
      group: group || undefined,
      kind: resource,
    }),
  /** 422 with one cause per field; `kind` is the Kind (e.g. Deployment), as apimachinery's NewInvalid. */
  invalid: (group: string, kind: string, name: string, causes: FieldError[]) => {
    const msgs = causes.map(fieldErrorMessage);
    const body = msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
    return new ApiError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${body}`, {
      name,
      group: group || undefined,
      kind,
      causes: causes.map((c) => ({ reason: c.type, message: fieldErrorDetail(c), field: c.field })),
    });
  },
  /** a path that names no served resource */
  notFoundPath: () => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {}),
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  methodNotAllowed: (message: string) => new ApiError(405, 'MethodNotAllowed', message),
  gone: (message: string) => new ApiError(410, 'Expired', message),
  tooLarge: (message = 'Request entity too large: limit is 3145728') => new ApiError(413, 'RequestEntityTooLarge', message),
  unsupportedMediaType: (ct: string, accepted = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']) =>
    new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')} (got ${ct})`,
    ),
  notAcceptable: (message: string) => new ApiError(406, 'NotAcceptable', message),
  forbidden: (group: string, resource: string, name: string, why: string) =>
    new ApiError(403, 'Forbidden', `${qualifiedResource(group, resource)} "${name}" is forbidden: ${why}`, { name, group: group || undefined, kind: resource }),
  unauthorized: () => new ApiError(401, 'Unauthorized', 'Unauthorized'),
  internal: (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`),
  timeout: (message: string) => new ApiError(504, 'Timeout', message),
  tooManyRequests: (message: string, retryAfterSeconds = 1) => new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds }),
};

// Field errors live in the shared apimachinery layer, so that validators there can build them.
export { field, fieldErrorDetail, fieldErrorMessage } from '@skiff/common/apimachinery/field-errors';
export type { FieldError, FieldErrorType } from '@skiff/common/apimachinery/field-errors';
