// Limits on every request: bombs that cost nothing to send must be refused before they cost
// the server anything (issue 13, acceptance 4), and the other per-request limits.
import { connect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { useApiserver } from '@skiff/common/testing/index';
import { checkJsonDepth, jsonSizeWithin, PatchCopyBudget } from '../src/server/limits.ts';
import { parseGoDurationSeconds } from '@skiff/common/go-duration';
import { watchTimeoutSeconds } from '../src/server/request-limits.ts';
import { parseYamlLimited } from '../src/server/yaml-parse.ts';

/** Each `copy` doubles /x: 22 of them would build ~1.6 GB from under 1 KB of patch. */
export function jsonPatchCopyBomb(): string {
  const ops: object[] = [{ op: 'add', path: '/x', value: { a: 'lol'.repeat(6) } }];
  for (let i = 0; i < 22; i++) ops.push({ op: 'copy', from: '/x', path: `/x/${String.fromCharCode(98 + i)}` });
  return JSON.stringify(ops);
}

/** Nine levels of nine aliases: 9^9 strings from a few hundred bytes ("billion laughs"). */
export function yamlAliasBomb(): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: bomb}', 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  const names = 'abcdefghi';
  for (let i = 1; i < names.length; i++) {
    const prev = `*${names[i - 1]}`;
    lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(prev).join(',')}]`);
  }
  return `${lines.join('\n')}\n`;
}

describe('request limits: pure checks', () => {
  it('refuses JSON nested deeper than the cap without parsing it, strings ignored', () => {
    expect(() => checkJsonDepth(Buffer.from('['.repeat(2000)))).to.throw(/exceeded max depth/);
    expect(() => checkJsonDepth(Buffer.from(`{"a":"${'['.repeat(5000)}"}`))).not.to.throw();
    expect(() => checkJsonDepth(Buffer.from(`{"a":"\\"${'['.repeat(5000)}"}`))).not.to.throw();
    expect(() => checkJsonDepth(Buffer.from(`${'['.repeat(100)}${']'.repeat(100)}`))).not.to.throw();
  });
  it('measures serialized size and stops at the budget', () => {
    expect(jsonSizeWithin({ a: 'bc', d: [1, null] }, 1000)).to.be.within(15, 30);
    const shared = ['x'.repeat(1000)];
    const wide = Array(10_000).fill(shared);
    expect(jsonSizeWithin(wide, 5000)).to.equal(5001);
  });
  it('a copy budget counts what copies add, nodes weighing more than their bytes', () => {
    const budget = new PatchCopyBudget(1000);
    budget.copy('y'.repeat(500));
    expect(() => budget.copy('z'.repeat(500))).to.throw(/copy operations exceeds 1000/);
    expect(() => new PatchCopyBudget(1000).copy(Array(20).fill({}))).to.throw(/exceeds 1000/);
  });
  it('refuses a YAML alias bomb and accepts ordinary aliases', () => {
    const bomb = parseYamlLimited(yamlAliasBomb(), 'error converting YAML to JSON');
    expect(bomb).to.deep.include({ ok: false });
    expect((bomb as { message: string }).message).to.match(/excessive aliasing/);
    const ok = parseYamlLimited('a: &x {b: 1}\nc: *x\n', 'p');
    expect(ok).to.deep.equal({ ok: true, value: { a: { b: 1 }, c: { b: 1 } } });
  });
  it('parses timeouts as Go durations and watch timeoutSeconds as integers', () => {
    expect(parseGoDurationSeconds('1m30s')).to.equal(90);
    expect(parseGoDurationSeconds('500ms')).to.equal(0.5);
    expect(parseGoDurationSeconds('x')).to.equal(undefined);
    expect(watchTimeoutSeconds('5', 1800)).to.equal(5);
    const jittered = watchTimeoutSeconds(null, 1800);
    expect(jittered).to.be.at.least(1800).and.below(3600);
    expect(watchTimeoutSeconds('0', 10)).to.be.at.least(10);
    expect(() => watchTimeoutSeconds('x', 10)).to.throw(/timeoutSeconds/);
  });
});

