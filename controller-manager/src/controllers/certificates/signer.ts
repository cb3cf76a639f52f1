// Signs approved node CSRs with the cluster CA (--cluster-signing-cert-file/-key-file), the
// way kube-controller-manager's csrsigning controller does: subject and SANs from the request,
// key usages from spec.usages, lifetime from spec.expirationSeconds bounded by the signing
// duration and by the CA's own expiry, backdated a little against clock skew.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ParsedCsr } from '@skiff/common/bootstrap/csr';
import { importSigningKey, x509, type SigningAlgorithm, type SigningKey } from '@skiff/common/bootstrap/x509';

const BACKDATE_MS = 5 * 60 * 1000;
const MIN_DURATION_SECONDS = 600;

const keyUsageFlags: Record<string, number> = {
  'digital signature': x509.KeyUsageFlags.digitalSignature,
  'content commitment': x509.KeyUsageFlags.nonRepudiation,
  'key encipherment': x509.KeyUsageFlags.keyEncipherment,
  'key agreement': x509.KeyUsageFlags.keyAgreement,
  'data encipherment': x509.KeyUsageFlags.dataEncipherment,
  'cert sign': x509.KeyUsageFlags.keyCertSign,
  'crl sign': x509.KeyUsageFlags.cRLSign,
  'encipher only': x509.KeyUsageFlags.encipherOnly,
  'decipher only': x509.KeyUsageFlags.decipherOnly,
};

const extKeyUsages: Record<string, string> = {
  'server auth': x509.ExtendedKeyUsage.serverAuth,
  'client auth': x509.ExtendedKeyUsage.clientAuth,
  'code signing': x509.ExtendedKeyUsage.codeSigning,
  'email protection': x509.ExtendedKeyUsage.emailProtection,
  timestamping: x509.ExtendedKeyUsage.timeStamping,
  'ocsp signing': x509.ExtendedKeyUsage.ocspSigning,
};

export interface SignRequest {
  csr: ParsedCsr;
  usages: string[];
  expirationSeconds?: number;
}

export class ClusterSigner {
  readonly caCert: x509.X509Certificate;
  private readonly key: SigningKey;
  private readonly algorithm: SigningAlgorithm;
  private readonly maxDurationSeconds: number;

  private constructor(caCert: x509.X509Certificate, key: SigningKey, algorithm: SigningAlgorithm, maxDurationSeconds: number) {
    this.caCert = caCert;
    this.key = key;
    this.algorithm = algorithm;
    this.maxDurationSeconds = maxDurationSeconds;
  }

  /** From the CA's PEM files; `durationSeconds` is --cluster-signing-duration (default one year). */
  static async fromFiles(certFile: string, keyFile: string, durationSeconds = 365 * 24 * 3600): Promise<ClusterSigner> {
    const [certPem, keyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    return ClusterSigner.fromPem(certPem, keyPem, durationSeconds);
  }

  static async fromPem(certPem: string, keyPem: string, durationSeconds = 365 * 24 * 3600): Promise<ClusterSigner> {
    const caCert = new x509.X509Certificate(certPem);
    const { key, algorithm } = await importSigningKey(keyPem);
    return new ClusterSigner(caCert, key, algorithm, durationSeconds);
  }

  /** The certificate (PEM) for an already validated and approved request. */
  async sign(req: SignRequest, now: Date = new Date()): Promise<string> {
    if (!(await req.csr.request.verify())) throw new Error('the request is not signed by the key it carries');
    const notBefore = new Date(now.getTime() - BACKDATE_MS);
    const wanted = Math.max(MIN_DURATION_SECONDS, Math.min(req.expirationSeconds ?? this.maxDurationSeconds, this.maxDurationSeconds));
    const notAfter = new Date(Math.min(now.getTime() + wanted * 1000, this.caCert.notAfter.getTime()));
    let flags = 0;
    for (const u of req.usages) flags |= keyUsageFlags[u] ?? 0;
    const ekus = req.usages.map((u) => extKeyUsages[u]).filter((u): u is string => !!u);
    const sans = [
      ...req.csr.dnsNames.map((value) => ({ type: 'dns' as const, value })),
      ...req.csr.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
    ];
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.SubjectKeyIdentifierExtension.create(req.csr.request.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(this.caCert),
    ];
    if (flags) extensions.push(new x509.KeyUsagesExtension(flags, true));
    if (ekus.length) extensions.push(new x509.ExtendedKeyUsageExtension(ekus));
    if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
    // serial: 127 random bits, positive as RFC 5280 wants
    const serial = randomBytes(16);
    serial[0]! &= 0x7f;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial.toString('hex'),
      subject: req.csr.request.subjectName,
      issuer: this.caCert.subjectName,
      notBefore,
      notAfter,
      publicKey: req.csr.request.publicKey,
      signingKey: this.key as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[0] extends { signingKey: infer K } ? K : never,
      signingAlgorithm: this.algorithm,
      extensions,
    });
    return cert.toString('pem');
  }
}
