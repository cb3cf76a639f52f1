// The dashboard (dashboard/ in this repository) is a bundle of static files: the apiserver
// serves them under /ui/ so that the page and the API share one origin. The page then calls
// the API with the user's own bearer token, and no second service, certificate or CORS rule
// is needed. The files are built by `node dashboard/build.mjs` (part of the build).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';

/** dashboard/dist/ui of the checkout this apiserver runs from (src/ or dist/src/), if built. */
export function defaultDashboardDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === '@skiff/apiserver') {
      const ui = join(dir, '..', 'dashboard', 'dist', 'ui');
      return existsSync(join(ui, 'index.html')) ? ui : undefined;
    }
    dir = dirname(dir);
  }
  return undefined;
}

// The page loads nothing from elsewhere: scripts and styles are its own files; it connects
// only to this origin (fetch and WebSocket). Inline styles: Preact's and xterm's style attributes.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** /ui redirects to /ui/; /ui/* are the built files; no files: a 404 that says how to build them. */
export function mountDashboard(app: express.Express, dir: string | undefined): void {
  app.get('/ui', (req, res, next) => {
    // express matches /ui/ here too (non-strict routing)
    if (req.originalUrl.split('?')[0] !== '/ui') return next();
    res.redirect(301, '/ui/');
  });
  app.use('/ui/', (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  if (dir) {
    app.use('/ui/', express.static(dir, { index: 'index.html', fallthrough: true, etag: true, maxAge: 0 }));
  }
  app.use('/ui/', (_req, res) => {
    res
      .status(404)
      .type('text/plain')
      .send(dir ? 'not found\n' : 'the dashboard is not built: run `node dashboard/build.mjs` (part of `make up` and `make build`)\n');
  });
}
