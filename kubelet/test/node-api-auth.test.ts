// The node API's request attributes (path -> nodes/<subresource>, method -> verb) and the
// caching of TokenReview / SubjectAccessReview answers, without a cluster: the reviewer here
// is an in-memory policy that counts the questions it gets.
import type { IncomingMessage } from 'node:http';
import { expect } from 'chai';
import { isSubpath, nodeApiAttributes } from '../src/server/node-api-attributes.ts';
import { NodeApiAuth, type NodeApiUser, type ReviewAttributes, type Reviewer } from '../src/server/node-api-auth.ts';

describe('node API attributes', () => {
  const table: [string, string, boolean, string, string, string | undefined][] = [
    // method, path, upgrade -> verb, subresource, fallback
    ['GET', '/stats/summary', false, 'get', 'stats', undefined],
    ['GET', '/stats', false, 'get', 'stats', undefined],
    ['GET', '/metrics', false, 'get', 'metrics', undefined],
    ['GET', '/metrics/cadvisor', false, 'get', 'metrics', undefined],
    ['GET', '/metrics/probes', false, 'get', 'metrics', undefined],
    ['GET', '/logs/', false, 'get', 'log', undefined],
    ['GET', '/logs/syslog', false, 'get', 'log', undefined],
    ['GET', '/spec/', false, 'get', 'spec', undefined],
    ['POST', '/checkpoint/ns/pod/c', false, 'create', 'checkpoint', undefined],
    ['GET', '/pods', false, 'get', 'pods', 'proxy'],
    ['GET', '/runningPods/', false, 'get', 'pods', 'proxy'],
    ['GET', '/healthz', false, 'get', 'healthz', 'proxy'],
    ['GET', '/healthz/ping', false, 'get', 'healthz', 'proxy'],
    ['GET', '/readyz', false, 'get', 'healthz', 'proxy'],
    ['GET', '/configz', false, 'get', 'configz', 'proxy'],
    ['GET', '/containerLogs/ns/pod/c', false, 'get', 'proxy', undefined],
    ['GET', '/exec/ns/pod/c', true, 'create', 'proxy', undefined],
    ['POST', '/exec/ns/pod/c', true, 'create', 'proxy', undefined],
    ['GET', '/attach/ns/pod/c', true, 'create', 'proxy', undefined],
    ['GET', '/portForward/ns/pod', true, 'create', 'proxy', undefined],
    ['POST', '/run/ns/pod/c', false, 'create', 'proxy', undefined],
    ['PUT', '/pods', false, 'update', 'pods', 'proxy'],
    ['PATCH', '/x', false, 'patch', 'proxy', undefined],
    ['DELETE', '/x', false, 'delete', 'proxy', undefined],
    ['HEAD', '/pods', false, '', 'pods', 'proxy'],
    // a prefix is a path segment, not a string prefix
    ['GET', '/statsx', false, 'get', 'proxy', undefined],
    ['GET', '/metricsfoo/x', false, 'get', 'proxy', undefined],
    ['GET', '/', false, 'get', 'proxy', undefined],
  ];
  for (const [method, path, upgrade, verb, subresource, fallback] of table) {
    it(`${method} ${path}${upgrade ? ' (upgrade)' : ''} -> ${verb || '(no verb)'} nodes/${subresource}${fallback ? `, then nodes/${fallback}` : ''}`, () => {
      const a = nodeApiAttributes(method, path, upgrade);
      expect(a.verb).to.equal(verb);
      expect(a.subresource).to.equal(subresource);
      expect(a.fallbackSubresource).to.equal(fallback);
    });
  }
  it('isSubpath takes whole segments and ignores a trailing slash on the prefix', () => {
    expect(isSubpath('/stats', '/stats/')).to.equal(true);
    expect(isSubpath('/stats/summary', '/stats')).to.equal(true);
    expect(isSubpath('/statsummary', '/stats')).to.equal(false);
  });
});

/** A policy in memory: which (user, verb, subresource) are allowed, and which tokens are whose. */
class CountingReviewer implements Reviewer {
  tokenReviews = 0;
  accessReviews = 0;
  readonly tokens = new Map<string, NodeApiUser>();
  readonly grants = new Set<string>();
  failing = false;
  async tokenReview(token: string) {
    this.tokenReviews++;
    if (this.failing) throw new Error('apiserver unreachable');
    const user = this.tokens.get(token);
    return user ? { authenticated: true, user } : { authenticated: false };
  }
  async subjectAccessReview(user: NodeApiUser, a: ReviewAttributes) {
    this.accessReviews++;
    if (this.failing) throw new Error('apiserver unreachable');
    return { allowed: a.name === 'n1' && this.grants.has(`${user.name} ${a.verb} ${a.subresource}`) };
  }
}

function request(path: string, opts: { token?: string; method?: string } = {}): IncomingMessage {
  return {
    url: path,
    method: opts.method ?? 'GET',
    headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
    socket: { authorized: false },
  } as unknown as IncomingMessage;
}

