// Port numbers and protocols, shared by containers, services, endpoints and endpoint slices.
import { field } from '../../errors.ts';
import type { FieldError } from '../../errors.ts';

export const protocols = ['SCTP', 'TCP', 'UDP'];
export const portRangeMessage = 'must be between 1 and 65535, inclusive';

export function isValidPortNum(p: unknown): p is number {
  return typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535;
}

export function validatePortNumber(p: unknown, path: string): FieldError[] {
  return isValidPortNum(p) ? [] : [field.invalid(path, p, portRangeMessage)];
}

export function validateProtocol(p: unknown, path: string): FieldError[] {
  if (p === undefined || p === '') return [field.required(path)];
  return protocols.includes(p as string) ? [] : [field.notSupported(path, p, protocols)];
}

/** 0..n-1 non-negative integers such as initialDelaySeconds. */
export function validateNonNegative(v: unknown, path: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v !== 'number' || !Number.isInteger(v)) return [field.invalid(path, v, 'must be an integer')];
  return v < 0 ? [field.invalid(path, v, 'must be greater than or equal to 0')] : [];
}

export function validatePositive(v: unknown, path: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v !== 'number' || !Number.isInteger(v)) return [field.invalid(path, v, 'must be an integer')];
  return v <= 0 ? [field.invalid(path, v, 'must be greater than 0')] : [];
}
