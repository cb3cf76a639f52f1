// Storage failures worded as kube-apiserver words them, and etcd's errors translated.
import { ApiError, errors } from '../errors.ts';
import { isEtcdTimeout, isEtcdUnavailable } from './etcd-fault-handling.ts';

export const OPTIMISTIC_LOCK_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

export function listTooOld(): ApiError {
  return errors.gone('The resourceVersion for the provided list is too old.');
}

export function continueTooOld(): ApiError {
  return errors.gone(
    'The provided continue parameter is too old to display a consistent list result. ' +
      'You can start a new list without the continue parameter, or use the continue token in this response ' +
      'to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent ' +
      'list - objects that were created, modified, or deleted between the time the first chunk was returned and ' +
      'now may show up in the list.',
  );
}

export function watchTooOld(requested: number, oldest: number): ApiError {
  return errors.gone(`too old resource version: ${requested} (${oldest})`);
}

/** apimachinery's NewTooLargeResourceVersionError: a 504 the client may retry. */
export function tooLargeResourceVersion(requested: number, current: number): ApiError {
  return new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${requested}, current: ${current}`, {
    retryAfterSeconds: 1,
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
  });
}

/** Parses a resourceVersion query value; '' and undefined mean "unset" (0). */
export function parseResourceVersion(rv: string | undefined): number {
  if (rv === undefined || rv === '') return 0;
  if (!/^\d+$/.test(rv)) throw errors.badRequest(`invalid resourceVersion "${rv}": must be a non-negative integer`);
  const n = Number(rv);
  if (!Number.isSafeInteger(n)) throw errors.badRequest(`invalid resourceVersion "${rv}": too large`);
  return n;
}

export function isCompactedError(err: unknown): boolean {
  return err instanceof Error && err.message.includes('required revision has been compacted');
}

export function isFutureRevisionError(err: unknown): boolean {
  return err instanceof Error && err.message.includes('required revision is a future revision');
}

/**
 * etcd unreachable is a 503 and an etcd call out of time a 504, both worth retrying in a
 * second; anything else from etcd that is not already an ApiError is a 500 that names etcd.
 */
export function fromEtcdError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (isEtcdUnavailable(err)) return new ApiError(503, 'ServiceUnavailable', `etcd is unavailable: ${msg}`, { retryAfterSeconds: 1 });
  if (isEtcdTimeout(err)) return new ApiError(504, 'Timeout', `Timeout: etcd did not answer in time: ${msg}`, { retryAfterSeconds: 1 });
  return errors.internal(`etcd: ${msg}`);
}
