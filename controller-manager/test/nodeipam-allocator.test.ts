import { expect } from 'chai';
import { CidrAllocator, parseCidr, formatCidr } from '../src/controllers/nodeipam/cidr-allocator.ts';

describe('node CIDR allocator', () => {
  it('hands out /24s from the cluster CIDR in order and reuses released ones', () => {
    const a = new CidrAllocator('10.244.0.0/16', 24);
    expect(a.allocate()).to.equal('10.244.0.0/24');
    expect(a.allocate()).to.equal('10.244.1.0/24');
    a.release('10.244.0.0/24');
    expect(a.allocate()).to.equal('10.244.0.0/24');
    expect(a.allocate()).to.equal('10.244.2.0/24');
  });

  it('skips ranges occupied by existing nodes and ignores foreign ones', () => {
    const a = new CidrAllocator('10.244.0.0/16', 24);
    expect(a.occupy('10.244.0.0/24')).to.equal(true);
    expect(a.occupy('10.245.0.0/24')).to.equal(false);
    expect(a.occupy('10.244.1.0/25')).to.equal(false);
    expect(a.allocate()).to.equal('10.244.1.0/24');
  });

  it('fails clearly when full or misconfigured', () => {
    const a = new CidrAllocator('192.168.0.0/23', 24);
    a.allocate();
    a.allocate();
    expect(() => a.allocate()).to.throw(/no free \/24/);
    expect(() => new CidrAllocator('10.0.0.0/16', 8)).to.throw(/mask size/);
    expect(() => parseCidr('10.0.0.300/16')).to.throw(/invalid IPv4 CIDR/);
    expect(formatCidr(parseCidr('10.244.7.9/16'))).to.equal('10.244.0.0/16');
  });
});
