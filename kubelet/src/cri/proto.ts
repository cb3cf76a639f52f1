// Loads our CRI api.proto into gRPC service constructors. The .proto sits beside the source;
// a build (dist/) does not copy it, so from dist we fall back to the source tree.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CriServiceConstructors {
  RuntimeService: grpc.ServiceClientConstructor;
  ImageService: grpc.ServiceClientConstructor;
}

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false, // camelCase fields, as in types.ts
  longs: String, // int64 nanosecond timestamps do not fit a double
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

let cached: CriServiceConstructors | undefined;

export function criProtoPath(): string {
  const candidates = [
    new URL('./api.proto', import.meta.url),
    new URL('../../../src/cri/api.proto', import.meta.url), // running from kubelet/dist/src/cri
    new URL('../../src/cri/api.proto', import.meta.url), // running from kubelet/dist/bundle (scripts/bundle-components.mjs)
  ].map((u) => fileURLToPath(u));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`CRI api.proto not found (looked at ${candidates.join(', ')})`);
  return found;
}

export function loadCriServices(): CriServiceConstructors {
  if (cached) return cached;
  const definition = protoLoader.loadSync(criProtoPath(), LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { runtime: { v1: CriServiceConstructors } };
  cached = { RuntimeService: pkg.runtime.v1.RuntimeService, ImageService: pkg.runtime.v1.ImageService };
  return cached;
}
