import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { sharedEtcd, startEtcd } from '../src/testing/index.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function put(url: string, key: string, value: string): Promise<void> {
  const res = await fetch(`${url}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: b64(key), value: b64(value) }) });
  expect(res.status).to.equal(200);
}

async function get(url: string, key: string): Promise<string | undefined> {
  const res = await fetch(`${url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64(key) }) });
  const body = (await res.json()) as { kvs?: { value: string }[] };
  const value = body.kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('testing harness: etcd', function () {
  this.timeout(60_000);

  it('starts a real etcd on free ports, stores data, and stop() kills it and removes its dir', async () => {
    const etcd = await startEtcd();
    try {
      expect(etcd.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(alive(etcd.pid)).to.equal(true);
      await put(etcd.url, '/k', 'v1');
      expect(await get(etcd.url, '/k')).to.equal('v1');
    } finally {
      await etcd.stop();
    }
    expect(alive(etcd.pid)).to.equal(false);
    expect(existsSync(etcd.dataDir)).to.equal(false);
  });

  it('honours a fixed client port', async () => {
    const port = 32000 + Math.floor(Math.random() * 900);
    const etcd = await startEtcd({ clientPort: port });
    try {
      expect(etcd.url).to.equal(`http://127.0.0.1:${port}`);
    } finally {
      await etcd.stop();
    }
  });

  it('runs two instances side by side without sharing data', async () => {
    const [a, b] = await Promise.all([startEtcd(), startEtcd()]);
    try {
      await put(a.url, '/only-in-a', 'x');
      expect(await get(b.url, '/only-in-a')).to.equal(undefined);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('hands every caller the same shared etcd', async () => {
    const [a, b] = await Promise.all([sharedEtcd(), sharedEtcd()]);
    expect(a.pid).to.equal(b.pid);
    expect(alive(a.pid)).to.equal(true);
  });
});
