// The single-node cluster's usage report: CPU per service from its run directory, and the
// apiserver's request counts.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatUsage, serviceCpu, topRequests } from '../src/single-node/usage-report.ts';

describe('single-node usage report', () => {
  it("reads a service's CPU from the PID its supervisor records, and skips services that are gone", () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-usage-'));
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i % 7; // some CPU of our own to measure
    expect(x).to.be.greaterThan(0);
    // supervised: the service's PID is in NAME.state (its supervisor here is long gone)
    writeFileSync(join(dir, 'me.pid'), '999999998\n');
    writeFileSync(join(dir, 'me.state'), `pid=${process.pid}\nrestarts=0\n`);
    // unsupervised: the PID file names the service itself
    writeFileSync(join(dir, 'bare.pid'), `${process.pid}\n`);
    writeFileSync(join(dir, 'gone.pid'), '999999999\n');
    const cpu = new Map(serviceCpu(dir).map((c) => [c.name, c.seconds]));
    expect([...cpu.keys()].sort()).to.deep.equal(['bare', 'gone', 'me']);
    expect(cpu.get('me')).to.be.greaterThan(0);
    // the same process either way, read a moment apart in the directory's order
    expect(cpu.get('bare')).to.be.closeTo(cpu.get('me')!, 0.5);
    expect(cpu.get('gone')).to.equal(0);
  });

  it('sums the request counter over codes per verb and resource, largest first', () => {
    const metrics = [
      '# HELP apiserver_request_total x',
      'apiserver_request_total{verb="GET",group="",version="v1",resource="configmaps",subresource="",code="200"} 40',
      'apiserver_request_total{verb="GET",group="",version="v1",resource="configmaps",subresource="",code="404"} 2',
      'apiserver_request_total{verb="PATCH",group="",version="v1",resource="pods",subresource="status",code="200"} 50',
      'apiserver_request_total{verb="LIST",group="",version="v1",resource="pods",subresource="",code="200"} 1',
    ].join('\n');
    expect(topRequests(metrics, 2)).to.deep.equal([
      { request: 'PATCH pods/status', count: 50 },
      { request: 'GET configmaps', count: 42 },
    ]);
    expect(formatUsage([{ name: 'apiserver', seconds: 12.34 }], topRequests(metrics))).to.match(
      /12 s of CPU in all \(apiserver 12\.3\)[\s\S]*PATCH pods\/status 50/,
    );
  });
});
