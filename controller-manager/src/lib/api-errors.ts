// The official client throws ApiException with the HTTP status in `code`; these helpers
// let controllers branch on the Kubernetes meaning (NotFound, Conflict, ...) instead.
export function httpStatusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown; response?: { statusCode?: unknown } } | undefined;
  for (const v of [e?.code, e?.statusCode, e?.response?.statusCode]) if (typeof v === 'number') return v;
  return undefined;
}

export const isNotFound = (err: unknown): boolean => httpStatusOf(err) === 404;
export const isConflict = (err: unknown): boolean => httpStatusOf(err) === 409;
export const isAlreadyExists = isConflict;

/** A short message for logs and conditions: the apiserver's Status message when there is one. */
export function errorMessage(err: unknown): string {
  const body = (err as { body?: unknown } | undefined)?.body;
  if (typeof body === 'string') {
    try { const s = JSON.parse(body) as { message?: string }; if (s.message) return s.message; } catch { /* not JSON */ }
  }
  return err instanceof Error ? err.message : String(err);
}
