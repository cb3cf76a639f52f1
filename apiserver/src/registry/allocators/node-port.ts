// NodePort allocation from the node-port range. Each port in use is an etcd key
// /registry/nodeportallocations/<port>.
import type { Storage } from '../../storage/interface.ts';
import { ClaimStore, parentRef } from './claims.ts';
import type { ClaimOwner } from './claims.ts';
import { AllocationError } from './allocation-error.ts';
import { parsePortRange } from './ranges.ts';
import type { PortRange } from './ranges.ts';
import { pickFree } from './pick-free.ts';

export const NODE_PORT_ALLOCATION_PREFIX = '/registry/nodeportallocations/';
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';

export class NodePortAllocator {
  readonly range: PortRange;
  readonly claims: ClaimStore;
  constructor(storage: Storage, range: string = DEFAULT_NODE_PORT_RANGE) {
    this.range = parsePortRange(range);
    this.claims = new ClaimStore(storage, NODE_PORT_ALLOCATION_PREFIX, (port, owner) => ({
      apiVersion: 'v1',
      kind: 'NodePortAllocation',
      metadata: { name: port },
      spec: { parentRef: parentRef(owner) },
    }));
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.range.first && port <= this.range.last;
  }

  async allocate(port: number, owner: ClaimOwner, dryRun = false): Promise<void> {
    if (!this.contains(port)) {
      throw new AllocationError('outOfRange', `provided port is not in the valid range. The range of valid ports is ${this.range.text}`);
    }
    const v = String(port);
    const ok = dryRun ? await this.claims.wouldClaim(v, owner) : (await this.claims.claim(v, owner)) === 'claimed';
    if (!ok) throw new AllocationError('taken', 'provided port is already allocated');
  }

  async allocateNext(owner: ClaimOwner, dryRun = false): Promise<number> {
    const size = this.range.last - this.range.first + 1;
    const port = await pickFree(this.claims, owner, size, (i) => String(this.range.first + i), dryRun);
    if (!port) throw new AllocationError('full', 'failed to allocate a nodePort: range is full');
    return Number(port);
  }

  async release(port: number, owner: ClaimOwner): Promise<void> {
    await this.claims.release(String(port), owner);
  }
}
