// Finds and claims a free value in a range of `size` candidates. Random picks first (cheap when the
// range is mostly empty, and replicas rarely collide); after a few misses the claimed set is read
// once and free values are tried in order from a random start, so a nearly full range still works.
import type { ClaimOwner, ClaimStore } from './claims.ts';

const randomTries = 8;

export async function pickFree(
  store: ClaimStore,
  owner: ClaimOwner,
  size: number,
  valueAt: (i: number) => string,
  dryRun: boolean,
): Promise<string | undefined> {
  const attempt = async (v: string) => (dryRun ? store.wouldClaim(v, owner) : (await store.claim(v, owner)) === 'claimed');
  for (let t = 0; t < Math.min(randomTries, size); t++) {
    const v = valueAt(Math.floor(Math.random() * size));
    if (await attempt(v)) return v;
  }
  const taken = await store.claimedValues();
  const start = Math.floor(Math.random() * size);
  for (let k = 0; k < size; k++) {
    const v = valueAt((start + k) % size);
    if (taken.has(v)) continue;
    // someone may have claimed it since the read; claim() tells us
    if (await attempt(v)) return v;
  }
  return undefined;
}
