// A self-signed serving certificate for :10250 when none is given (as the kubelet does),
// made with openssl into the root dir and reused on restart.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export function ensureServingCert(dir: string, nodeName: string, nodeIP: string): { certFile: string; keyFile: string } {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, 'kubelet.crt');
  const keyFile = join(dir, 'kubelet.key');
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile };
  const san = [`DNS:${nodeName}`, 'DNS:localhost', `IP:${nodeIP}`, 'IP:127.0.0.1'].filter((v, i, a) => a.indexOf(v) === i).join(',');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '365',
      '-subj',
      `/CN=${nodeName}@${Math.floor(Date.now() / 1000)}`,
      '-addext',
      `subjectAltName=${san}`,
    ],
    { stdio: 'pipe' },
  );
  return { certFile, keyFile };
}
