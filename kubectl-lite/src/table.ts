// meta.k8s.io/v1 Tables from the server, printed as kubectl prints them: the server
// decides the columns, we pick priority 0 (or all for -o wide) and add NAMESPACE for -A.
import { kindLabel, type ResourceInfo } from './discovery.ts';
import { cellText } from './output.ts';

export interface ServerTable {
  kind: 'Table';
  columnDefinitions?: { name: string; type: string; format?: string; priority?: number }[];
  rows?: { cells: unknown[]; object?: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } } }[];
  metadata?: { resourceVersion?: string };
}

export interface TableStyle {
  wide: boolean;
  withNamespace: boolean;
  /** prefix names with `kind.group/` when several types are printed together */
  withKind: boolean;
  showLabels: boolean;
}

/** Turns server Tables into aligned text; keeps the column set of the first table it sees. */
export class TablePrinter {
  private style: TableStyle;
  private info: ResourceInfo;
  private columns: { index: number; name: string; isName: boolean }[] | undefined;
  private widths: number[] | undefined;

  constructor(info: ResourceInfo, style: TableStyle) {
    this.info = info;
    this.style = style;
  }

  private learnColumns(table: ServerTable): void {
    if (this.columns || !table.columnDefinitions?.length) return;
    this.columns = table.columnDefinitions
      .map((c, index) => ({ index, name: c.name.toUpperCase(), isName: c.format === 'name' || (index === 0 && c.name === 'Name'), priority: c.priority ?? 0 }))
      .filter((c) => this.style.wide || c.priority === 0);
  }

  header(): string[] {
    const cols = this.columns ?? [];
    return [...(this.style.withNamespace ? ['NAMESPACE'] : []), ...cols.map((c) => c.name), ...(this.style.showLabels ? ['LABELS'] : [])];
  }

  rows(table: ServerTable): string[][] {
    this.learnColumns(table);
    const cols = this.columns ?? [];
    return (table.rows ?? []).map((row) => {
      const meta = row.object?.metadata ?? {};
      const cells = cols.map((c) => {
        const text = cellText(row.cells[c.index]);
        return c.isName && this.style.withKind ? `${kindLabel(this.info)}/${text}` : text;
      });
      const labels =
        Object.entries(meta.labels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',') || '<none>';
      return [...(this.style.withNamespace ? [meta.namespace ?? ''] : []), ...cells, ...(this.style.showLabels ? [labels] : [])];
    });
  }

  /** Header and rows, aligned; the widths are remembered for later watch rows. */
  render(rows: string[][], withHeader: boolean): string {
    const all = withHeader ? [this.header(), ...rows] : rows;
    if (!this.widths) {
      this.widths = this.header().map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    }
    const widths = this.widths;
    return all
      .map(
        (cells) =>
          cells
            .map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] ?? c.length) + 3)))
            .join('')
            .trimEnd() + '\n',
      )
      .join('');
  }
}
