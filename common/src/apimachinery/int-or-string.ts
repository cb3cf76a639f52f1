// intstr.IntOrString: 3 or "25%" (maxSurge, maxUnavailable, targetPort, PDB minAvailable).
import { field, type FieldError } from './field-errors.ts';

export type IntOrString = number | string;

export interface IntOrPercent {
  value: number;
  percent: boolean;
}

/** The validation message for a string that is not `N%` (apimachinery's IsValidPercent). */
export const percentMessage =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** The number and whether it is a percentage; undefined for anything else. A digit string counts as an int. */
export function parseIntOrPercent(v: unknown): IntOrPercent | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? { value: v, percent: false } : undefined;
  if (typeof v !== 'string') return undefined;
  const percent = v.endsWith('%');
  const digits = percent ? v.slice(0, -1) : v;
  if (!/^-?[0-9]+$/.test(digits)) return undefined;
  return { value: Number(digits), percent };
}

/**
 * intstr.GetScaledValueFromIntOrPercent: an int as is, a percentage of `total` rounded up
 * or down. Absent is 0.
 */
export function scaledValue(value: IntOrString | undefined | null, total: number, roundUp: boolean): number {
  if (value === undefined || value === null) return 0;
  const parsed = parseIntOrPercent(value);
  if (!parsed) {
    const why = typeof value === 'string' && value.endsWith('%') ? `invalid value "${value}"` : 'invalid type: string is not a percentage';
    throw new Error(`invalid value for IntOrString: ${why}`);
  }
  if (!parsed.percent) return parsed.value;
  const scaled = (parsed.value * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * apps validation's ValidatePositiveIntOrPercent and IsNotMoreThan100Percent: an int >= 0 or
 * a percentage up to 100% (maxSurge, maxUnavailable, a PDB's minAvailable). Absent is valid.
 */
export function validateIntOrPercent(v: unknown, path: string): FieldError[] {
  if (v === undefined || v === null) return [];
  const parsed = parseIntOrPercent(v);
  if (!parsed) return [field.invalid(path, v, percentMessage)];
  const out: FieldError[] = [];
  if (parsed.value < 0) out.push(field.invalid(path, v, 'must be greater than or equal to 0'));
  if (parsed.percent && parsed.value > 100) out.push(field.invalid(path, v, 'must not be greater than 100%'));
  return out;
}
