// The workloads the e2e suite applies, as objects (kubectl apply -f - takes JSON).
export const WEB_IMAGE = '127.0.0.1:5000/skiff/web:latest';

export interface WebDeploymentOptions {
  name: string;
  replicas: number;
  labels: Record<string, string>;
  /** one pod per node (required pod anti-affinity on kubernetes.io/hostname) */
  spread?: boolean;
  env?: Record<string, string>;
}

// What a zero-downtime rollout needs from the pod: a readiness probe so that only serving
// pods get traffic, and a preStop pause so that every node's proxy drops the endpoint before
// httpd gets SIGTERM.
export function webDeployment(o: WebDeploymentOptions): object {
  const affinity = o.spread
    ? {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: o.labels }, topologyKey: 'kubernetes.io/hostname' }],
        },
      }
    : undefined;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: o.name, labels: o.labels },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: o.labels },
      // one pod per node leaves no room for a surge pod: replace them one at a time
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: o.spread ? 0 : 1, maxUnavailable: o.spread ? 1 : 0 } },
      template: {
        metadata: { labels: o.labels },
        spec: {
          ...(affinity ? { affinity } : {}),
          terminationGracePeriodSeconds: 20,
          containers: [
            {
              name: 'web',
              image: WEB_IMAGE,
              ports: [{ containerPort: 8080 }],
              env: Object.entries(o.env ?? {}).map(([name, value]) => ({ name, value })),
              // upstream's default failureThreshold (3): with 1, a busy machine that made one probe of
              // every pod time out at once emptied the Service mid-rollout (ECONNREFUSED on every node)
              readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1, failureThreshold: 3 },
              // Long enough for every node's proxy to drop the endpoint before the server stops, on a loaded
              // CI machine too (4 s was not: a NodePort answered ECONNREFUSED during a rollout).
              lifecycle: { preStop: { exec: { command: ['sleep', '8'] } } },
            },
          ],
        },
      },
    },
  };
}

export function nodePortService(name: string, selector: Record<string, string>, nodePort: number): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { type: 'NodePort', selector, ports: [{ port: 80, targetPort: 8080, nodePort }] },
  };
}

export function list(...items: object[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}
