// Bootstrap tokens, ServiceAccount JWTs and bearer extraction, as units (the authorizers: rbac-*.test.ts).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { expect } from 'chai';
import { bootstrapTokenSecret, checkBootstrapToken, generateBootstrapToken, parseBootstrapToken } from '../src/auth/bootstrap-token.ts';
import { createBootstrapTokenAuthenticator } from '../src/auth/bootstrap-token-authenticator.ts';
import { ServiceAccountTokenIssuer, ServiceAccountTokenVerifier } from '../src/auth/service-account-token.ts';
import { createServiceAccountTokenAuthenticator } from '../src/auth/service-account-authenticator.ts';
import { parseTtl } from '../src/auth/join-token.ts';
import { bearerToken, bearerTokenAuthenticator } from '../src/server/authn.ts';
import type { KObject } from '../src/registry/types.ts';

/** What the Secret looks like once the apiserver stored it: stringData folded into base64 data. */
function stored(secret: KObject): KObject {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.stringData as Record<string, string>)) data[k] = Buffer.from(v).toString('base64');
  const { stringData: _s, ...rest } = secret;
  return { ...rest, data } as KObject;
}

const token = { id: 'abcdef', secret: '0123456789abcdef' };
const inOneHour = new Date(Date.now() + 3600_000);

