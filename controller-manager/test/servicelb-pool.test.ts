// The load-balancer address pool without a cluster: parsing ranges and CIDRs, lowest free
// address first, one address per Service, a freed address handed out again.
import { expect } from 'chai';
import { IpPool, parsePool } from '../src/controllers/servicelb/ip-pool.ts';

describe('service-lb: address pool', () => {
  it('parses ranges and CIDRs, leaving out network and broadcast of a CIDR', () => {
    expect(new IpPool('10.253.0.200-10.253.0.239').size).to.equal(40);
    expect(new IpPool('10.0.0.0/30').size).to.equal(2);
    expect(new IpPool('10.0.0.8/31, 10.0.0.20-10.0.0.20').size).to.equal(3);
    const p = new IpPool('10.0.0.0/29');
    expect(p.contains('10.0.0.0')).to.equal(false);
    expect(p.contains('10.0.0.1')).to.equal(true);
    expect(p.contains('10.0.0.7')).to.equal(false);
  });

  it('refuses malformed, backwards and overlapping entries', () => {
    for (const bad of ['10.0.0.300-10.0.0.301', '10.0.0.9-10.0.0.1', '10.0.0.0/33', 'a.b.c.d', '10.0.0.0/24,10.0.0.5-10.0.0.6', '10.0.0.1-']) {
      expect(() => parsePool(bad), bad).to.throw(/load-balancer pool entry/);
    }
    expect(parsePool('')).to.deep.equal([]);
  });

  it('hands out the lowest free address, one per Service, and again after release', () => {
    const p = new IpPool('10.0.0.10-10.0.0.11');
    expect(p.claimNext('ns/a')).to.equal('10.0.0.10');
    expect(p.claimNext('ns/a')).to.equal('10.0.0.10');
    expect(p.claimNext('ns/b')).to.equal('10.0.0.11');
    expect(p.claimNext('ns/c')).to.equal(undefined);
    expect(p.release('ns/a')).to.equal('10.0.0.10');
    expect(p.release('ns/a')).to.equal(undefined);
    expect(p.claimNext('ns/c')).to.equal('10.0.0.10');
    expect(p.inUse).to.equal(2);
  });

  it('gives a requested address only when it is in the pool and free, moving the holder', () => {
    const p = new IpPool('10.0.0.10-10.0.0.12');
    expect(p.claim('10.0.0.12', 'ns/a')).to.equal(true);
    expect(p.claim('10.0.0.12', 'ns/b')).to.equal(false);
    expect(p.claim('10.0.0.99', 'ns/b')).to.equal(false);
    expect(p.claim('10.0.0.11', 'ns/a')).to.equal(true);
    expect(p.addressOf('ns/a')).to.equal('10.0.0.11');
    expect(p.claim('10.0.0.12', 'ns/b')).to.equal(true);
  });
});
