// meta.k8s.io Table and PartialObjectMetadata(List) responses, the shapes kubectl asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` and `...;as=PartialObjectMetadataList;...`.
import { errors, field } from '../errors.ts';
import type { ColumnDefinition, KObject, TableConvertor } from '../registry/types.ts';
import type { Printer } from './columns.ts';
import { printerFor } from './registry.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';
export type MetaApiVersion = 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

const includeObjectValues: IncludeObject[] = ['Metadata', 'None', 'Object'];

/** The `includeObject` query parameter; Metadata when absent, 400 for anything unknown. */
export function parseIncludeObject(value: string | undefined | null): IncludeObject {
  if (value === undefined || value === null || value === '') return 'Metadata';
  if ((includeObjectValues as string[]).includes(value)) return value as IncludeObject;
  const e = field.notSupported('includeObject', value, includeObjectValues);
  throw errors.badRequest(`${e.field}: Unsupported value: ${JSON.stringify(value)}: supported values: ${includeObjectValues.map((v) => `"${v}"`).join(', ')}`);
}

export function toPartialObjectMetadata(obj: KObject, apiVersion: MetaApiVersion = 'meta.k8s.io/v1'): object {
  return { kind: 'PartialObjectMetadata', apiVersion, metadata: obj.metadata ?? {} };
}

function listMetadata(listMeta: ListMeta): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  if (listMeta.resourceVersion !== undefined) m.resourceVersion = listMeta.resourceVersion;
  if (listMeta.continue) m.continue = listMeta.continue;
  if (listMeta.remainingItemCount !== undefined && listMeta.remainingItemCount !== null) m.remainingItemCount = listMeta.remainingItemCount;
  return m;
}

export function toPartialObjectMetadataList(items: KObject[], listMeta: ListMeta, apiVersion: MetaApiVersion = 'meta.k8s.io/v1'): object {
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion,
    metadata: listMetadata(listMeta),
    items: items.map((o) => toPartialObjectMetadata(o, apiVersion)),
  };
}

/** A resource's own convertor (CRD printer columns, a ResourceDef.table) as a Printer. */
function fromConvertor(c: TableConvertor): Printer {
  return { columns: c.columns, cells: (obj, now) => (c.cells as (o: KObject, n: Date) => unknown[])(obj, now) };
}

export interface BuildTableArgs {
  group: string;
  kind: string;
  items: KObject[];
  includeObject: IncludeObject;
  /** false for watch events after the first: kubectl reuses the columns it already has */
  withColumns: boolean;
  listMeta: ListMeta;
  now?: Date;
  /** overrides the built-in printer (e.g. a ResourceDef.table or CRD additionalPrinterColumns) */
  convertor?: TableConvertor;
  apiVersion?: MetaApiVersion;
}

export function buildTable(args: BuildTableArgs): object {
  const now = args.now ?? new Date();
  const apiVersion = args.apiVersion ?? 'meta.k8s.io/v1';
  const printer = args.convertor ? fromConvertor(args.convertor) : printerFor(args.group, args.kind);
  const rows = args.items.map((obj) => {
    const row: Record<string, unknown> = { cells: printer.cells(obj, now) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    if (args.includeObject === 'Metadata') row.object = toPartialObjectMetadata(obj, apiVersion);
    else if (args.includeObject === 'Object') row.object = obj;
    return row;
  });
  const columnDefinitions: ColumnDefinition[] = args.withColumns ? printer.columns : [];
  return { kind: 'Table', apiVersion, metadata: listMetadata(args.listMeta), columnDefinitions, rows };
}