describe('request limits: over HTTPS', function () {
  this.timeout(60_000);
  const cluster = useApiserver({ extraArgs: ['--request-timeout=2s', '--max-mutating-requests-inflight=3', '--max-requests-inflight=2'] });
  const ns = 'limits';
  const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });

  before(async () => {
    await cluster.server.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    expect((await cluster.server.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: cm('target') })).status).to.equal(201);
  });

  async function timed(method: string, path: string, body: string, contentType: string) {
    const started = performance.now();
    const r = await cluster.server.request(method, path, { body, headers: { 'content-type': contentType } });
    return { ...r, ms: performance.now() - started };
  }

  it('answers a JSON-patch copy bomb under 1 KB (issue: 951 bytes) with 4xx at once', async () => {
    const bomb = jsonPatchCopyBomb();
    expect(bomb.length).to.be.below(1000);
    const w = await timed('PATCH', `/api/v1/namespaces/${ns}/configmaps/target`, '[{"op":"add","path":"/data/w","value":"1"}]', 'application/json-patch+json');
    console.log(`      plain JSON patch: ${w.status} in ${w.ms.toFixed(1)} ms`);
    const r = await timed('PATCH', `/api/v1/namespaces/${ns}/configmaps/target`, bomb, 'application/json-patch+json');
    console.log(`      JSON-patch copy bomb (${bomb.length} bytes): ${r.status} in ${r.ms.toFixed(1)} ms`);
    expect(r.status).to.equal(413);
    expect(JSON.parse(r.body)).to.include({ kind: 'Status', reason: 'RequestEntityTooLarge' });
  });

  it('answers a YAML alias bomb under 500 bytes (issue: 492 bytes) with 4xx at once, as a body and as an apply patch', async () => {
    const bomb = yamlAliasBomb();
    expect(bomb.length).to.be.below(600);
    const r = await timed('POST', `/api/v1/namespaces/${ns}/configmaps`, bomb, 'application/yaml');
    console.log(`      YAML alias bomb (${bomb.length} bytes) as a create: ${r.status} in ${r.ms.toFixed(1)} ms`);
    expect(r.status).to.equal(400);
    expect(JSON.parse(r.body).message).to.match(/excessive aliasing/);
    const a = await timed('PATCH', `/api/v1/namespaces/${ns}/configmaps/bomb?fieldManager=t`, bomb, 'application/apply-patch+yaml');
    console.log(`      YAML alias bomb as an apply patch: ${a.status} in ${a.ms.toFixed(1)} ms`);
    expect(a.status).to.equal(400);
  });

  it('decodes large YAML bodies off the event loop, limits included', async () => {
    const data = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`key${i}`, 'v'.repeat(100)]));
    const yamlBody = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big-yaml\ndata:\n${Object.entries(data)
      .map(([k, v]) => `  ${k}: ${v}`)
      .join('\n')}\n`;
    expect(yamlBody.length).to.be.above(64 * 1024);
    const r = await timed('POST', `/api/v1/namespaces/${ns}/configmaps`, yamlBody, 'application/yaml');
    expect(r.status, r.body).to.equal(201);
    expect(Object.keys(JSON.parse(r.body).data)).to.have.length(2000);
    const padded = `# ${'p'.repeat(70 * 1024)}\n${yamlAliasBomb()}`;
    const b = await timed('POST', `/api/v1/namespaces/${ns}/configmaps`, padded, 'application/yaml');
    expect(b.status).to.equal(400);
    expect(JSON.parse(b.body).message).to.match(/excessive aliasing/);
  });

  it('413 for a body over 3 MiB, declared or not', async () => {
    const big = JSON.stringify({ ...cm('big'), data: { k: 'x'.repeat(3 * 1024 * 1024) } });
    const r = await cluster.server.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: big, headers: { 'content-type': 'application/json' } });
    expect(r.status).to.equal(413);
    expect(JSON.parse(r.body).message).to.equal('Request entity too large: limit is 3145728');
  });

  it('413 at once for a declared length far over the limit, without reading the body', async () => {
    const ca = readFileSync(cluster.server.pki.caCert);
    const cert = readFileSync(cluster.server.pki.admin.cert);
    const key = readFileSync(cluster.server.pki.admin.key);
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: cluster.server.port, ca, cert, key, servername: 'localhost' }, () => {
        s.write(`POST /api/v1/namespaces/${ns}/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{`);
      });
      let got = '';
      s.on('data', (c) => (got += c.toString()));
      s.on('error', reject);
      s.on('close', () => resolve(got)); // the server closes: it will not read 100 MB
    });
    expect(answer).to.match(/^HTTP\/1.1 413/);
    expect(answer.toLowerCase()).to.include('connection: close');
  });

  it('400 for deep JSON, in a body and in a merge patch', async () => {
    const deep = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const r = await timed('POST', `/api/v1/namespaces/${ns}/configmaps`, deep, 'application/json');
    expect(r.status).to.equal(400);
    const p = await timed(
      'PATCH',
      `/api/v1/namespaces/${ns}/configmaps/target`,
      `{"x":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
      'application/merge-patch+json',
    );
    expect(p.status).to.equal(400);
  });

  it('serves bodies and patches nested just under the cap without a 5xx', async () => {
    const nested = `${'['.repeat(990)}1${']'.repeat(990)}`;
    for (const [method, path, ct, body] of [
      ['POST', `/api/v1/namespaces/${ns}/configmaps`, 'application/json', `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"nested"},"x":${nested}}`],
      ['PATCH', `/api/v1/namespaces/${ns}/configmaps/target`, 'application/merge-patch+json', `{"x":${nested}}`],
      ['PATCH', `/api/v1/namespaces/${ns}/configmaps/target`, 'application/strategic-merge-patch+json', `{"metadata":{"annotations":{"a":"b"}},"x":${nested}}`],
      ['PATCH', `/api/v1/namespaces/${ns}/configmaps/target`, 'application/json-patch+json', `[{"op":"add","path":"/x","value":${nested}}]`],
      [
        'PATCH',
        `/api/v1/namespaces/${ns}/configmaps/target?fieldManager=t`,
        'application/apply-patch+yaml',
        `{"apiVersion":"v1","kind":"ConfigMap","x":${nested}}`,
      ],
    ] as const) {
      const r = await timed(method, path, body, ct);
      expect(r.status, `${method} ${ct}: ${r.body.slice(0, 300)}`).to.be.below(500);
    }
  });

  it('400 for a bad %-escape in the path', async () => {
    const r = await cluster.server.request('GET', `/api/v1/namespaces/${ns}/configmaps/%E0%A4%A`);
    expect(r.status).to.equal(400);
    expect(JSON.parse(r.body)).to.include({ kind: 'Status', reason: 'BadRequest' });
  });

  it('400 for a bad timeout and timeoutSeconds', async () => {
    expect((await cluster.server.request('GET', `/api/v1/namespaces/${ns}/configmaps?timeout=x`)).status).to.equal(400);
    expect((await cluster.server.request('GET', `/api/v1/namespaces/${ns}/configmaps?watch=1&timeoutSeconds=x`)).status).to.equal(400);
  });

  it('ends a watch cleanly after timeoutSeconds', async () => {
    // the response ends (request() resolves) only when the server closes the watch
    const r = await cluster.server.request('GET', `/api/v1/namespaces/${ns}/configmaps?watch=1&timeoutSeconds=1`);
    expect(r.status).to.equal(200);
    expect(r.body.split('\n').filter(Boolean).length).to.be.at.least(1);
  });

  it('429 with Retry-After beyond --max-mutating-requests-inflight, reads still served', async () => {
    // a slow body holds a mutating request in flight
    const ca = readFileSync(cluster.server.pki.caCert);
    const cert = readFileSync(cluster.server.pki.admin.cert);
    const key = readFileSync(cluster.server.pki.admin.key);
    const held = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<import('node:tls').TLSSocket>((resolve, reject) => {
            const s = connect({ host: '127.0.0.1', port: cluster.server.port, ca, cert, key, servername: 'localhost' }, () => {
              s.write(`POST /api/v1/namespaces/${ns}/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
              resolve(s);
            });
            s.on('error', reject);
          }),
      ),
    );
    try {
      await new Promise((r) => setTimeout(r, 300));
      const r = await cluster.server.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: cm('over') });
      expect(r.status).to.equal(429);
      expect(r.headers['retry-after']).to.equal('1');
      expect(JSON.parse(r.body)).to.include({ reason: 'TooManyRequests' });
      expect((await cluster.server.request('GET', `/api/v1/namespaces/${ns}/configmaps`)).status).to.equal(200);
      expect((await cluster.server.request('GET', '/readyz', { client: null })).status).to.equal(200);
    } finally {
      for (const s of held) s.destroy();
    }
  });

  it('does not count watches against --max-requests-inflight', async () => {
    const ca = readFileSync(cluster.server.pki.caCert);
    const cert = readFileSync(cluster.server.pki.admin.cert);
    const key = readFileSync(cluster.server.pki.admin.key);
    const watches = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<import('node:tls').TLSSocket>((resolve, reject) => {
            const s = connect({ host: '127.0.0.1', port: cluster.server.port, ca, cert, key, servername: 'localhost' }, () => {
              s.write(`GET /api/v1/namespaces/${ns}/configmaps?watch=1&timeoutSeconds=30 HTTP/1.1\r\nHost: x\r\n\r\n`);
            });
            s.once('data', () => resolve(s)); // the watch has started streaming
            s.on('error', reject);
          }),
      ),
    );
    try {
      for (let i = 0; i < 3; i++) expect((await cluster.server.request('GET', `/api/v1/namespaces/${ns}/configmaps`)).status).to.equal(200);
    } finally {
      for (const s of watches) s.destroy();
    }
  });

  it('504 when a request outlives --request-timeout', async () => {
    // the held body never completes: the handler waits on it past the 2 s timeout
    const ca = readFileSync(cluster.server.pki.caCert);
    const cert = readFileSync(cluster.server.pki.admin.cert);
    const key = readFileSync(cluster.server.pki.admin.key);
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: cluster.server.port, ca, cert, key, servername: 'localhost' }, () => {
        s.write(`POST /api/v1/namespaces/${ns}/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
      });
      let got = '';
      s.on('data', (c) => {
        got += c.toString();
        if (got.includes('\r\n\r\n{') && got.trimEnd().endsWith('}')) {
          s.destroy();
          resolve(got);
        }
      });
      s.on('error', reject);
      s.on('close', () => resolve(got));
    });
    expect(answer).to.match(/^HTTP\/1.1 504/);
    expect(answer).to.include('"reason":"Timeout"');
  });

  it('drops a connection that sends only blank lines', async function () {
    this.timeout(20_000);
    const ca = readFileSync(cluster.server.pki.caCert);
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: cluster.server.port, ca, servername: 'localhost' }, () => s.write('\r\n\r\n\r\n'));
      s.on('data', () => {});
      s.on('error', reject);
      s.on('close', () => resolve());
    });
    // closed by the server's header timeout (10 s), well inside this test's timeout
    console.log(`      blank-line connection closed after ${Date.now() - started} ms`);
  });
});
