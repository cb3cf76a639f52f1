// A self-signed serving certificate when none is given, as metrics-server makes one
// (the APIService then trusts it with insecureSkipTLSVerify, as metrics-server's manifest does).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export function ensureSelfSignedCert(dir: string): { certFile: string; keyFile: string } {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, 'apiserver.crt');
  const keyFile = join(dir, 'apiserver.key');
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile };
  const names = ['DNS:metrics-server', 'DNS:metrics-server.kube-system', 'DNS:metrics-server.kube-system.svc', 'DNS:localhost', 'IP:127.0.0.1'];
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '365'].concat([
      '-subj',
      `/CN=metrics-server@${Math.floor(Date.now() / 1000)}`,
      '-addext',
      `subjectAltName=${names.join(',')}`,
    ]),
    { stdio: 'pipe' },
  );
  return { certFile, keyFile };
}
