// The kubelet's apiserver calls go through the official client's typed APIs. Hollow kubelets
// (hundreds per process) share one set, built on a KubeConfig wrapped by reuseConnections,
// so they share its one keep-alive agent too.
import { ApiException, CoordinationV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';

export interface ApiClients {
  core: CoreV1Api;
  coordination: CoordinationV1Api;
}

export function apiClients(kc: KubeConfig): ApiClients {
  return { core: kc.makeApiClient(CoreV1Api), coordination: kc.makeApiClient(CoordinationV1Api) };
}

/** Call options that send the body as a JSON merge patch (RFC 7386). */
export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The HTTP status of a failed call, and the Status reason when the body is one. */
export function apiFailure(err: unknown): { code: number; reason: string } | undefined {
  if (!(err instanceof ApiException)) return undefined;
  let reason = '';
  try {
    reason = (JSON.parse(String(err.body)) as { reason?: string }).reason ?? '';
  } catch {
    /* not a Status */
  }
  return { code: err.code, reason };
}

export function isNotFound(err: unknown): boolean {
  return apiFailure(err)?.code === 404;
}
/** 409 of any kind: AlreadyExists on create, Conflict on a failed precondition. */
export function isConflict(err: unknown): boolean {
  return apiFailure(err)?.code === 409;
}
export function isAlreadyExists(err: unknown): boolean {
  const f = apiFailure(err);
  return f?.code === 409 && f.reason === 'AlreadyExists';
}
