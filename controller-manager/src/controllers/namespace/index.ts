export { name, start, syncNamespace, NamespaceContentDeleter, KUBERNETES_FINALIZER } from './controller.ts';
export type { NamespaceConfig } from './controller.ts';
