// Server-side printing for `kubectl get`: Tables and PartialObjectMetadata.
import type { ColumnDefinition, KObject } from '../registry/types.ts';
import { printerFor } from './registry.ts';

export { buildTable, parseIncludeObject, toPartialObjectMetadata, toPartialObjectMetadataList } from './table.ts';
export type { BuildTableArgs, IncludeObject, ListMeta, MetaApiVersion } from './table.ts';
export { hasPrinter } from './registry.ts';
export { humanDuration, timestampSince } from './duration.ts';
export type { Printer, RowCondition } from './columns.ts';

/** The columns and cell function kube-apiserver would use for this kind (`now` defaults to the current time). */
export function tableFor(group: string, kind: string): { columns: ColumnDefinition[]; cells(obj: KObject, now?: Date): unknown[] } {
  const p = printerFor(group, kind);
  return { columns: p.columns, cells: (obj, now) => p.cells(obj, now ?? new Date()) };
}
