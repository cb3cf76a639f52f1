// Plain HTTP GETs against a Service from the host, one fresh connection per request (as
// separate clients would), and a load loop that counts every failed request.
import { request } from 'node:http';

export interface ProbeResult {
  ok: boolean;
  status: number;
  body: string;
  error?: string;
}

export function httpGet(url: string, timeoutMs = 3000, headers: Record<string, string> = {}): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs, headers: { connection: 'close', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ ok: res.statusCode === 200, status: res.statusCode ?? 0, body }));
      res.on('error', (e) => resolve({ ok: false, status: res.statusCode ?? 0, body, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ ok: false, status: 0, body: '', error: e.message }));
    req.end();
  });
}

/** The pod name the skiff/web page reports ("pod: NAME"), or undefined. */
export function servingPod(body: string): string | undefined {
  return /pod: ([a-z0-9.-]+)/.exec(body)?.[1];
}

export interface LoadReport {
  requests: number;
  failures: { at: number; url: string; status: number; error?: string }[];
  pods: Map<string, number>;
}

/** Requests the URLs round-robin, back to back (pause in between) until stop() is called; `headers` e.g. a Host for an Ingress. */
export function startLoad(urls: string[], pauseMs = 20, headers: Record<string, string> = {}): { stop(): Promise<LoadReport>; count(): number } {
  const report: LoadReport = { requests: 0, failures: [], pods: new Map() };
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const url = urls[i % urls.length]!;
      const r = await httpGet(url, 3000, headers);
      report.requests++;
      if (!r.ok) report.failures.push({ at: Date.now(), url, status: r.status, ...(r.error ? { error: r.error } : {}) });
      const pod = servingPod(r.body);
      if (pod) report.pods.set(pod, (report.pods.get(pod) ?? 0) + 1);
      if (pauseMs > 0) await new Promise((res) => setTimeout(res, pauseMs));
    }
  })();
  return {
    count: () => report.requests,
    async stop() {
      running = false;
      await loop;
      return report;
    },
  };
}
