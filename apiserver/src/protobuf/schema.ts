// Loads our .proto definitions once, at import, and answers "which message is this kind?".
// proto/*.proto hold the field facts of Kubernetes' generated.proto (kubernetes/api 10b39a39,
// apimachinery eed236ce) plus our (skiff.*) options, which protobufjs keeps without an extension
// declaration (protoc would want one).
// The files live next to the sources (tsc does not copy them), so a built copy in dist/ looks
// back into src/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const protoDir = [path.join(here, 'proto'), path.join(here, '../../../src/protobuf/proto')].find((dir) => fs.existsSync(dir));
if (!protoDir) throw new Error(`protobuf: .proto directory not found next to ${here}`);

function loadRoot(dir: string): protobuf.Root {
  const root = new protobuf.Root();
  // Imports name files by base name; every file sits in the same folder.
  root.resolvePath = (_origin, target) => path.join(dir, path.basename(target));
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.proto'))
    .sort();
  root.loadSync(
    files.map((f) => path.join(dir, f)),
    { keepCase: true },
  );
  root.resolveAll();
  return root;
}

export const protoRoot = loadRoot(protoDir);

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** API group (as in apiVersion) -> protobuf package prefix; the version is appended. */
const groupPackages: Record<string, string> = {
  '': 'k8s.io.api.core',
  apps: 'k8s.io.api.apps',
  autoscaling: 'k8s.io.api.autoscaling',
  policy: 'k8s.io.api.policy',
  batch: 'k8s.io.api.batch',
  'discovery.k8s.io': 'k8s.io.api.discovery',
  'coordination.k8s.io': 'k8s.io.api.coordination',
  'events.k8s.io': 'k8s.io.api.events',
  'scheduling.k8s.io': 'k8s.io.api.scheduling',
  'certificates.k8s.io': 'k8s.io.api.certificates',
  'rbac.authorization.k8s.io': 'k8s.io.api.rbac',
  'authorization.k8s.io': 'k8s.io.api.authorization',
  'authentication.k8s.io': 'k8s.io.api.authentication',
  'storage.k8s.io': 'k8s.io.api.storage',
  'networking.k8s.io': 'k8s.io.api.networking',
  'meta.k8s.io': 'k8s.io.apimachinery.pkg.apis.meta',
};

/** Meta kinds that every group version accepts (client-go sends DeleteOptions as e.g. apps/v1). */
const metaKinds = new Set(['DeleteOptions', 'Status', 'ListOptions', 'GetOptions', 'CreateOptions', 'UpdateOptions', 'PatchOptions']);

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function lookupMessage(fullName: string): protobuf.Type | undefined {
  const found = protoRoot.lookup(fullName);
  return found instanceof protobuf.Type ? found : undefined;
}

/** Top-level kinds carry object or list metadata; nested types (PodSpec...) are not kinds. */
function isKind(type: protobuf.Type): boolean {
  return type.fields.metadata !== undefined || metaKinds.has(type.name);
}

/** The message type of a top-level object, or undefined when we do not serve it. */
export function messageTypeFor(apiVersion: string, kind: string): protobuf.Type | undefined {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(kind)) return undefined;
  const { group, version } = splitApiVersion(apiVersion);
  const pkg = groupPackages[group];
  if (pkg && /^v[0-9a-z]+$/.test(version)) {
    const type = lookupMessage(`${pkg}.${version}.${kind}`);
    if (type && isKind(type)) return type;
  }
  if (metaKinds.has(kind) && version) return lookupMessage(`${META}.${kind}`);
  return undefined;
}

export const unknownType = protoRoot.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
export const watchEventType = protoRoot.lookupType(`${META}.WatchEvent`);
