// Column definitions (meta.k8s.io/v1 TableColumnDefinition) and the printer contract.
// Descriptions repeat the API field documentation, as kube-apiserver's printers do.
import type { ColumnDefinition, KObject } from '../registry/types.ts';

/** A row condition (meta.k8s.io/v1 TableRowCondition); kubectl marks completed pods with it. */
export interface RowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** One resource's `kubectl get` layout: all columns, wide ones included (priority > 0). */
export interface Printer {
  columns: ColumnDefinition[];
  /** Cells in column order; `now` is the reference for the ages. */
  cells(obj: KObject, now: Date): unknown[];
  conditions?(obj: KObject): RowCondition[] | undefined;
}

export const docs = {
  name: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  creationTimestamp:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  containers: 'Names of each container in the template.',
  images: 'Images referenced by each container in the template.',
};

/** A column; `wide` ones are shown only by `-o wide` (priority 1). */
export function col(name: string, type: string, description: string, opts: { wide?: boolean; format?: string } = {}): ColumnDefinition {
  return { name, type, format: opts.format ?? '', description, priority: opts.wide ? 1 : 0 };
}

export const nameColumn = (): ColumnDefinition => col('Name', 'string', docs.name, { format: 'name' });
export const ageColumn = (): ColumnDefinition => col('Age', 'string', docs.creationTimestamp);
export const containersColumn = (): ColumnDefinition => col('Containers', 'string', docs.containers, { wide: true });
export const imagesColumn = (): ColumnDefinition => col('Images', 'string', docs.images, { wide: true });
