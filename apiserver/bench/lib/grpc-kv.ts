// etcd's KV service called through @grpc/grpc-js directly, without the etcd3 client around it:
// the performance issue asks, if etcd3 is the ceiling of the write path, for grpc-js's own
// figure beside it. It loads the grpc-js, proto-loader and rpc.proto that etcd3 itself runs on
// (resolved from etcd3's folder), so the two differ only by etcd3's layers: its promise and
// builder wrappers, the retry and circuit-breaker policies, the host shuffling, the
// conversion of its options.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface GrpcModule {
  credentials: { createInsecure(): unknown };
  loadPackageDefinition(def: unknown): Record<string, Record<string, new (address: string, creds: unknown) => KvClient>>;
}
interface KvClient {
  Put(request: { key: Buffer; value: Buffer }, callback: (err: Error | null) => void): void;
  close(): void;
}

export interface RawKv {
  put(key: string, value: string): Promise<void>;
  close(): void;
}

/** A KV client to a plain-HTTP etcd at `url` (http://HOST:PORT). */
export function grpcKv(url: string): RawKv {
  const fromEtcd3 = createRequire(createRequire(import.meta.url).resolve('etcd3'));
  const grpc = fromEtcd3('@grpc/grpc-js') as GrpcModule;
  const loader = fromEtcd3('@grpc/proto-loader') as { loadSync(file: string, options: object): unknown };
  const proto = join(dirname(fromEtcd3.resolve('etcd3/package.json')), 'proto', 'rpc.proto');
  // etcd3's own loading options
  const definition = loader.loadSync(proto, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const KV = grpc.loadPackageDefinition(definition).etcdserverpb!.KV!;
  const client = new KV(url.replace(/^http:\/\//, ''), grpc.credentials.createInsecure());
  return {
    put: (key, value) =>
      new Promise((resolve, reject) => client.Put({ key: Buffer.from(key), value: Buffer.from(value) }, (err) => (err ? reject(err) : resolve()))),
    close: () => client.close(),
  };
}
