// The errors kubectl-lite reports: each becomes one line on stderr and an exit code.

/** Wrong flags or arguments: the message, then the command's usage line; exit 1. */
export class UsageError extends Error {
  usage: string | undefined;
  constructor(message: string, usage?: string) {
    super(message);
    this.name = 'UsageError';
    this.usage = usage;
  }
}

/** A failure found on the client side (no such file, no rollout history, ...). */
export class CliError extends Error {
  exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** The subset of metav1.Status that error lines need. */
export interface ApiStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[] };
}

/** A non-2xx answer from the apiserver, carrying its Status. */
export class ApiStatusError extends Error {
  status: ApiStatus;
  httpCode: number;
  constructor(httpCode: number, status: ApiStatus) {
    super(status.message || `the server answered HTTP ${httpCode}`);
    this.name = 'ApiStatusError';
    this.httpCode = httpCode;
    this.status = status;
  }

  get reason(): string {
    return this.status.reason || reasonForCode(this.httpCode);
  }
}

function reasonForCode(code: number): string {
  const known: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    409: 'Conflict',
    410: 'Expired',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return known[code] ?? 'Unknown';
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiStatusError && err.httpCode === 404;
}

/** The line kubectl prints for an error, e.g. `Error from server (NotFound): deployments.apps "x" not found`. */
export function errorLine(err: unknown): string {
  if (err instanceof ApiStatusError) return `Error from server (${err.reason}): ${err.message}`;
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