describe('node API authentication and authorization', () => {
  let clock = 0;
  let reviewer: CountingReviewer;
  let auth: NodeApiAuth;
  beforeEach(() => {
    clock = 1_000_000;
    reviewer = new CountingReviewer();
    reviewer.tokens.set('alice-token', { name: 'alice', groups: ['team'] });
    auth = new NodeApiAuth('n1', reviewer, {}, () => clock);
  });

  it('refuses a request with neither a verified certificate nor a token (401), asking nothing', async () => {
    expect(await auth.check(request('/pods'), false)).to.deep.include({ ok: false, code: 401 });
    expect(reviewer.tokenReviews + reviewer.accessReviews).to.equal(0);
  });

  it('refuses an unknown token (401) and remembers that for 30 s', async () => {
    expect(await auth.check(request('/pods', { token: 'nope' }), false)).to.deep.include({ ok: false, code: 401 });
    clock += 29_000;
    await auth.check(request('/pods', { token: 'nope' }), false);
    expect(reviewer.tokenReviews).to.equal(1);
    clock += 2_000;
    await auth.check(request('/pods', { token: 'nope' }), false);
    expect(reviewer.tokenReviews).to.equal(2);
  });

  it('a known token without permission gets 403 with the kubelet wording', async () => {
    const r = await auth.check(request('/stats/summary', { token: 'alice-token' }), false);
    expect(r).to.deep.include({ ok: false, code: 403, message: 'Forbidden (user=alice, verb=get, resource=nodes, subresource=stats)' });
  });

  it('allows what is granted, caches an allowed answer 5 min and a token 2 min', async () => {
    reviewer.grants.add('alice get stats');
    expect(await auth.check(request('/stats/summary', { token: 'alice-token' }), false)).to.deep.include({ ok: true });
    reviewer.grants.clear();
    clock += 100_000;
    expect((await auth.check(request('/stats/summary', { token: 'alice-token' }), false)).ok).to.equal(true);
    expect([reviewer.tokenReviews, reviewer.accessReviews]).to.deep.equal([1, 1]);
    clock += 30_000; // token answer expired (130 s), the decision has not (300 s)
    expect((await auth.check(request('/stats/summary', { token: 'alice-token' }), false)).ok).to.equal(true);
    expect([reviewer.tokenReviews, reviewer.accessReviews]).to.deep.equal([2, 1]);
    clock += 200_000;
    expect(await auth.check(request('/stats/summary', { token: 'alice-token' }), false)).to.deep.include({ ok: false, code: 403 });
  });

  it('caches a denial 30 s only', async () => {
    expect((await auth.check(request('/metrics', { token: 'alice-token' }), false)).ok).to.equal(false);
    reviewer.grants.add('alice get metrics');
    clock += 20_000;
    expect((await auth.check(request('/metrics', { token: 'alice-token' }), false)).ok).to.equal(false);
    clock += 11_000;
    expect((await auth.check(request('/metrics', { token: 'alice-token' }), false)).ok).to.equal(true);
  });

  it('/pods and /healthz fall back to nodes/proxy; /stats does not', async () => {
    reviewer.grants.add('alice get proxy');
    expect((await auth.check(request('/pods', { token: 'alice-token' }), false)).ok).to.equal(true);
    expect((await auth.check(request('/healthz', { token: 'alice-token' }), false)).ok).to.equal(true);
    expect(await auth.check(request('/stats/summary', { token: 'alice-token' }), false)).to.deep.include({ code: 403 });
  });

  it('an upgrade (exec, attach, port-forward) needs create, which get does not give', async () => {
    reviewer.grants.add('alice get proxy');
    const r = await auth.check(request('/exec/default/p/c?command=id', { token: 'alice-token' }), true);
    expect(r).to.deep.include({ ok: false, code: 403, message: 'Forbidden (user=alice, verb=create, resource=nodes, subresource=proxy)' });
    reviewer.grants.add('alice create proxy');
    clock += 31_000; // past the cached denial
    expect((await auth.check(request('/exec/default/p/c?command=id', { token: 'alice-token' }), true)).ok).to.equal(true);
  });

  it('a failing TokenReview is a 401, a failing SubjectAccessReview a 500; neither is cached', async () => {
    reviewer.failing = true;
    expect(await auth.check(request('/pods', { token: 'alice-token' }), false)).to.deep.include({ ok: false, code: 401 });
    reviewer.failing = false;
    reviewer.grants.add('alice get pods');
    expect((await auth.check(request('/pods', { token: 'alice-token' }), false)).ok).to.equal(true);
    reviewer.failing = true;
    const r = await auth.check(request('/metrics', { token: 'alice-token' }), false);
    expect(r).to.deep.include({ ok: false, code: 500 });
    reviewer.failing = false;
    reviewer.grants.add('alice get metrics');
    expect((await auth.check(request('/metrics', { token: 'alice-token' }), false)).ok).to.equal(true);
  });
});
