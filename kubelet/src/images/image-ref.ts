// Image names as users write them: [registry/]repository[:tag]. A first segment with a dot,
// a colon or "localhost" is a registry host, as in Docker's reference grammar.
export interface ImageRef {
  registry?: string;
  repository: string;
  tag: string;
}

export const DEFAULT_REGISTRY = '127.0.0.1:5000';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function parseImageRef(name: string): ImageRef {
  if (!name || name.includes('@')) throw new Error(`invalid image name "${name}" (expected [registry/]repository[:tag])`);
  let rest = name;
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag = 'latest';
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!TAG.test(tag)) throw new Error(`invalid tag "${tag}" in image name "${name}"`);
  if (!rest?.split('/').every((c) => COMPONENT.test(c))) {
    throw new Error(`invalid repository "${rest}" in image name "${name}" (lowercase letters, digits, . _ - and /)`);
  }
  return { registry, repository: rest, tag };
}

export function formatImageRef(ref: ImageRef, defaultRegistry: string = DEFAULT_REGISTRY): string {
  return `${ref.registry ?? defaultRegistry}/${ref.repository}:${ref.tag}`;
}
