// Claims an allocated value (an IP, a port) as one etcd key, so that several apiserver replicas
// never hand out the same value: Storage.create is atomic, the second claimant gets 409.
import type { Storage } from '../../storage/interface.ts';
import type { KObject } from '../types.ts';
import { ApiError } from '../../errors.ts';

/**
 * The Service a value belongs to; a claim made again by its owner succeeds (retries are safe).
 * The uid tells a Service from an earlier one of the same name (a failed create must not free
 * the existing Service's values).
 */
export interface ClaimOwner {
  namespace: string;
  name: string;
  uid?: string;
}

/** How a claim record names its owner (the IPAddress API's parentRef, plus the uid). */
export function parentRef(owner: ClaimOwner): Record<string, string> {
  const ref: Record<string, string> = { group: '', resource: 'services', namespace: owner.namespace, name: owner.name };
  if (owner.uid) ref.uid = owner.uid;
  return ref;
}

export type ClaimResult = 'claimed' | 'taken';

function ownedBy(obj: KObject | undefined, owner: ClaimOwner): boolean {
  const ref = obj?.spec?.parentRef;
  return !!ref && ref.namespace === owner.namespace && ref.name === owner.name && (ref.uid ?? '') === (owner.uid ?? '');
}

const isStatus = (e: unknown, code: number) => e instanceof ApiError && e.code === code;

export class ClaimStore {
  readonly storage: Storage;
  readonly prefix: string;
  readonly makeRecord: (value: string, owner: ClaimOwner) => KObject;
  constructor(storage: Storage, prefix: string, makeRecord: (value: string, owner: ClaimOwner) => KObject) {
    this.storage = storage;
    this.prefix = prefix;
    this.makeRecord = makeRecord;
  }

  key(value: string): string {
    return `${this.prefix}${value}`;
  }

  async claim(value: string, owner: ClaimOwner): Promise<ClaimResult> {
    try {
      await this.storage.create(this.key(value), this.makeRecord(value, owner));
      return 'claimed';
    } catch (e) {
      if (!isStatus(e, 409)) throw e;
      return ownedBy(await this.storage.get(this.key(value)), owner) ? 'claimed' : 'taken';
    }
  }

  /** Whether a claim would succeed, without making it (dry run). */
  async wouldClaim(value: string, owner: ClaimOwner): Promise<boolean> {
    const current = await this.storage.get(this.key(value));
    return !current || ownedBy(current, owner);
  }

  /** Frees a value if owner still holds it; another owner's claim is left alone. */
  async release(value: string, owner: ClaimOwner): Promise<void> {
    const current = await this.storage.get(this.key(value));
    if (!current || !ownedBy(current, owner)) return;
    try {
      await this.storage.delete(this.key(value), { expectedResourceVersion: current.metadata.resourceVersion });
    } catch (e) {
      if (!isStatus(e, 404) && !isStatus(e, 409)) throw e;
    }
  }

  /** Every value claimed now (used when random picks keep colliding). */
  async claimedValues(): Promise<Set<string>> {
    const seen = new Set<string>();
    let cont: string | undefined;
    do {
      const page = await this.storage.list(this.prefix, { limit: 1000, continue: cont });
      for (const item of page.items) if (item.metadata.name) seen.add(item.metadata.name);
      cont = page.continue;
    } while (cont);
    return seen;
  }
}
