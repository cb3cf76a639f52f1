// intstr.IntOrString: 3 or "25%" (maxSurge, maxUnavailable, targetPort, PDB minAvailable).

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
