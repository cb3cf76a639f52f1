// The fieldManager of a request: what the client names, or else the program part of its
// user agent, as kube-apiserver's managerOrUserAgent does.
import { errors, field } from '../errors.ts';

/** `kubectl/v1.30.0 (linux/amd64) kubernetes/abc` → `kubectl` */
export function defaultFieldManager(fieldManager: string | undefined, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  const ua = userAgent ?? '';
  const cut = ua.indexOf('/');
  const prefix = cut >= 0 ? ua.slice(0, cut) : ua;
  return [...prefix]
    .filter((c) => c >= ' ' && c <= '~')
    .join('')
    .slice(0, 128);
}

/** A fieldManager the client sends must be at most 128 printable characters (ValidateFieldManager). */
export function validateFieldManager(fieldManager: string, optionsKind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'): void {
  const errs = [];
  if (fieldManager.length > 128) errs.push(field.tooLong('fieldManager', fieldManager, 128));
  else if ([...fieldManager].some((c) => c < ' ' || c > '~')) errs.push(field.invalid('fieldManager', fieldManager, 'must only contain printable characters'));
  if (errs.length) throw errors.invalid('meta.k8s.io', optionsKind, '', errs);
}
