// The release a new machine installs (`make dist`: skiff-VERSION-linux-ARCH.tar.gz, install.sh,
// SHA256SUMS), served by the apiserver under /skiff/dist/ so that a worker joins with the one
// command `make token` prints: no second daemon, port or certificate. RBAC decides who reads it
// (system:skiff-dist-reader: bootstrap tokens and nodes); the joining machine checks install.sh
// against the sha256 in the command, and the tarball against SHA256SUMS read over TLS verified
// with the cluster CA it pinned by --ca-hash.
import express from 'express';

/** Top-level files of the dist directory only: no listing, no dotfiles, no sub-directories. */
const FILE_NAME = /^\/[A-Za-z0-9][A-Za-z0-9._+-]*$/;

export function mountDist(app: express.Express, dir: string | undefined): void {
  app.use('/skiff/dist/', (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.status(405).setHeader('Allow', 'GET, HEAD').type('text/plain').send('method not allowed\n');
      return;
    }
    if (!dir || !FILE_NAME.test(req.path)) {
      res
        .status(404)
        .type('text/plain')
        .send(dir ? 'not found\n' : 'no release is served here: run `make dist` on the control plane\n');
      return;
    }
    next();
  });
  if (!dir) return;
  app.use('/skiff/dist/', express.static(dir, { index: false, dotfiles: 'ignore', redirect: false, fallthrough: true, etag: true, maxAge: 0 }));
  app.use('/skiff/dist/', (_req, res) => {
    res.status(404).type('text/plain').send('not found\n');
  });
}
