// One DNS message in, one out: cluster names from the zone, everything else upstream.
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';
import type { ClusterZone, QueryType } from './records.ts';
import { forwardTcp, forwardUdp } from './upstream.ts';
import type { UpstreamAddress } from './upstream.ts';

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type RcodeName = keyof typeof RCODE;

export interface ResolverOptions {
  zone: ClusterZone;
  upstream?: UpstreamAddress;
  upstreamTimeoutMs?: number;
  onAnswer?: (info: { type: string; rcode: RcodeName; source: 'zone' | 'upstream' }) => void;
}

export type Transport = 'udp' | 'tcp';

function respond(q: DecodedPacket, rcode: RcodeName, extra: Partial<Packet> = {}, authoritative = false): Packet {
  let flags = RCODE[rcode] | dnsPacket.RECURSION_AVAILABLE;
  if (q.flag_rd) flags |= dnsPacket.RECURSION_DESIRED;
  if (authoritative) flags |= dnsPacket.AUTHORITATIVE_ANSWER;
  return { type: 'response', id: q.id, flags, questions: q.questions, answers: [], authorities: [], additionals: [], ...extra };
}

/** The largest UDP answer the client accepts: its EDNS size, else the classic 512 bytes. */
function udpLimit(q: DecodedPacket): number {
  const opt = q.additionals?.find((a): a is Extract<Answer, { type: 'OPT' }> => a.type === 'OPT');
  return opt ? Math.max(512, Math.min(opt.udpPayloadSize, 4096)) : 512;
}

export class Resolver {
  private readonly o: ResolverOptions;
  constructor(o: ResolverOptions) {
    this.o = o;
  }

  async handle(raw: Buffer, transport: Transport): Promise<Buffer | undefined> {
    let q: DecodedPacket;
    try {
      q = dnsPacket.decode(raw);
    } catch {
      // too broken to answer with the same id: FORMERR needs at least the header
      if (raw.length < 12) return undefined;
      const header = Buffer.from(raw.subarray(0, 12));
      header.writeUInt16BE(0x8000 | RCODE.FORMERR, 2);
      header.fill(0, 4, 12);
      return header;
    }
    if (q.type !== 'query' || q.flag_qr) return undefined;
    const question = q.questions?.[0];
    if (!question || q.questions!.length !== 1) return this.encode(respond(q, 'FORMERR'), q, transport);
    const zone = this.o.zone;
    if (zone.owns(question.name)) {
      const r = zone.lookup(question.name, question.type as QueryType);
      this.o.onAnswer?.({ type: question.type, rcode: r.rcode, source: 'zone' });
      return this.encode(respond(q, r.rcode, { answers: r.answers, authorities: r.authorities, additionals: r.additionals }, true), q, transport);
    }
    const up = this.o.upstream;
    if (!up) {
      this.o.onAnswer?.({ type: question.type, rcode: 'REFUSED', source: 'upstream' });
      return this.encode(respond(q, 'REFUSED'), q, transport);
    }
    try {
      const timeout = this.o.upstreamTimeoutMs ?? 2000;
      const answer = transport === 'udp' ? await forwardUdp(up, raw, timeout) : await forwardTcp(up, raw, timeout);
      this.o.onAnswer?.({ type: question.type, rcode: 'NOERROR', source: 'upstream' });
      return answer;
    } catch {
      this.o.onAnswer?.({ type: question.type, rcode: 'SERVFAIL', source: 'upstream' });
      return this.encode(respond(q, 'SERVFAIL'), q, transport);
    }
  }

  private encode(p: Packet, q: DecodedPacket, transport: Transport): Buffer {
    const buf = dnsPacket.encode(p);
    if (transport === 'tcp' || buf.length <= udpLimit(q)) return buf;
    // too big for this client over UDP: say so, and it retries over TCP
    return dnsPacket.encode({ ...p, flags: (p.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [], additionals: [] });
  }
}
