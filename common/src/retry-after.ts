// client-go retries a request that the apiserver turned away before handling it (429 with a
// Retry-After header: its in-flight limit, --max-requests-inflight) after the time the header
// asks, up to 10 times. @kubernetes/client-node does not: a busy apiserver made a hollow
// kubelet's start fail on one lease create, and the kubelet exit. Every API client made from a
// KubeConfig of loadKubeConfig() sends through this library. A 429 without Retry-After (the
// eviction API refusing a disruption) is an answer, and goes back to the caller as before.
import { createConfiguration, IsomorphicFetchHttpLibrary, Observable, ServerConfiguration } from '@kubernetes/client-node';
import type { HttpLibrary, KubeConfig, RequestContext, ResponseContext } from '@kubernetes/client-node';

export const MAX_RETRIES = 10;
/** a Retry-After beyond this is not waited out in full */
const MAX_WAIT_SECONDS = 10;

export class RetryAfterHttpLibrary implements HttpLibrary {
  private readonly base: HttpLibrary;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(base: HttpLibrary = new IsomorphicFetchHttpLibrary(), sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))) {
    this.base = base;
    this.sleep = sleep;
  }

  send(request: RequestContext): Observable<ResponseContext> {
    return new Observable(this.sendWithRetries(request));
  }

  private async sendWithRetries(request: RequestContext): Promise<ResponseContext> {
    for (let retries = 0; ; retries++) {
      const response = await this.base.send(request).toPromise();
      const retryAfter = response.headers['retry-after'];
      if (response.httpStatusCode !== 429 || retryAfter === undefined || retries >= MAX_RETRIES) return response;
      const seconds = Number(retryAfter);
      await response.body.text().catch(() => '');
      await this.sleep(Math.min(Number.isFinite(seconds) && seconds > 0 ? seconds : 1, MAX_WAIT_SECONDS) * 1000);
    }
  }
}

/** API clients of `kc` (makeApiClient) retry 429s with Retry-After, as client-go's do. */
export function retryTooManyRequests(kc: KubeConfig, httpApi: HttpLibrary = new RetryAfterHttpLibrary()): KubeConfig {
  kc.makeApiClient = (apiClientType) => {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('No active cluster!');
    return new apiClientType(createConfiguration({ baseServer: new ServerConfiguration(cluster.server, {}), authMethods: { default: kc }, httpApi }));
  };
  return kc;
}
