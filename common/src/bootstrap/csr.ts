// PKCS#10 certificate requests: built by a node that wants a certificate, read by the
// apiserver (validation) and the controller-manager (approver and signer).
import { webcrypto } from 'node:crypto';
import { ecdsaP256, x509 } from './x509.ts';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';

const SUBJECT_ALT_NAME_OID = '2.5.29.17';

export interface ParsedCsr {
  /** every CN and O of the subject, in order */
  commonNames: string[];
  organizations: string[];
  /** the subject has attributes other than CN and O (C, L, OU...) */
  otherSubjectAttributes: string[];
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  request: x509.Pkcs10CertificateRequest;
}

/** Reads a PEM certificate request; throws on anything else. */
export function parseCsr(pem: string): ParsedCsr {
  const request = new x509.Pkcs10CertificateRequest(pem);
  const json = request.subjectName.toJSON();
  const commonNames: string[] = [];
  const organizations: string[] = [];
  const otherSubjectAttributes: string[] = [];
  for (const rdn of json) {
    for (const [type, values] of Object.entries(rdn)) {
      if (type === 'CN') commonNames.push(...values);
      else if (type === 'O') organizations.push(...values);
      else otherSubjectAttributes.push(type);
    }
  }
  const raw = request.getExtension(SUBJECT_ALT_NAME_OID);
  const names = raw ? new x509.SubjectAlternativeNameExtension(raw.rawData).names.toJSON() : [];
  const of = (t: string) => names.filter((n) => n.type === t).map((n) => n.value);
  return {
    commonNames,
    organizations,
    otherSubjectAttributes,
    request,
    dnsNames: of('dns'),
    ipAddresses: of('ip'),
    emailAddresses: of('email'),
    uris: of('url'),
  };
}

export interface NodeCsr {
  /** PEM private key (PKCS#8) that goes with the certificate */
  keyPem: string;
  /** PEM certificate request */
  csrPem: string;
}

/**
 * A fresh ECDSA P-256 key and a request for `system:node:NAME` in `system:nodes`, as the
 * kubelet makes them; serving requests carry the node's DNS names and IPs as SANs.
 */
export async function createNodeCsr(nodeName: string, sans: { dnsNames?: string[]; ipAddresses?: string[] } = {}): Promise<NodeCsr> {
  const keys = (await webcrypto.subtle.generateKey(ecdsaP256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const names = [
    ...(sans.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(sans.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ O: [NODES_GROUP] }, { CN: [`${NODE_USER_PREFIX}${nodeName}`] }],
    keys: keys as unknown as CryptoKeyPairLike,
    signingAlgorithm: ecdsaP256,
    extensions: names.length ? [new x509.SubjectAlternativeNameExtension(names)] : [],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  return { keyPem, csrPem: csr.toString('pem') };
}

type CryptoKeyPairLike = Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'];
