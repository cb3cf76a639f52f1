// ClusterIP allocation from the service CIDR. Each address in use is an etcd key
// /registry/ipallocations/<ip> holding a networking.k8s.io/v1-style IPAddress record.
import type { Storage } from '../../storage/interface.ts';
import { ClaimStore, parentRef } from './claims.ts';
import type { ClaimOwner } from './claims.ts';
import { AllocationError } from './allocation-error.ts';
import { numberToIPv4, offsetInRange, parseIPv4Cidr } from './ranges.ts';
import type { IPv4Range } from './ranges.ts';
import { pickFree } from './pick-free.ts';

export const IP_ALLOCATION_PREFIX = '/registry/ipallocations/';
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';

export class ClusterIPAllocator {
  readonly range: IPv4Range;
  readonly claims: ClaimStore;
  constructor(storage: Storage, cidr: string = DEFAULT_SERVICE_CIDR) {
    this.range = parseIPv4Cidr(cidr);
    this.claims = new ClaimStore(storage, IP_ALLOCATION_PREFIX, (ip, owner) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IPAddress',
      metadata: { name: ip, labels: { 'ipaddress.kubernetes.io/managed-by': 'skiff-apiserver' } },
      spec: { parentRef: parentRef(owner) },
    }));
  }

  /** The first usable address (.1 of the block): the `kubernetes` Service's address. */
  firstAddress(): string {
    return numberToIPv4(this.range.base + 1);
  }

  contains(ip: string): boolean {
    return offsetInRange(this.range, ip) !== undefined;
  }

  /** Claims a requested address; throws AllocationError when outside the range or held by another Service. */
  async allocate(ip: string, owner: ClaimOwner, dryRun = false): Promise<void> {
    if (!this.contains(ip)) {
      throw new AllocationError(
        'outOfRange',
        `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.range.cidr}`,
      );
    }
    const ok = dryRun ? await this.claims.wouldClaim(ip, owner) : (await this.claims.claim(ip, owner)) === 'claimed';
    if (!ok) throw new AllocationError('taken', `failed to allocate IP ${ip}: provided IP is already allocated`);
  }

  /** Claims any free address. The first address is left for the `kubernetes` Service. */
  async allocateNext(owner: ClaimOwner, dryRun = false): Promise<string> {
    const usable = this.range.size - 3; // minus network, broadcast and the first address
    const ip = await pickFree(this.claims, owner, usable, (i) => numberToIPv4(this.range.base + 2 + i), dryRun);
    if (!ip) throw new AllocationError('full', 'failed to allocate a serviceIP: range is full');
    return ip;
  }

  async release(ip: string, owner: ClaimOwner): Promise<void> {
    await this.claims.release(ip, owner);
  }
}
