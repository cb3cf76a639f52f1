// Bindings found by whom they name, so that authorizing a request looks only at the bindings
// of its user and groups instead of walking every binding in scope (the cluster's bootstrap
// ClusterRoleBindings alone are some thirty). A User or ServiceAccount subject is filed under
// the user name it matches, a Group under the group; what subjectMatches decides stays the test.
import type { KObject } from '../../registry/types.ts';
import type { UserInfo } from '../../registry/store.ts';

export const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';

interface IndexedSubject {
  kind?: string;
  name?: string;
  namespace?: string;
}

type Filed = ['user' | 'group', string];

/** Where a subject is filed: under a user name or a group; undefined for kinds that match no one. */
function filedUnder(s: IndexedSubject, bindingNamespace: string | undefined): Filed | undefined {
  if (typeof s?.name !== 'string') return undefined;
  switch (s.kind) {
    case 'User':
      return ['user', s.name];
    case 'Group':
      return ['group', s.name];
    case 'ServiceAccount':
      return ['user', `${SERVICE_ACCOUNT_USER_PREFIX}${s.namespace || bindingNamespace || ''}:${s.name}`];
    default:
      return undefined;
  }
}

export class BindingIndex {
  /** user name or group → binding name → binding (plain names as keys: no string is built per request) */
  private readonly byUser = new Map<string, Map<string, KObject>>();
  private readonly byGroup = new Map<string, Map<string, KObject>>();
  /** binding name → where it is filed, to take it out again */
  private readonly filed = new Map<string, Filed[]>();

  private table(kind: Filed[0]): Map<string, Map<string, KObject>> {
    return kind === 'user' ? this.byUser : this.byGroup;
  }

  /** Files the binding (replacing what was filed under its name). */
  set(binding: KObject): void {
    const name = binding.metadata.name ?? '';
    this.delete(name);
    const places: Filed[] = [];
    for (const s of (binding.subjects ?? []) as IndexedSubject[]) {
      const place = filedUnder(s, binding.metadata.namespace);
      if (!place) continue;
      const table = this.table(place[0]);
      let m = table.get(place[1]);
      if (!m) table.set(place[1], (m = new Map()));
      m.set(name, binding);
      places.push(place);
    }
    this.filed.set(name, places);
  }

  delete(name: string): void {
    for (const [kind, key] of this.filed.get(name) ?? []) {
      const table = this.table(kind);
      const m = table.get(key);
      m?.delete(name);
      if (m && !m.size) table.delete(key);
    }
    this.filed.delete(name);
  }

  /** The bindings that name the user or one of its groups, each once. */
  matching(user: UserInfo): KObject[] {
    const out: KObject[] = [];
    let seen: Set<KObject> | undefined;
    let sources = 0;
    const add = (m: Map<string, KObject> | undefined) => {
      if (!m) return;
      // a binding can name both the user and one of its groups: only then is a set needed
      if (++sources === 2) seen = new Set(out);
      for (const b of m.values()) {
        if (seen) {
          if (seen.has(b)) continue;
          seen.add(b);
        }
        out.push(b);
      }
    };
    add(this.byUser.get(user.name));
    for (const g of user.groups) add(this.byGroup.get(g));
    return out;
  }
}
