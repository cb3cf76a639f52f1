// Preact hooks over api.ts: a watched collection, an access check, the hash route.
import { useEffect, useState } from 'preact/hooks';
import { type AccessCheck, can, type KObject, watchCollection } from './api.ts';

export interface Watched {
  items: KObject[];
  /** the last error of the watch (a 403 stays: the list is then not shown) */
  error?: unknown;
  loaded: boolean;
}

/** The live contents of a collection; `path` undefined: nothing watched. */
export function useWatch(path: string | undefined, query: Record<string, string> = {}): Watched {
  const [state, setState] = useState<Watched>({ items: [], loaded: false });
  const q = JSON.stringify(query);
  useEffect(() => {
    setState({ items: [], loaded: false });
    if (!path) return;
    return watchCollection(path, JSON.parse(q), {
      onChange: (items) => setState({ items: items.sort(byName), loaded: true }),
      onError: (error) => setState((s) => ({ ...s, error, loaded: true })),
    });
  }, [path, q]);
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
