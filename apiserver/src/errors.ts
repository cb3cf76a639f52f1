// Kubernetes `Status` errors as apimachinery words them (k8s.io/apimachinery/pkg/api/errors).
// Every failure that reaches a client goes through ApiError so that kubectl and the official
// client can read code, reason and details.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details?: StatusDetails;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
  toStatus(): Record<string, unknown> {
    const s: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** `pods`, or `deployments.apps` for a named group: how apimachinery names a resource. */
export function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

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
  /** fieldValidation=Strict: one cause per unknown field, reason FieldValueInvalid... as 422 */
  invalidStrict: (group: string, kind: string, name: string, message: string, fields: string[]) =>
    new ApiError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${message}`, {
      name,
      group: group || undefined,
      kind,
      causes: fields.map((f) => ({ reason: 'FieldValueInvalid', message: `unknown field "${f}"`, field: f })),
    }),
  /** a path that names no served resource */
  notFoundPath: () => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {}),
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  methodNotAllowed: (message: string) => new ApiError(405, 'MethodNotAllowed', message),
  gone: (message: string) => new ApiError(410, 'Expired', message),
  tooLarge: (message = 'Request entity too large: limit is 3145728') => new ApiError(413, 'RequestEntityTooLarge', message),
  unsupportedMediaType: (ct: string) =>
    new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${ct})`,
    ),
  notAcceptable: (message: string) => new ApiError(406, 'NotAcceptable', message),
  forbidden: (group: string, resource: string, name: string, why: string) =>
    new ApiError(403, 'Forbidden', `${qualifiedResource(group, resource)} "${name}" is forbidden: ${why}`, { name, group: group || undefined, kind: resource }),
  unauthorized: () => new ApiError(401, 'Unauthorized', 'Unauthorized'),
  internal: (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`),
  timeout: (message: string) => new ApiError(504, 'Timeout', message),
  tooManyRequests: (message: string, retryAfterSeconds = 1) => new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds }),
};

// ---- field errors (k8s.io/apimachinery/pkg/util/validation/field) ----
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueDuplicate'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

export interface FieldError {
  type: FieldErrorType;
  field: string;
  value?: unknown;
  detail?: string;
  supported?: string[];
}

export const field = {
  required: (f: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field: f, detail }),
  invalid: (f: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field: f, value, detail }),
  duplicate: (f: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field: f, value }),
  notSupported: (f: string, value: unknown, supported: string[]): FieldError => ({ type: 'FieldValueNotSupported', field: f, value, supported }),
  forbidden: (f: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field: f, detail }),
  tooLong: (f: string, value: unknown, max: number): FieldError => ({ type: 'FieldValueTooLong', field: f, value, detail: `must have at most ${max} bytes` }),
};

const typeWords: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

/** Values print as Go's %#v does in apimachinery messages: []string{"a"}, map[string]string{"k":"v"}. */
function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined || v === null) return 'null';
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return `[]string{${v.map((x) => JSON.stringify(x)).join(', ')}}`;
    if (v.every((x) => typeof x === 'number' && Number.isInteger(x))) return `[]int32{${v.join(', ')}}`;
    return JSON.stringify(v);
  }
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.every(([, x]) => typeof x === 'string')) {
      return `map[string]string{${entries
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => `${JSON.stringify(k)}:${JSON.stringify(x)}`)
        .join(', ')}}`;
    }
    return JSON.stringify(v);
  }
  return String(v);
}

function fieldErrorDetail(e: FieldError): string {
  const hasValue =
    e.type === 'FieldValueInvalid' || e.type === 'FieldValueDuplicate' || e.type === 'FieldValueNotSupported' || e.type === 'FieldValueTypeInvalid';
  let s = typeWords[e.type];
  if (hasValue) s += `: ${showValue(e.value)}`;
  if (e.type === 'FieldValueNotSupported' && e.supported) s += `: supported values: ${e.supported.map((x) => `"${x}"`).join(', ')}`;
  else if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** `spec.replicas: Invalid value: -1: must be greater than or equal to 0` */
export function fieldErrorMessage(e: FieldError): string {
  return `${e.field}: ${fieldErrorDetail(e)}`;
}
