// What the metrics server asks of the apiserver, with its own identity: TokenReviews and
// SubjectAccessReviews (system:auth-delegator), the extension-apiserver-authentication
// ConfigMap, pods' metadata (PartialObjectMetadataList: names and labels, not whole pods),
// Nodes (node-watcher.ts), and its own registration. Plain HTTPS on a keep-alive agent.
import https from 'node:https';
import type { UserInfo } from './authentication.ts';
import type { Decision } from './authorization.ts';
import type { PodMeta } from './api.ts';
import type { Credentials } from './kubeconfig.ts';

/** Accept of a list of objects' metadata only (names, labels), not whole objects. */
export const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

export interface WatchStream {
  /** settles when the stream ends (resolves) or fails (rejects) */
  done: Promise<void>;
  close(err?: Error): void;
}

export class ApiserverClient {
  private readonly creds: Credentials;
  private readonly agent = new https.Agent({ keepAlive: true, maxSockets: 16 });

  constructor(creds: Credentials) {
    this.creds = creds;
  }

  private options(method: string, path: string, headers: Record<string, string | number>): https.RequestOptions {
    const c = this.creds;
    return {
      agent: this.agent,
      host: c.server.hostname.replace(/^\[|\]$/g, ''),
      port: c.server.port || 443,
      path,
      method,
      ca: c.ca,
      cert: c.cert,
      key: c.key,
      rejectUnauthorized: !c.insecureSkipTLSVerify,
      headers: { ...(c.token ? { Authorization: `Bearer ${c.token}` } : {}), ...headers },
    };
  }

  private request<T>(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<T> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = https.request(
        this.options(method, path, {
          Accept: accept,
          ...(text ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } : {}),
        }),
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('error', reject);
          res.on('end', () => {
            const out = Buffer.concat(chunks).toString();
            if ((res.statusCode ?? 0) >= 300)
              reject(Object.assign(new Error(`${method} ${path}: ${res.statusCode} ${out.slice(0, 300)}`), { code: res.statusCode }));
            else resolve(JSON.parse(out) as T);
          });
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(text);
    });
  }

  get<T>(path: string, accept?: string): Promise<T> {
    return this.request<T>('GET', path, undefined, accept);
  }

  /** A watch: one JSON event per line, handed to onLine as it arrives. */
  stream(path: string, onLine: (line: string) => void): WatchStream {
    let close: (err?: Error) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      const req = https.request(this.options('GET', path, { Accept: 'application/json' }), (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(Object.assign(new Error(`watch ${path}: ${res.statusCode}`), { code: res.statusCode }));
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            try {
              onLine(line);
            } catch (e) {
              req.destroy(e as Error);
              return;
            }
          }
        });
        res.on('end', () => resolve());
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
      close = (err?: Error) => {
        if (err) req.destroy(err);
        else {
          req.destroy();
          resolve();
        }
      };
    });
    return { done, close: (err?: Error) => close(err) };
  }

  /** The object at `path`, or undefined on 404. */
  async getOrUndefined<T>(path: string): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', path);
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  }

  /** Creates the object under `collection`, or replaces `collection/name` with it (keeping its resourceVersion). */
  async createOrReplace(collection: string, name: string, body: { metadata?: Record<string, unknown> } & Record<string, unknown>): Promise<void> {
    const cur = await this.getOrUndefined<{ metadata?: { resourceVersion?: string }; spec?: Record<string, unknown> }>(`${collection}/${name}`);
    if (!cur) {
      await this.request('POST', collection, body);
      return;
    }
    // a Service keeps the ClusterIP it was given
    const spec = cur.spec?.clusterIP ? { spec: { ...(body.spec as Record<string, unknown>), clusterIP: cur.spec.clusterIP } } : {};
    await this.request('PUT', `${collection}/${name}`, { ...body, ...spec, metadata: { ...body.metadata, resourceVersion: cur.metadata?.resourceVersion } });
  }

  async tokenReview(token: string): Promise<UserInfo | undefined> {
    const r = await this.request<{
      status?: { authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } };
    }>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });
    const u = r.status?.user;
    if (!r.status?.authenticated || !u?.username) return undefined;
    return { name: u.username, groups: u.groups ?? [], ...(u.uid ? { uid: u.uid } : {}), ...(u.extra ? { extra: u.extra } : {}) };
  }

  async subjectAccessReview(spec: Record<string, unknown>): Promise<Decision> {
    const r = await this.request<{ status?: { allowed?: boolean; denied?: boolean; reason?: string } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec },
    );
    return { allowed: r.status?.allowed === true && r.status.denied !== true, reason: r.status?.reason };
  }

  async authenticationConfigMap(): Promise<Record<string, string>> {
    const cm = await this.request<{ data?: Record<string, string> }>('GET', '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication');
    return cm.data ?? {};
  }

  /** Pods' metadata straight from the apiserver (what the pod cache cannot answer: other field selectors). */
  async listPods(namespace: string | undefined, labelSelector: string | undefined, fieldSelector: string | undefined): Promise<PodMeta[]> {
    const q = new URLSearchParams();
    if (labelSelector) q.set('labelSelector', labelSelector);
    if (fieldSelector) q.set('fieldSelector', fieldSelector);
    const path = `/api/v1/${namespace ? `namespaces/${encodeURIComponent(namespace)}/` : ''}pods${q.size ? `?${q}` : ''}`;
    const r = await this.request<{
      items?: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; creationTimestamp?: string } }[];
    }>('GET', path, undefined, METADATA_LIST);
    return (r.items ?? []).map((p) => ({
      name: p.metadata?.name ?? '',
      namespace: p.metadata?.namespace ?? '',
      ...(p.metadata?.labels ? { labels: p.metadata.labels } : {}),
    }));
  }

  close(): void {
    this.agent.destroy();
  }
}
