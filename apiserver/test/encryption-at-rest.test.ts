// Encryption at rest end to end: a real apiserver on a TLS etcd with --encryption-provider-config,
// Secrets written with the real kubectl, and etcd read directly (no apiserver in between) to see
// what is really stored. Also the key rotation procedure of apiserver/README.md, step by step.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { FlagError } from '@skiff/common';
import { loadConfig } from '../src/config.ts';
import { type ApiserverHandle, type EtcdHandle, componentEntryArgs, repoRoot, startApiserver, startEtcd, until, watchLines } from '@skiff/common/testing/index';

const KUBECTL = '1.33';
const MARKER = 'hunter2-not-in-etcd';

type Provider = { aescbc: { keys: { name: string; secret: string }[] } } | { aesgcm: { keys: { name: string; secret: string }[] } } | { identity: object };
const key = (name: string, secret: Buffer) => ({ name, secret: secret.toString('base64') });

function writeConfig(file: string, providers: Provider[]): void {
  writeFileSync(
    file,
    JSON.stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: [{ resources: ['secrets'], providers }] }),
  );
}

describe('encryption at rest: Secrets in etcd (real apiserver, TLS etcd, kubectl)', function () {
  this.timeout(180_000);
  let etcd: EtcdHandle;
  let server: ApiserverHandle;
  let raw: Etcd3;
  let dir: string;
  let configFile: string;
  const KEY1 = randomBytes(32);
  const KEY2 = randomBytes(32);
  const KEY3 = randomBytes(32);

  const stored = async (resource: string, ns: string, name: string): Promise<Buffer> => {
    const value = await raw.get(`${server.prefix}/registry/${resource}/${ns}/${name}`).buffer();
    if (!value) throw new Error(`nothing in etcd for ${resource}/${ns}/${name}`);
    return value;
  };
  const kubectl = async (args: string[], stdin?: string) => {
    const r = await server.kubectl(KUBECTL, args, stdin === undefined ? {} : { stdin });
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  const secretValue = async (ns: string, name: string) =>
    Buffer.from(await kubectl(['get', 'secret', name, '-n', ns, '-o', 'jsonpath={.data.password}']), 'base64').toString();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-encryption-'));
    configFile = join(dir, 'encryption.json');
    writeConfig(configFile, [{ aescbc: { keys: [key('key1', KEY1)] } }, { identity: {} }]);
    etcd = await startEtcd({ tls: true });
    expect(etcd.url).to.match(/^https:/);
    server = await startApiserver({ etcdUrl: etcd.url, etcdTls: etcd.tls, extraArgs: [`--encryption-provider-config=${configFile}`] });
    const pki = etcd.pki!;
    raw = new Etcd3({
      hosts: etcd.url,
      credentials: {
        rootCertificate: readFileSync(pki.caCert),
        certChain: readFileSync(pki.healthcheckClient.cert),
        privateKey: readFileSync(pki.healthcheckClient.key),
      },
    });
  });
  after(async () => {
    raw?.close();
    await server?.stop();
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores a Secret as k8s:enc:aescbc:v1:key1: and no plain text; kubectl reads it back', async () => {
    await kubectl(['create', 'secret', 'generic', 's1', `--from-literal=password=${MARKER}`]);
    const bytes = await stored('secrets', 'default', 's1');
    expect(bytes.subarray(0, 23).toString()).to.equal('k8s:enc:aescbc:v1:key1:');
    expect(bytes.includes(MARKER)).to.equal(false);
    expect(bytes.includes(Buffer.from(MARKER).toString('base64'))).to.equal(false);
    expect(bytes.includes('"s1"')).to.equal(false);
    expect(await secretValue('default', 's1')).to.equal(MARKER);
    // resources the config does not name stay plain JSON
    await kubectl(['create', 'configmap', 'c1', '--from-literal=k=visible']);
    expect((await stored('configmaps', 'default', 'c1')).toString()).to.match(/^\{.*visible/);
  });

  it('decrypts lists, watches and updates', async () => {
    const rv = JSON.parse(await kubectl(['get', 'secrets', '-o', 'json'])).metadata.resourceVersion as string;
    // read until both events came: a watch with a fixed 3 s timeout ended before the second
    // under load, when the two kubectl calls took longer than that
    const events: { type: string; object: { metadata: { name: string }; data?: { password?: string } } }[] = [];
    const stop = watchLines(server, `/api/v1/namespaces/default/secrets?watch=1&resourceVersion=${rv}`, (line) => events.push(JSON.parse(line)));
    const s2Events = () => events.filter((e) => e.object.metadata.name === 's2');
    try {
      await kubectl(['create', 'secret', 'generic', 's2', `--from-literal=password=${MARKER}-2`]);
      await kubectl(['patch', 'secret', 's2', '-p', JSON.stringify({ stringData: { password: `${MARKER}-3` } })]);
      await until('the watch to deliver the create and the patch', () => s2Events().length >= 2, 30_000);
    } finally {
      stop();
    }
    const s2 = s2Events().map((e) => [e.type, Buffer.from(e.object.data?.password ?? '', 'base64').toString()]);
    expect(s2).to.deep.equal([
      ['ADDED', `${MARKER}-2`],
      ['MODIFIED', `${MARKER}-3`],
    ]);
    const list = JSON.parse(await kubectl(['get', 'secrets', '-o', 'json'])) as { items: { metadata: { name: string } }[] };
    expect(list.items.map((i) => i.metadata.name)).to.include.members(['s1', 's2']);
    expect((await stored('secrets', 'default', 's2')).includes(`${MARKER}-3`)).to.equal(false);
  });

  it('rotates the key as apiserver/README.md says, and every Secret ends up under the new key', async () => {
    // from one aescbc key, as `make up` has it, with Secrets in two namespaces
    await kubectl(['create', 'namespace', 'team']);
    await kubectl(['create', 'secret', 'generic', 't1', '-n', 'team', `--from-literal=password=${MARKER}-team`]);
    expect((await stored('secrets', 'team', 't1')).subarray(0, 23).toString()).to.equal('k8s:enc:aescbc:v1:key1:');
    // 1. the new key second: every apiserver can read it before any writes with it
    writeConfig(configFile, [{ aescbc: { keys: [key('key1', KEY1), key('key2', KEY3)] } }, { identity: {} }]);
    await server.restart();
    await kubectl(['create', 'secret', 'generic', 't2', '-n', 'team', `--from-literal=password=${MARKER}-t2`]);
    expect((await stored('secrets', 'team', 't2')).subarray(0, 23).toString()).to.equal('k8s:enc:aescbc:v1:key1:');
    // 2. the new key first: new writes use it
    writeConfig(configFile, [{ aescbc: { keys: [key('key2', KEY3), key('key1', KEY1)] } }, { identity: {} }]);
    await server.restart();
    // 3. rewrite every Secret, unchanged: stale values are written again with the first key
    const all = await kubectl(['get', 'secrets', '-A', '-o', 'json']);
    await kubectl(['replace', '-f', '-'], all);
    // 4. the old keys go
    writeConfig(configFile, [{ aescbc: { keys: [key('key2', KEY3)] } }, { identity: {} }]);
    await server.restart();
    const keys = await raw.getAll().prefix(`${server.prefix}/registry/secrets/`).buffers();
    expect(Object.keys(keys).length).to.be.at.least(4);
    for (const [k, v] of Object.entries(keys)) expect(v.subarray(0, 23).toString(), k).to.equal('k8s:enc:aescbc:v1:key2:');
    expect(await secretValue('default', 's1')).to.equal(MARKER);
    expect(await secretValue('team', 't1')).to.equal(`${MARKER}-team`);
    expect(await secretValue('team', 't2')).to.equal(`${MARKER}-t2`);
  });
  it('aesgcm first: new Secrets k8s:enc:aesgcm:v1:, the aescbc ones still read', async () => {
    writeConfig(configFile, [{ aesgcm: { keys: [key('gcm1', KEY2)] } }, { aescbc: { keys: [key('key2', KEY3)] } }, { identity: {} }]);
    await server.restart();
    await kubectl(['create', 'secret', 'generic', 'g1', `--from-literal=password=${MARKER}-gcm`]);
    const bytes = await stored('secrets', 'default', 'g1');
    expect(bytes.subarray(0, 23).toString()).to.equal('k8s:enc:aesgcm:v1:gcm1:');
    expect(bytes.includes(MARKER)).to.equal(false);
    expect(await secretValue('default', 'g1')).to.equal(`${MARKER}-gcm`);
    expect(await secretValue('default', 's1')).to.equal(MARKER);
    // aesgcm binds the value to its key: copied under another name, it does not open
    await raw.put(`${server.prefix}/registry/secrets/default/copied`).value(bytes);
    const r = await server.kubectl(KUBECTL, ['get', 'secret', 'copied']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('unable to transform key');
    await raw.delete().key(`${server.prefix}/registry/secrets/default/copied`);
  });
});

describe('encryption at rest and etcd TLS: flags checked at start', function () {
  // node loads the whole apiserver before it reads its flags: slow on a busy machine
  this.timeout(120_000);
  const start = (args: string[]) =>
    new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [...componentEntryArgs('apiserver'), ...args], { cwd: repoRoot(), timeout: 100_000 }, (err, _stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-encryption-flags-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a plain http:// etcd without --etcd-allow-insecure, and half a client certificate', () => {
    const refusal = (args: string[]) => {
      try {
        loadConfig(args);
      } catch (e) {
        expect(e).to.be.instanceOf(FlagError);
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(refusal(['--etcd-servers=http://127.0.0.1:1']))
      .to.include('http://127.0.0.1:1 is plain HTTP')
      .and.include('--etcd-allow-insecure');
    expect(refusal(['--etcd-servers=http://127.0.0.1:1', '--etcd-allow-insecure'])).to.equal('accepted');
    expect(refusal(['--etcd-servers=https://127.0.0.1:1', '--etcd-certfile=/x'])).to.include('--etcd-certfile and --etcd-keyfile go together');
    expect(refusal(['--etcd-servers=https://127.0.0.1:1', `--etcd-cafile=${join(dir, 'none.crt')}`])).to.include('--etcd-cafile: cannot read');
  });

  it('exits at start with one line for a bad EncryptionConfiguration', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys:\n            - name: key1\n              secret: c2hvcnQ=\n`,
    );
    const r = await start(['--etcd-servers=http://127.0.0.1:1', '--etcd-allow-insecure', `--encryption-provider-config=${file}`]);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.include('--encryption-provider-config').and.include('secret is not of the expected length, got 5');
    expect(() => loadConfig(['--etcd-servers=http://127.0.0.1:1', '--etcd-allow-insecure', `--encryption-provider-config=${join(dir, 'none.yaml')}`])).to.throw(
      FlagError,
      /error reading encryption provider configuration file .*ENOENT/,
    );
  });
});
