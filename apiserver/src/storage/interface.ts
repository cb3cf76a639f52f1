// What the registry needs from storage: about nine verbs, in the manner of kine's server.
// Values are JSON objects; resourceVersion is etcd's mod revision, set on every object
// returned (metadata.resourceVersion as a decimal string).
import type { KObject } from '../registry/types.ts';

export interface ListOptions {
  /** '' or undefined: the newest data (consistent). '0': any data the cache has. Else: at least/exactly this. */
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact' | '';
  limit?: number;
  /** opaque token from a previous page */
  continue?: string;
  /** applied before limit counting, so pages are full pages of matches */
  predicate?: (obj: KObject) => boolean;
}

export interface ListResult {
  items: KObject[];
  /** the revision the list was read at */
  resourceVersion: number;
  continue?: string;
  remainingItemCount?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  /** the object after the change; for DELETED the last state, with the deletion's revision as resourceVersion */
  object: KObject;
  /** for MODIFIED and DELETED: the state before, so that selector transitions can be computed */
  prevObject?: KObject;
  revision: number;
}

export interface WatchOptions {
  /** '' or undefined: start now; '0': synthetic ADDED for current state first; else: events after this revision */
  resourceVersion?: string;
  /** send BOOKMARK events (object carries only metadata.resourceVersion) now and then */
  allowBookmarks?: boolean;
  /** send initial ADDED events for everything present at start (resourceVersion '0' or absent with sendInitialEvents) */
  sendInitialEvents?: boolean;
  /** the watcher wants only objects whose trigger value is this one; a hint a store may ignore */
  trigger?: WatchTrigger;
}

/**
 * kube-apiserver's watch-cache trigger: a watcher whose field selector requires `field=value`
 * of a resource that names that field its trigger (pods: spec.nodeName, for the kubelets) is
 * handed only the events whose object had `value` before or has it after the change. The watch
 * cache files such watchers by value, so an event costs the watchers it can concern rather than
 * every watcher of the resource. The caller filters what arrives as before; this only skips
 * events the filter would have dropped.
 */
export interface WatchTrigger {
  value: string;
  /** the trigger value of a stored object; one function per resource, the same for all its watchers */
  of: (stored: KObject) => string;
}

export interface Watcher {
  /** stop the watch; idempotent */
  stop(): void;
  /** ask for a BOOKMARK now (if the watch allows bookmarks), e.g. just before ending it on timeout */
  requestBookmark?(): void;
}

/** thrown errors are ApiError (errors.ts): 404 NotFound, 409 AlreadyExists/Conflict, 410 Expired */
export interface Storage {
  /** key like /registry/pods/default/web-1; prefix like /registry/pods/default/ */
  get(key: string): Promise<KObject | undefined>;
  /** with ttlSeconds the key expires on its own (etcd lease), as Events do */
  create(key: string, obj: KObject, opts?: { ttlSeconds?: number }): Promise<KObject>;
  /**
   * Read-modify-write with optimistic concurrency: `update` gets the current object (undefined
   * when absent) and returns the new one, or undefined to leave it unchanged. Retries on a
   * concurrent write unless the caller pinned a resourceVersion (then 409 Conflict).
   */
  guaranteedUpdate(
    key: string,
    update: (current: KObject | undefined) => Promise<KObject | undefined> | KObject | undefined,
    opts?: { expectedResourceVersion?: string; ignoreNotFound?: boolean; ttlSeconds?: number },
  ): Promise<KObject>;
  /** delete; with expectedResourceVersion a mismatch is 409. Returns the last state. */
  delete(key: string, opts?: { expectedResourceVersion?: string }): Promise<KObject>;
  list(prefix: string, opts: ListOptions): Promise<ListResult>;
  watch(prefix: string, opts: WatchOptions, onEvent: (ev: WatchEvent) => void): Promise<Watcher>;
  /** etcd's current revision */
  currentRevision(): Promise<number>;
  close(): Promise<void>;
}