describe('bootstrap tokens', () => {
  it('parses id.secret and nothing else', () => {
    expect(parseBootstrapToken('abcdef.0123456789abcdef')).to.deep.equal(token);
    for (const bad of ['abcdef.0123456789abcde', 'ABCDEF.0123456789abcdef', 'abcdef0123456789abcdef', 'eyJ.x.y']) {
      expect(parseBootstrapToken(bad), bad).to.equal(undefined);
    }
  });

  it('authenticates as system:bootstrap:<id> in the bootstrapper groups', () => {
    const secret = stored(bootstrapTokenSecret(token, { expiration: inOneHour, extraGroups: ['system:bootstrappers:worker'] }));
    const r = checkBootstrapToken(secret, token);
    expect(r).to.deep.equal({
      user: { name: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:worker', 'system:authenticated'] },
    });
  });

  it('refuses a wrong secret, an expired token, a wrong type, a token not for authentication, bad groups', () => {
    const good = stored(bootstrapTokenSecret(token, { expiration: inOneHour, extraGroups: ['system:bootstrappers:worker'] }));
    expect(checkBootstrapToken(good, { id: 'abcdef', secret: 'ffffffffffffffff' })).to.have.property('rejected');
    expect(checkBootstrapToken(good, token, new Date(Date.now() + 7200_000)))
      .to.have.property('rejected')
      .that.matches(/expired/);
    expect(checkBootstrapToken({ ...good, type: 'Opaque' }, token)).to.have.property('rejected');
    expect(checkBootstrapToken(undefined, token)).to.have.property('rejected');
    const noAuth = structuredClone(good);
    noAuth.data['usage-bootstrap-authentication'] = Buffer.from('false').toString('base64');
    expect(checkBootstrapToken(noAuth, token)).to.have.property('rejected');
    const badGroups = stored(bootstrapTokenSecret(token, { expiration: inOneHour, extraGroups: ['system:masters'] }));
    expect(checkBootstrapToken(badGroups, token)).to.have.property('rejected');
  });

  it('generates well-formed random tokens', () => {
    const a = generateBootstrapToken(randomBytes);
    const b = generateBootstrapToken(randomBytes);
    expect(parseBootstrapToken(`${a.id}.${a.secret}`)).to.deep.equal(a);
    expect(a).to.not.deep.equal(b);
  });

  it('the authenticator reads each Secret once within the cache time', async () => {
    let reads = 0;
    const secret = stored(bootstrapTokenSecret(token, { expiration: inOneHour }));
    const auth = createBootstrapTokenAuthenticator({
      getSecret: async (name) => {
        reads++;
        return name === 'bootstrap-token-abcdef' ? secret : undefined;
      },
    });
    expect((await auth('abcdef.0123456789abcdef'))?.name).to.equal('system:bootstrap:abcdef');
    expect((await auth('abcdef.0123456789abcdef'))?.name).to.equal('system:bootstrap:abcdef');
    expect(await auth('abcdef.ffffffffffffffff')).to.equal(undefined);
    expect(reads).to.equal(1);
    expect(await auth('not-a-bootstrap-token')).to.equal(undefined);
    expect(reads).to.equal(1);
  });

  it('parses --ttl durations', () => {
    expect(parseTtl('24h')).to.equal(86400);
    expect(parseTtl('1h30m')).to.equal(5400);
    expect(parseTtl('600')).to.equal(600);
    expect(() => parseTtl('tomorrow')).to.throw(/invalid duration/);
  });
});

describe('service account tokens', () => {
  let signingKey: string;
  let publicKey: string;
  const issuerUrl = 'https://kubernetes.default.svc.cluster.local';
  // RSA, as make up's PKI (the ES256 case below: SKIFF_PKI_KEY_ALGORITHM=ECDSA-P256, which make test uses)
  before(() => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    signingKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    publicKey = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  });
  const sa = { name: 'builder', uid: 'sa-uid-1' };
  const pod = { name: 'web-1', uid: 'pod-uid-1' };

  it('signs RS256 JWTs with the Kubernetes claims and verifies them', async () => {
    const issuer = new ServiceAccountTokenIssuer({ signingKeyPem: signingKey, issuer: issuerUrl });
    const { token: jwt, expiresAt } = await issuer.issue({ namespace: 'ci', serviceAccount: sa, pod, audiences: ['api'], expirationSeconds: 3600 });
    const [header, payload] = jwt
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header.alg).to.equal('RS256');
    expect(header.kid).to.be.a('string').with.length.greaterThan(10);
    expect(payload).to.include({ iss: issuerUrl, sub: 'system:serviceaccount:ci:builder' });
    expect(payload.aud).to.deep.equal(['api']);
    expect(payload['kubernetes.io']).to.deep.equal({ namespace: 'ci', serviceaccount: sa, pod });
    expect(payload.exp - payload.iat).to.equal(3600);
    expect(expiresAt.getTime()).to.equal(payload.exp * 1000);

    const verifier = new ServiceAccountTokenVerifier({ publicKeysPem: [publicKey], issuers: [issuerUrl], audiences: ['api'] });
    const v = await verifier.verify(jwt);
    expect(v)
      .to.have.property('user')
      .that.deep.equals({
        name: 'system:serviceaccount:ci:builder',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'],
      });
  });

  it('signs ES256 JWTs with an ECDSA P-256 key, and verifies them with its public key only', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecPrivate = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const ecPublic = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const issuer = new ServiceAccountTokenIssuer({ signingKeyPem: ecPrivate, issuer: issuerUrl });
    const { token: jwt } = await issuer.issue({ namespace: 'ci', serviceAccount: sa, audiences: ['api'], expirationSeconds: 600 });
    expect(JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()).alg).to.equal('ES256');
    const verify = (keys: string[]) => new ServiceAccountTokenVerifier({ publicKeysPem: keys, issuers: [issuerUrl], audiences: ['api'] }).verify(jwt);
    expect(await verify([ecPublic])).to.have.property('user');
    expect(await verify([publicKey])).to.have.property('rejected');
  });

  it('rejects a wrong audience, a wrong issuer, an expired token and another key', async () => {
    const issuer = new ServiceAccountTokenIssuer({ signingKeyPem: signingKey, issuer: issuerUrl });
    const { token: jwt } = await issuer.issue({ namespace: 'ci', serviceAccount: sa, audiences: ['api'], expirationSeconds: 600 });
    const verify = (o: Partial<ConstructorParameters<typeof ServiceAccountTokenVerifier>[0]>, now?: Date) =>
      new ServiceAccountTokenVerifier({ publicKeysPem: [publicKey], issuers: [issuerUrl], audiences: ['api'], ...o }).verify(jwt, now);
    expect(await verify({ audiences: ['vault'] })).to.have.property('rejected');
    expect(await verify({ issuers: ['https://elsewhere'] })).to.have.property('rejected');
    expect(await verify({}, new Date(Date.now() + 3600_000))).to.have.property('rejected');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(await verify({ publicKeysPem: [other] })).to.have.property('rejected');
    expect(await verify({ publicKeysPem: [other, publicKey] })).to.have.property('user');
  });

  it('dies with the ServiceAccount or pod it is bound to', async () => {
    const issuer = new ServiceAccountTokenIssuer({ signingKeyPem: signingKey, issuer: issuerUrl });
    const verifier = new ServiceAccountTokenVerifier({ publicKeysPem: [publicKey], issuers: [issuerUrl], audiences: ['api'] });
    const { token: jwt } = await issuer.issue({ namespace: 'ci', serviceAccount: sa, pod, audiences: ['api'], expirationSeconds: 600 });
    const objects = new Map<string, KObject>([
      ['serviceaccounts/builder', { metadata: { name: 'builder', uid: 'sa-uid-1' } }],
      ['pods/web-1', { metadata: { name: 'web-1', uid: 'pod-uid-1' } }],
    ]);
    const auth = createServiceAccountTokenAuthenticator({ verifier, lookup: { get: async (r, _ns, n) => objects.get(`${r}/${n}`) } });
    expect((await auth(jwt))?.name).to.equal('system:serviceaccount:ci:builder');
    objects.set('pods/web-1', { metadata: { name: 'web-1', uid: 'pod-uid-2' } });
    expect(await auth(jwt)).to.equal(undefined);
    objects.delete('pods/web-1');
    expect(await auth(jwt)).to.equal(undefined);
  });
});

describe('bearer token extraction', () => {
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
  it('reads Authorization: Bearer and the WebSocket subprotocol form', async () => {
    expect(bearerToken(req({ authorization: 'Bearer abc.def' }))).to.equal('abc.def');
    expect(bearerToken(req({ authorization: 'Basic Zm9vOmJhcg==' }))).to.equal(undefined);
    const b64 = Buffer.from('abcdef.0123456789abcdef').toString('base64url');
    expect(bearerToken(req({ 'sec-websocket-protocol': `v5.channel.k8s.io, base64url.bearer.authorization.k8s.io.${b64}` }))).to.equal(
      'abcdef.0123456789abcdef',
    );
    const auth = bearerTokenAuthenticator([(t) => (t === 'good' ? { name: 'u', groups: [] } : undefined)]);
    expect(await auth(req({ authorization: 'Bearer good' }))).to.deep.equal({ name: 'u', groups: [] });
    expect(await auth(req({ authorization: 'Bearer bad' }))).to.equal(undefined);
  });
});
