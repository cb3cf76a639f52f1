// etcd SIGKILLed and started again on the same data dir and port, with the apiserver left
// running: while etcd is away requests fail fast with a Status (503 ServiceUnavailable) and
// /readyz names etcd; once it is back, writes, reads and a watch opened before the outage work
// again without restarting the apiserver. (The etcd3 client's circuit breaker used to answer
// "circuit breaker is open" for seconds to minutes after etcd was back.) Bounds are generous polls.
import { expect } from 'chai';
import { startApiserver, startEtcd, until, watchLines } from '@skiff/common/testing/index';
import type { ApiserverHandle, EtcdHandle } from '@skiff/common/testing/index';

const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';
const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: name } });

describe('apiserver: etcd killed and restarted', function () {
  this.timeout(150_000);
  let etcd: EtcdHandle | undefined;
  let server: ApiserverHandle | undefined;
  let stopWatch: (() => void) | undefined;

  before(async function () {
    // an etcd of its own: this suite kills it
    etcd = await startEtcd();
    server = await startApiserver({ etcdUrl: etcd.url });
  });

  after(async function () {
    this.timeout(30_000);
    stopWatch?.();
    await server?.stop();
    await etcd?.stop();
  });

  it('fails fast with a Status while etcd is down and recovers once it is back', async function () {
    const api = server!;
    const created = await api.request('POST', CONFIGMAPS, { body: configMap('before-outage') });
    expect(created.status, created.body).to.equal(201);

    // a watch opened before the outage (served by the watch cache: resourceVersion 0 starts with the current state)
    const seen: string[] = [];
    stopWatch = watchLines(api, `${CONFIGMAPS}?watch=1&resourceVersion=0`, (line) => {
      const ev = JSON.parse(line) as { type: string; object: { metadata?: { name?: string } } };
      seen.push(`${ev.type} ${ev.object.metadata?.name ?? ''}`);
    });
    await until('the watch to start', () => seen.includes('ADDED before-outage'), 20_000);
    const probe = await api.request('POST', CONFIGMAPS, { body: configMap('watch-probe') });
    expect(probe.status, probe.body).to.equal(201);
    await until(`the watch delivers an event before the outage (saw ${seen.join(', ')})`, () => seen.includes('ADDED watch-probe'), 20_000);

    await etcd!.kill('SIGKILL');

    // during the outage: a Status with a 5xx code, not a hang (the harness gives up after 30 s)
    const during = await api.request('POST', CONFIGMAPS, { body: configMap('during-outage') });
    expect(during.status, during.body).to.be.oneOf([503, 504]);
    const status = JSON.parse(during.body) as { kind: string; reason: string; message: string };
    expect(status.kind).to.equal('Status');
    expect(status.reason).to.be.oneOf(['ServiceUnavailable', 'Timeout']);
    expect(status.message).to.not.include('circuit breaker');
    const read = await api.request('GET', `${CONFIGMAPS}/before-outage`);
    expect(read.status, read.body).to.be.oneOf([503, 504]);
    // the process keeps serving: /readyz answers and names the failing etcd check
    await until(
      '/readyz to report etcd failing',
      async () => {
        const r = await api.request('GET', '/readyz', { client: null });
        return r.status === 500 && r.body.includes('[-]etcd failed');
      },
      20_000,
    );
    const healthz = await api.request('GET', '/healthz', { client: null });
    expect(healthz.status).to.be.oneOf([200, 500]);

    await etcd!.start();

    await until(
      'a create to succeed after etcd is back',
      async () => (await api.request('POST', CONFIGMAPS, { body: configMap('after-outage') })).status === 201,
      20_000,
      250,
    );
    const before = await api.request('GET', `${CONFIGMAPS}/before-outage`);
    expect(before.status, before.body).to.equal(200);
    const after = await api.request('GET', `${CONFIGMAPS}/after-outage`);
    expect(after.status, after.body).to.equal(200);
    expect((JSON.parse(after.body) as { data: { k: string } }).data.k).to.equal('after-outage');
    await until('the watch opened before the outage to deliver the create made after it', () => seen.includes('ADDED after-outage'), 20_000);
    await until('/readyz to pass again', async () => (await api.request('GET', '/readyz', { client: null })).status === 200, 20_000);
  });

  it('a frozen etcd (SIGSTOP for 25 s, then SIGCONT): a watch opened before delivers what is written after', async function () {
    const api = server!;
    const seen: string[] = [];
    const stop = watchLines(api, `${CONFIGMAPS}?watch=1&resourceVersion=0`, (line) => {
      const ev = JSON.parse(line) as { type: string; object: { metadata?: { name?: string } } };
      seen.push(`${ev.type} ${ev.object.metadata?.name ?? ''}`);
    });
    try {
      await until('the watch to start', () => seen.includes('ADDED before-outage'), 20_000);
      // Longer than the watch streams' silence watchdog (10 s + 10 s): the connections stay
      // open but nothing answers on them (the etcd client's keepalive, 30 s + 10 s, is longer).
      process.kill(etcd!.pid, 'SIGSTOP');
      try {
        await new Promise((r) => setTimeout(r, 25_000));
      } finally {
        process.kill(etcd!.pid, 'SIGCONT');
      }
      await until(
        'a create to succeed after etcd thawed',
        async () => (await api.request('POST', CONFIGMAPS, { body: configMap('after-freeze') })).status === 201,
        30_000,
        250,
      );
      await until(`the watch delivers the create made after the freeze (saw ${seen.join(', ')})`, () => seen.includes('ADDED after-freeze'), 30_000);
      await until('/readyz to pass again', async () => (await api.request('GET', '/readyz', { client: null })).status === 200, 20_000);
    } finally {
      stop();
    }
  });
});
