// Plain HTTP from the host to a NodePort, one TCP connection per request: the proxy balances
// connections, so a kept-alive connection would always meet the same pod.
import http from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

export function httpGet(host: string, port: number, path = '/', timeoutMs = 2000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${host}:${port}${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** The pod named on a page of the skiff web image ("<p>pod: NAME</p>"). */
export function servingPod(body: string): string {
  const m = /pod: ([a-z0-9.-]+)/.exec(body);
  if (!m) throw new Error(`the page names no pod: ${body.slice(0, 200)}`);
  return m[1]!;
}

export interface Tally {
  /** answers per pod name */
  pods: Map<string, number>;
  /** requests that failed (connection refused, timeout, non-200) with the reason */
  failures: string[];
}

/** COUNT sequential requests; which pods answered and what failed. */
export async function tallyPods(host: string, port: number, count: number): Promise<Tally> {
  const tally: Tally = { pods: new Map(), failures: [] };
  for (let i = 0; i < count; i++) {
    try {
      const a = await httpGet(host, port);
      if (a.status !== 200) {
        tally.failures.push(`HTTP ${a.status}`);
        continue;
      }
      const pod = servingPod(a.body);
      tally.pods.set(pod, (tally.pods.get(pod) ?? 0) + 1);
    } catch (e) {
      tally.failures.push((e as Error).message);
    }
  }
  return tally;
}
