// Field errors as k8s.io/apimachinery/pkg/util/validation/field builds and prints them: every
// validator (ObjectMeta, selectors, each resource's spec) returns a list of these, and the
// apiserver turns the list into one 422 Status with a cause per error.
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

/** The part after the path: `Invalid value: -1: must be greater than or equal to 0`. */
export function fieldErrorDetail(e: FieldError): string {
  // apimachinery's ErrorBody: TooMany shows the actual count when it is known (`Too many: 3: must have at most 2 items`)
  const hasValue =
    e.type === 'FieldValueInvalid' ||
    e.type === 'FieldValueDuplicate' ||
    e.type === 'FieldValueNotSupported' ||
    e.type === 'FieldValueTypeInvalid' ||
    (e.type === 'FieldValueTooMany' && e.value !== undefined);
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
