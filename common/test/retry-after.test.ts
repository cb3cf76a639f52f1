import { expect } from 'chai';
import { HttpMethod, Observable, RequestContext, ResponseContext } from '@kubernetes/client-node';
import type { HttpLibrary } from '@kubernetes/client-node';
import { MAX_RETRIES, RetryAfterHttpLibrary } from '../src/retry-after.ts';

// What every component's API client does with a 429 (common/src/retry-after.ts), on made-up
// answers: no apiserver, and the waits are recorded rather than slept.
describe("API clients retry a 429 with Retry-After, as client-go's do", () => {
  const answer = (status: number, headers: Record<string, string> = {}) =>
    new ResponseContext(status, headers, { text: async () => '{}', binary: async () => Buffer.from('{}') });

  function fake(answers: ResponseContext[]) {
    const sent: string[] = [];
    const waits: number[] = [];
    const base: HttpLibrary = {
      send(request) {
        sent.push(`${request.getHttpMethod()} ${request.getUrl()} ${request.getBody()}`);
        return new Observable(Promise.resolve(answers.shift() ?? answer(200)));
      },
    };
    const library = new RetryAfterHttpLibrary(base, async (ms) => {
      waits.push(ms);
    });
    return { library, sent, waits };
  }
  const patch = () => {
    const r = new RequestContext('https://127.0.0.1:6443/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', HttpMethod.PATCH);
    r.setBody('{"spec":{}}');
    return r;
  };

  it('sends the same request again after the time Retry-After asks, and hands back the answer that follows', async () => {
    const { library, sent, waits } = fake([answer(429, { 'retry-after': '2' }), answer(429, { 'retry-after': '1' }), answer(200)]);
    const res = await library.send(patch()).toPromise();
    expect(res.httpStatusCode).to.equal(200);
    expect(sent).to.have.length(3);
    expect(new Set(sent).size, 'the same method, URL and body each time').to.equal(1);
    expect(waits).to.deep.equal([2000, 1000]);
  });

  it('hands back a 429 without Retry-After at once (the eviction API refusing a disruption is an answer)', async () => {
    const { library, sent } = fake([answer(429)]);
    expect((await library.send(patch()).toPromise()).httpStatusCode).to.equal(429);
    expect(sent).to.have.length(1);
  });

  it(`gives up after ${MAX_RETRIES} retries, and waits at most 10 s however long it is asked to`, async () => {
    const { library, sent, waits } = fake(Array.from({ length: 20 }, () => answer(429, { 'retry-after': '3600' })));
    expect((await library.send(patch()).toPromise()).httpStatusCode).to.equal(429);
    expect(sent).to.have.length(MAX_RETRIES + 1);
    expect(waits.every((w) => w === 10_000)).to.equal(true);
  });

  it('leaves other answers alone, errors included', async () => {
    const { library, sent } = fake([answer(503, { 'retry-after': '1' })]);
    expect((await library.send(patch()).toPromise()).httpStatusCode).to.equal(503);
    expect(sent).to.have.length(1);
  });
});
