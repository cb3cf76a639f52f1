// Everything outside /api and /apis: health, version, metrics, OpenAPI. Served with express.
import express from 'express';
import type { Registry } from 'prom-client';
import { mountDashboard } from './dashboard-files.ts';
import { mountDist } from './dist-files.ts';

export interface OpenApiService {
  v2Json(): Buffer;
  v2Protobuf(): Buffer;
  v2Etag(): string;
  v3Index(): object;
  v3Document(gvPath: string): Buffer | undefined;
  v3Hash(gvPath: string): string;
}

export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}

export interface NonApiDeps {
  version: Record<string, string>;
  metrics: Registry;
  openapi: () => OpenApiService;
  checks: HealthCheck[];
  /** readyz fails while starting and once shutdown begins */
  ready: () => boolean;
  /** the dashboard's built files, served under /ui/ (undefined: not built) */
  dashboardDir?: string;
  /** make dist's output, served under /skiff/dist/ (undefined: not served) */
  distDir?: string;
}

export function createNonApiApp(deps: NonApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const health = (kind: 'healthz' | 'livez' | 'readyz') => async (req: express.Request, res: express.Response) => {
    const results: string[] = [];
    let ok = true;
    const checks = kind === 'livez' ? [] : deps.checks;
    for (const c of checks) {
      try {
        await withTimeout(c.check(), 2000);
        results.push(`[+]${c.name} ok`);
      } catch (e) {
        ok = false;
        results.push(`[-]${c.name} failed: ${(e as Error).message}`);
      }
    }
    if (kind === 'readyz' && !deps.ready()) {
      ok = false;
      results.push('[-]shutdown-or-startup failed: not ready');
    }
    res.status(ok ? 200 : 500).type('text/plain');
    if ('verbose' in req.query || !ok) res.send(`[+]ping ok\n${results.join('\n')}\n${kind} check ${ok ? 'passed' : 'failed'}\n`);
    else res.send('ok');
  };
  app.get(['/healthz', '/healthz/*rest'], health('healthz'));
  app.get(['/livez', '/livez/*rest'], health('livez'));
  app.get(['/readyz', '/readyz/*rest'], health('readyz'));
  app.get(['/version', '/version/'], (_req, res) => {
    res.json(deps.version);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });
  app.get('/openapi/v2', (req, res) => {
    const api = deps.openapi();
    const etag = api.v2Etag().startsWith('"') ? api.v2Etag() : `"${api.v2Etag()}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Vary', 'Accept');
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    const accept = req.headers.accept ?? '';
    if (accept.includes('application/com.github.proto-openapi.spec.v2')) {
      // kubectl 1.27 cannot parse the '@' media type back; kube-apiserver answers octet-stream too
      res.type('application/octet-stream').send(api.v2Protobuf());
    } else {
      res.type('application/json').send(api.v2Json());
    }
  });
  mountDashboard(app, deps.dashboardDir);
  mountDist(app, deps.distDir);
  app.get('/openapi/v3', (_req, res) => {
    res.json(deps.openapi().v3Index());
  });
  app.use('/openapi/v3/', (req, res, next) => {
    if (req.method !== 'GET') {
      next();
      return;
    }
    const gvPath = req.path.replace(/^\/+/, '');
    const api = deps.openapi();
    const doc = api.v3Document(gvPath);
    if (!doc) {
      res.status(404).type('text/plain').send('404 page not found\n');
      return;
    }
    const hash = api.v3Hash(gvPath);
    if (req.query.hash === hash) res.setHeader('Cache-Control', 'public, immutable');
    else res.setHeader('Cache-Control', 'no-cache, private');
    res.setHeader('ETag', `"${hash}"`);
    res.type('application/json').send(doc);
  });
  app.use((_req, res) => {
    res.status(404).json({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server could not find the requested resource',
      reason: 'NotFound',
      details: {},
      code: 404,
    });
  });
  return app;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
