// How the etcd client behaves while etcd is away, as kube-apiserver's does: every request is
// tried against etcd itself and fails fast when etcd cannot be reached, and the first request
// after etcd is back succeeds. The etcd3 client's default is a circuit breaker per host (open
// after 3 failures, one trial call after 5 s) that every watch stream's drop also feeds: with
// the watch cache's streams reconnecting, their failures kept re-opening it, and requests got
// "circuit breaker is open" long after etcd was back. No breaker here; a call that finds no
// connection is retried once after a short pause (a connection being re-established), and the
// gRPC channel itself reconnects with a back-off capped at a second.
import { ExponentialBackoff, handleWhen, noop, retry } from 'cockatiel';
import { GRPCDeadlineExceededError, GRPCUnavailableError, isRecoverableError } from 'etcd3';
import type { IOptions } from 'etcd3';

/** gRPC channel options: reconnect to a restarted etcd within about a second, however long it was away. */
export const ETCD_RECONNECT_CHANNEL_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.min_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  // keepalive pings: a watch stream whose connection died without a reset is found and reopened
  // instead of waiting silently. kube-apiserver's values (keepaliveTime 30 s, keepaliveTimeout
  // 10 s; above etcd's enforcement minimum of 5 s): with 10 s and 5 s, an apiserver saturated by
  // 5,000 nodes read the ping's answer late, behind the watch data queued on the same
  // connection, and dropped its etcd connection, every watch with it, every 11 s
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
};

export function etcdFaultHandling(): NonNullable<IOptions['faultHandling']> {
  return {
    host: () => noop,
    global: retry(handleWhen(isRecoverableError), {
      maxAttempts: 1,
      backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 200 }),
    }),
  };
}

/** etcd could not be reached (down, restarting, no connection yet). */
export function isEtcdUnavailable(err: unknown): boolean {
  return err instanceof GRPCUnavailableError;
}

/** an etcd call ran out of its deadline */
export function isEtcdTimeout(err: unknown): boolean {
  return err instanceof GRPCDeadlineExceededError;
}
