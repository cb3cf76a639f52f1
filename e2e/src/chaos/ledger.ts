// The write ledger: what the apiservers acknowledged, and the check that every acknowledged
// write survived. A create answered 201 must be readable afterwards with the content sent; a
// delete answered 200 (or 202) must stay deleted. A request without an answer (refused, reset,
// timed out) or answered 5xx proves nothing either way: its object is left out of the check.
// Pure: the driver feeds it answers and, at the end, what the apiservers list.

export interface AckedCreate {
  content: string;
  server: string;
  at: number;
}

export interface LedgerCounts {
  creates: number;
  createsAcked: number;
  deletes: number;
  deletesAcked: number;
  /** requests that got no HTTP answer */
  noAnswer: number;
  /** requests answered with another status (5xx during a kill, 409, ...) */
  refused: number;
}

export interface LedgerVerdict {
  /** acknowledged creates checked (not deleted since) */
  createsChecked: number;
  /** acknowledged deletes checked */
  deletesChecked: number;
  /** acknowledged creates missing from the listing */
  lost: string[];
  /** acknowledged creates present with other content */
  changed: string[];
  /** acknowledged deletes present again */
  resurrected: string[];
}

const DELETE_ACK = new Set([200, 202]);

export class WriteLedger {
  readonly counts: LedgerCounts = { creates: 0, createsAcked: 0, deletes: 0, deletesAcked: 0, noAnswer: 0, refused: 0 };
  private readonly created = new Map<string, AckedCreate>();
  private readonly deleted = new Map<string, { server: string; at: number }>();
  /** names whose last write has an unknown outcome */
  private readonly uncertain = new Set<string>();
  /** every write without an acknowledgement: when, through which apiserver, the status (0: no answer) */
  readonly unacknowledgedWrites: { at: number; server: string; status: number }[] = [];
  /** acknowledged creates not yet asked to be deleted, oldest first */
  private readonly live: string[] = [];

  recordCreate(name: string, content: string, server: string, status: number, at: number): void {
    this.counts.creates++;
    if (status === 201) {
      this.counts.createsAcked++;
      this.created.set(name, { content, server, at });
      this.live.push(name);
    } else this.unacknowledged(name, server, status, at);
  }

  recordDelete(name: string, server: string, status: number, at: number): void {
    this.counts.deletes++;
    if (DELETE_ACK.has(status)) {
      this.counts.deletesAcked++;
      this.deleted.set(name, { server, at });
    } else this.unacknowledged(name, server, status, at);
  }

  /** an acknowledged create to delete next (the oldest), taken off the live list */
  takeDeletable(): string | undefined {
    return this.live.shift();
  }

  /** Checks a listing (name to content) taken after the run. */
  verify(listing: ReadonlyMap<string, string>): LedgerVerdict {
    const verdict: LedgerVerdict = { createsChecked: 0, deletesChecked: 0, lost: [], changed: [], resurrected: [] };
    for (const [name, create] of this.created) {
      if (this.deleted.has(name) || this.uncertain.has(name)) continue;
      verdict.createsChecked++;
      const content = listing.get(name);
      if (content === undefined) verdict.lost.push(name);
      else if (content !== create.content) verdict.changed.push(name);
    }
    for (const name of this.deleted.keys()) {
      verdict.deletesChecked++;
      if (listing.has(name)) verdict.resurrected.push(name);
    }
    return verdict;
  }

  /** no answer or a 5xx: the write may have landed or not; a 4xx refused it */
  private unacknowledged(name: string, server: string, status: number, at: number): void {
    this.unacknowledgedWrites.push({ at, server, status });
    if (status === 0) this.counts.noAnswer++;
    else this.counts.refused++;
    if (status === 0 || status >= 500) this.uncertain.add(name);
  }
}

/** lost + changed + resurrected: acknowledged writes the cluster did not keep */
export function lostWrites(v: LedgerVerdict): number {
  return v.lost.length + v.changed.length + v.resurrected.length;
}
