// Preact hooks over api.ts: a watched collection, an access check, the hash route.
import { useEffect, useState } from 'preact/hooks';
import { type AccessCheck, can, type KObject, type WatchOptions, watchCollection } from './api.ts';
import { type ApiResource, discoverResources } from './discovery.ts';

export interface Watched {
  items: KObject[];
  /** the last error of the watch (a 403 stays: the list is then not shown) */
  error?: unknown;
  loaded: boolean;
}

/** The live contents of a collection; `path` undefined: nothing watched. */
export function useWatch(path: string | undefined, query: Record<string, string> = {}, options: WatchOptions = {}): Watched {
  const [state, setState] = useState<Watched>({ items: [], loaded: false });
  const q = JSON.stringify(query);
  const metadataOnly = options.metadataOnly === true;
  useEffect(() => {
    setState({ items: [], loaded: false });
    if (!path) return;
    return watchCollection(
      path,
      JSON.parse(q),
      {
        onChange: (items) => setState({ items: items.sort(byName), loaded: true }),
        onError: (error) => setState((s) => ({ ...s, error, loaded: true })),
      },
      { metadataOnly },
    );
  }, [path, q, metadataOnly]);
  return state;
}

const byName = (a: KObject, b: KObject) =>
  (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name);

/** undefined while the SelfSubjectAccessReview is asked, then whether it is allowed. */
export function useCan(check: AccessCheck): boolean | undefined {
  const [allowed, setAllowed] = useState<boolean | undefined>(undefined);
  const k = JSON.stringify(check);
  useEffect(() => {
    let live = true;
    setAllowed(undefined);
    void can(JSON.parse(k)).then((a) => live && setAllowed(a));
    return () => {
      live = false;
    };
  }, [k]);
  return allowed;
}

/** The part of location.hash after '#/', split on '/'. */
export function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export interface Discovered {
  resources: ApiResource[];
  error?: unknown;
}

/**
 * The cluster's resources from discovery, asked again whenever a CustomResourceDefinition
 * changes (watched, metadata only), so a new CRD's kind shows up without reload.
 */
export function useDiscovery(): Discovered {
  const [state, setState] = useState<Discovered>({ resources: [] });
  const crds = useWatch('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {}, { metadataOnly: true });
  const version = crds.items.map((c) => `${c.metadata.name}@${c.metadata.resourceVersion}`).join(',');
  useEffect(() => {
    let live = true;
    discoverResources().then(
      (resources) => live && setState({ resources }),
      (error: unknown) => live && setState((s) => ({ ...s, error })),
    );
    return () => {
      live = false;
    };
  }, [version]);
  return state;
}
