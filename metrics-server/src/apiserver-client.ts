// What the metrics server asks of the apiserver, with its own identity: TokenReviews and
// SubjectAccessReviews (system:auth-delegator), the extension-apiserver-authentication
// ConfigMap, pods' metadata (PartialObjectMetadataList: names and labels, not whole pods),
// and a Node informer.
import https from 'node:https';
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { Informer, type Logger } from '@skiff/common';
import type { UserInfo } from './authentication.ts';
import type { Decision } from './authorization.ts';
import type { PodMeta } from './api.ts';

export class ApiserverClient {
  private readonly kc: KubeConfig;
  private readonly server: URL;
  private readonly agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  private tls?: https.RequestOptions;

  constructor(kc: KubeConfig) {
    this.kc = kc;
    this.server = new URL(kc.getCurrentCluster()?.server ?? 'https://127.0.0.1:6443');
  }

  private async request<T>(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<T> {
    if (!this.tls) {
      const opts: https.RequestOptions = {};
      await this.kc.applyToHTTPSOptions(opts);
      this.tls = opts;
    }
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = https.request(
        {
          ...this.tls,
          agent: this.agent,
          host: this.server.hostname.replace(/^\[|\]$/g, ''),
          port: this.server.port || 443,
          path,
          method,
          timeout: 30_000,
          headers: {
            ...(this.tls?.headers as Record<string, string> | undefined),
            Accept: accept,
            ...(text ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } : {}),
          },
        },
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
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(text);
    });
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

  async listPods(namespace: string | undefined, labelSelector: string | undefined, fieldSelector: string | undefined): Promise<PodMeta[]> {
    const q = new URLSearchParams();
    if (labelSelector) q.set('labelSelector', labelSelector);
    if (fieldSelector) q.set('fieldSelector', fieldSelector);
    const path = `/api/v1/${namespace ? `namespaces/${encodeURIComponent(namespace)}/` : ''}pods${q.size ? `?${q}` : ''}`;
    const r = await this.request<{
      items?: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; creationTimestamp?: string } }[];
    }>('GET', path, undefined, 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json');
    return (r.items ?? []).map((p) => ({
      name: p.metadata?.name ?? '',
      namespace: p.metadata?.namespace ?? '',
      ...(p.metadata?.labels ? { labels: p.metadata.labels } : {}),
    }));
  }

  nodeInformer(log: Logger): Informer<V1Node> {
    const core = this.kc.makeApiClient(CoreV1Api);
    return new Informer<V1Node>({ kubeConfig: this.kc, path: '/api/v1/nodes', list: () => core.listNode(), log });
  }

  close(): void {
    this.agent.destroy();
  }
}
