// A raw watch stream for benchmarks: each event line as text, so that a caller can skip the
// ones it does not need before paying for JSON.parse.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { ApiserverHandle } from './apiserver.ts';

/** Watches `path` (with ?watch=1) as the admin; returns a function that ends the watch. */
export function watchLines(server: ApiserverHandle, path: string, onLine: (line: string) => void): () => void {
  const req = https.request(
    `${server.url}${path}`,
    {
      ca: readFileSync(server.pki.caCert),
      cert: readFileSync(server.pki.admin.cert),
      key: readFileSync(server.pki.admin.key),
    },
    (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          onLine(line);
        }
      });
    },
  );
  req.end();
  return () => req.destroy();
}
