// Field paths as apimachinery's field.Path prints them: `spec.replicas`, `spec.items[0]`,
// `spec.labels[key]` (Key), with the root written as the empty string.

export function childPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}.${name}`;
}

export function indexPath(parent: string, i: number): string {
  return `${parent}[${i}]`;
}

export function keyPath(parent: string, key: string): string {
  return `${parent}[${key}]`;
}

/** apimachinery's field.Path for an empty path prints `<nil>`. */
export function shownPath(p: string): string {
  return p === '' ? '<nil>' : p;
}
