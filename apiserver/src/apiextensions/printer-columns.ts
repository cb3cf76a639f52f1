// `kubectl get` for custom resources: a Name column, then the version's additionalPrinterColumns
// (an Age column when it has none), each cell its JSONPath's first value, as
// apiextensions-apiserver's table convertor fills them. Date columns read as ages.
import { humanDuration } from '../printers/duration.ts';
import { docs } from '../printers/columns.ts';
import type { ColumnDefinition, KObject, TableConvertor } from '../registry/types.ts';
import { evaluateJsonPath, parseJsonPath } from './jsonpath.ts';

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

const ageColumn: PrinterColumn = { name: 'Age', type: 'date', description: docs.creationTimestamp, jsonPath: '.metadata.creationTimestamp' };

function cell(type: string, values: unknown[], now: Date): unknown {
  if (!values.length || values[0] === undefined || values[0] === null) return null;
  const v = values[0];
  if (type === 'date') {
    const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
    return Number.isNaN(t) ? '<invalid>' : humanDuration(now.getTime() - t);
  }
  if (type === 'string') return typeof v === 'string' ? v : JSON.stringify(v);
  return v;
}

/** The table convertor of one CRD version; a column whose path does not parse stays empty. */
export function printerColumnsConvertor(columns: PrinterColumn[] | undefined): TableConvertor {
  const chosen = columns?.length ? columns : [ageColumn];
  const paths = chosen.map((c) => {
    try {
      return parseJsonPath(c.jsonPath);
    } catch {
      return undefined;
    }
  });
  const definitions: ColumnDefinition[] = [
    { name: 'Name', type: 'string', format: 'name', description: docs.name, priority: 0 },
    // kubectl reads a date column as a string once the server has turned it into an age
    ...chosen.map((c) => ({
      name: c.name,
      type: c.type === 'date' ? 'date' : c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
  ];
  return {
    columns: definitions,
    cells(obj: KObject, now: Date = new Date()) {
      return [obj.metadata?.name ?? '', ...chosen.map((c, i) => (paths[i] ? cell(c.type, evaluateJsonPath(paths[i]!, obj), now) : null))];
    },
  };
}
