// Real kubectl 1.32/1.33 protobuf write bodies, decoded, must equal the JSON the same command
// prints with --dry-run=client -o json. Captures are kept as fixtures so the decoding check also
// runs where the kubectl binaries are absent; SKIFF_UPDATE_PROTOBUF_FIXTURES=1 rewrites them.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeProtobufObject, encodeProtobufObject, isProtobufBody } from '../src/protobuf/index.ts';
import { KUBECTL_DIR, startCaptureServer, type CaptureServer } from './protobuf-capture.ts';

// the fixtures stay in test/ when the tests run compiled from dist/test/
const fixtureDir = path.join(path.dirname(fileURLToPath(import.meta.url)).replace(/\/dist\/test$/, '/test'), 'fixtures', 'protobuf');
const updateFixtures = process.env.SKIFF_UPDATE_PROTOBUF_FIXTURES === '1';
const versions = ['1.32', '1.33'];

const cases: Array<{ name: string; args: string[] }> = [
  { name: 'configmap', args: ['create', 'configmap', 'settings', '--from-literal=mode=fast', '--from-literal=level=3', '-n', 'team-a'] },
  { name: 'secret-generic', args: ['create', 'secret', 'generic', 'creds', '--from-literal=user=admin', '--from-literal=pass=s3cr3t!', '--type=Opaque'] },
  {
    name: 'secret-docker-registry',
    args: ['create', 'secret', 'docker-registry', 'pull', '--docker-server=registry.local:5000', '--docker-username=bot', '--docker-password=pw'],
  },
  { name: 'namespace', args: ['create', 'namespace', 'team-b'] },
  { name: 'service-clusterip', args: ['create', 'service', 'clusterip', 'web', '--tcp=80:8080', '--tcp=443:8443'] },
  { name: 'service-headless', args: ['create', 'service', 'clusterip', 'db', '--clusterip=None'] },
  { name: 'service-nodeport', args: ['create', 'service', 'nodeport', 'edge', '--tcp=80:http', '--node-port=30080'] },
  { name: 'deployment', args: ['create', 'deployment', 'web', '--image=nginx:1.27', '--image=busybox', '--replicas=3', '--port=80'] },
  { name: 'deployment-zero-replicas', args: ['create', 'deployment', 'idle', '--image=nginx', '--replicas=0'] },
  { name: 'autoscale', args: ['autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu-percent=70'] },
];

function fixturePath(version: string, name: string, ext: 'pb' | 'json'): string {
  return path.join(fixtureDir, `kubectl-${version}-${name}.${ext}`);
}

describe('protobuf bodies captured from kubectl', function () {
  describe('saved captures', () => {
    for (const version of versions) {
      for (const { name } of cases) {
        it(`kubectl ${version} ${name} decodes to the client's JSON`, function () {
          if (!fs.existsSync(fixturePath(version, name, 'pb'))) this.skip();
          const body = fs.readFileSync(fixturePath(version, name, 'pb'));
          const expected = JSON.parse(fs.readFileSync(fixturePath(version, name, 'json'), 'utf8'));
          expect(isProtobufBody(body)).to.equal(true);
          const decoded = decodeProtobufObject(body);
          expect(decoded.object).to.deep.equal(expected);
          expect(decoded.apiVersion).to.equal(expected.apiVersion);
          expect(decoded.kind).to.equal(expected.kind);
          // Our encoder must read back to the same JSON (it need not match Go byte for byte).
          expect(decodeProtobufObject(encodeProtobufObject(expected)).object).to.deep.equal(expected);
        });
      }
    }
  });

  for (const version of versions) {
    describe(`live kubectl ${version}`, function () {
      this.timeout(60_000);
      let server: CaptureServer;
      before(async function () {
        if (!fs.existsSync(path.join(KUBECTL_DIR, `kubectl.${version}`))) this.skip();
        server = await startCaptureServer();
      });
      after(async () => {
        await server?.close();
      });

      for (const { name, args } of cases) {
        it(`${name}: the protobuf body decodes to what --dry-run=client prints`, async () => {
          const before = server.writes.length;
          await server.kubectl(version, [...args, '--dry-run=server', '-o', 'name']);
          const writes = server.writes.slice(before);
          expect(writes).to.have.length(1);
          const [write] = writes;
          expect(write!.contentType).to.equal('application/vnd.kubernetes.protobuf');
          expect(write!.method).to.equal('POST');
          expect(write!.query.get('dryRun')).to.equal('All');
          const clientJson = JSON.parse(await server.kubectl(version, [...args, '--dry-run=client', '-o', 'json']));
          expect(decodeProtobufObject(write!.body).object).to.deep.equal(clientJson);
          if (updateFixtures || !fs.existsSync(fixturePath(version, name, 'pb'))) {
            fs.mkdirSync(fixtureDir, { recursive: true });
            fs.writeFileSync(fixturePath(version, name, 'pb'), write!.body);
            fs.writeFileSync(fixturePath(version, name, 'json'), JSON.stringify(clientJson, null, 2) + '\n');
          }
        });
      }
    });
  }
});
