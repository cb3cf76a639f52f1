// How the controllers tell apart the API errors they handle (NotFound, Conflict,
// AlreadyExists) from the rest: client-node throws ApiException with the HTTP status in
// `code` and the apiserver's Status answer in `body` (JSON text, or an object once
// deserialized). Anything else (network errors, bugs) has no status code.
import { ApiException } from '@kubernetes/client-node';

interface StatusLike {
  reason?: string;
  message?: string;
  details?: { causes?: { reason?: string }[] };
}

/** The HTTP status of a failed API call; undefined for anything else. */
export function statusCodeOf(e: unknown): number | undefined {
  return e instanceof ApiException ? e.code : undefined;
}

function statusOf(e: ApiException<unknown>): StatusLike {
  const body: unknown = e.body;
  if (body && typeof body === 'object') return body as StatusLike;
  if (typeof body !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed && typeof parsed === 'object' ? (parsed as StatusLike) : { message: body.slice(0, 300) };
  } catch {
    return { message: body.slice(0, 300) };
  }
}

export const isNotFound = (e: unknown): boolean => statusCodeOf(e) === 404;
/** Any 409: an update that lost a resourceVersion race, or a create of an existing name. */
export const isConflict = (e: unknown): boolean => statusCodeOf(e) === 409;
/** A create of a name that exists: 409 is also an update conflict, only the Status reason tells them apart. */
export const isAlreadyExists = (e: unknown): boolean => e instanceof ApiException && e.code === 409 && statusOf(e).reason === 'AlreadyExists';
/** A create refused because its namespace is being deleted (upstream HasStatusCause NamespaceTerminating). */
export const isNamespaceTerminating = (e: unknown): boolean =>
  e instanceof ApiException && (statusOf(e).details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');

/** The apiserver's Status message alone, for conditions and events shown to users. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiException) return statusOf(e).message ?? `HTTP ${e.code}`;
  return e instanceof Error ? e.message : String(e);
}

/** One line for logs: "409 Conflict: <Status message>" instead of ApiException's dump with headers. */
export function errorText(e: unknown): string {
  if (e instanceof ApiException) {
    const s = statusOf(e);
    return `${e.code}${s.reason ? ` ${s.reason}` : ''}: ${s.message ?? 'no message'}`;
  }
  return e instanceof Error ? e.message : String(e);
}
