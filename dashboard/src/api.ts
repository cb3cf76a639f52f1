// The only way the page talks to the cluster: the Kubernetes API of the origin it was loaded
// from, with the user's bearer token. Lists are kept current by watch streams (list, then
// watch from the list's resourceVersion, list again after a 410 Gone), never by polling.

const TOKEN_KEY = 'skiff.dashboard.token';

export function storedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function storeToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string; kind: string; name: string; controller?: boolean }[];
    creationTimestamp?: string;
    deletionTimestamp?: string;
    generation?: number;
    managedFields?: unknown;
  };
  [field: string]: any;
}

/** A failed API call, with the server's Status message when there is one. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(code: number, reason: string, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

/** "Forbidden (403): pods is forbidden: User ... cannot list ..." */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) return `${e.reason || 'Error'} (${e.code}): ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** The user's token and JSON, plus `extra`. */
export function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = storedToken();
  return { Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extra };
}

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const status = JSON.parse(text);
    if (status.kind === 'Status') return new ApiError(res.status, status.reason ?? '', status.message ?? text);
  } catch {
    /* not a Status */
  }
  return new ApiError(res.status, res.statusText, text.trim() || res.statusText);
}

export async function request<T = any>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
  const init: RequestInit = { method, headers: headers(body === undefined ? {} : { 'Content-Type': contentType }) };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(path, init);
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export const get = <T = any>(path: string) => request<T>('GET', path);

/** Streams a text body (logs) line by line until `signal` aborts or the server ends it. */
export async function streamLines(path: string, signal: AbortSignal, onLine: (line: string) => void): Promise<void> {
  const res = await fetch(path, { headers: headers({ Accept: '*/*' }), signal });
  if (!res.ok) throw await failure(res);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += value;
    const lines = rest.split('\n');
    rest = lines.pop()!;
    for (const l of lines) onLine(l);
  }
  if (rest) onLine(rest);
}

export interface WatchHandlers {
  /** the whole current set, after every change */
  onChange(objects: KObject[]): void;
  onError(e: unknown): void;
}

/**
 * Asks for metadata only (PartialObjectMetadata), as client-go's metadata informers do: a
 * generic list needs no more, and a Secret's values then never reach the page with the list.
 * A server that does not offer it answers with whole objects (the last entry).
 */
const METADATA_ONLY =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

export interface WatchOptions {
  metadataOnly?: boolean;
}

/**
 * Keeps `onChange` fed with the objects of a collection path (e.g. /api/v1/pods), with
 * `query` (labelSelector, fieldSelector). Returns a function that stops it.
 */
export function watchCollection(path: string, query: Record<string, string>, h: WatchHandlers, options: WatchOptions = {}): () => void {
  const abort = new AbortController();
  const accept: Record<string, string> = options.metadataOnly ? { Accept: METADATA_ONLY } : {};
  const objects = new Map<string, KObject>();
  const key = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const qs = (extra: Record<string, string>) => new URLSearchParams({ ...query, ...extra }).toString();
  const publish = () => h.onChange([...objects.values()]);

  const run = async () => {
    let backoff = 500;
    while (!abort.signal.aborted) {
      try {
        const list = await fetch(`${path}?${qs({})}`, { headers: headers(accept), signal: abort.signal });
        if (!list.ok) throw await failure(list);
        const body = await list.json();
        objects.clear();
        for (const o of body.items ?? []) objects.set(key(o), o);
        publish();
        let rv: string = body.metadata?.resourceVersion ?? '';
        // watch until the server ends the stream, then resume from the last version seen
        for (;;) {
          const res = await fetch(`${path}?${qs({ watch: '1', resourceVersion: rv, allowWatchBookmarks: 'true' })}`, {
            headers: headers(accept),
            signal: abort.signal,
          });
          if (!res.ok) throw await failure(res);
          let gone = false;
          await readEvents(res, (ev) => {
            if (ev.type === 'ERROR') {
              gone = ev.object?.code === 410;
              if (!gone) throw new ApiError(ev.object?.code ?? 500, ev.object?.reason ?? '', ev.object?.message ?? 'watch error');
              return;
            }
            rv = ev.object?.metadata?.resourceVersion ?? rv;
            if (ev.type === 'BOOKMARK') return;
            if (ev.type === 'DELETED') objects.delete(key(ev.object));
            else objects.set(key(ev.object), ev.object);
            publish();
          });
          backoff = 500;
          if (gone) break; // list again
        }
      } catch (e) {
        if (abort.signal.aborted) return;
        h.onError(e);
        if (e instanceof ApiError && (e.code === 401 || e.code === 403 || e.code === 404)) return;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  };
  void run();
  return () => abort.abort();
}

async function readEvents(res: Response, onEvent: (ev: any) => void): Promise<void> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    rest += value;
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (line) onEvent(JSON.parse(line));
      nl = rest.indexOf('\n');
    }
  }
}

export interface AccessCheck {
  verb: string;
  group?: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** SelfSubjectAccessReview: may the signed-in user do this? (false when the review itself fails) */
export async function can(check: AccessCheck): Promise<boolean> {
  try {
    const r = await request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { group: '', ...check } },
    });
    return r.status?.allowed === true;
  } catch {
    return false;
  }
}

/** Who the token is (SelfSubjectReview), for the header. */
export async function whoAmI(): Promise<string> {
  const r = await request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
  });
  return r.status?.userInfo?.username ?? 'unknown';
}

/** API path of a collection: core group under /api/v1, others under /apis/G/V. */
export function collectionPath(apiVersion: string, resource: string, namespace?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${resource}` : `${base}/${resource}`;
}

export function objectPath(apiVersion: string, resource: string, namespace: string | undefined, name: string): string {
  return `${collectionPath(apiVersion, resource, namespace)}/${encodeURIComponent(name)}`;
}

export const FIELD_MANAGER = 'skiff-dashboard';

/** Server-side apply of `body` at its object path (creates it when missing); a dry run stores nothing. */
export function serverSideApply(path: string, body: KObject, dryRun: boolean): Promise<KObject> {
  const q = new URLSearchParams({ fieldManager: FIELD_MANAGER, force: 'true', ...(dryRun ? { dryRun: 'All' } : {}) });
  return request('PATCH', `${path}?${q}`, body, 'application/apply-patch+yaml');
}
