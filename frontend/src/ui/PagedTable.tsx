// A list the API pages, shown as a table: the loading, error and empty states, the table under a caption for
// screen readers, and newer / older buttons while the list runs over more than one page. The page decides
// what a row shows; everything around the rows is the same on every list, and so is a row that opens a
// details row below it (RowToggle, DetailsRow).
import { createContext, Fragment, useContext, useId, type ReactNode } from "react";
import { Empty, QueryState, type QueryLike } from "./status";

/** One page of a list, the way the API pages lists. */
export type Page<T> = { count: number; next?: string | null; previous?: string | null; results: T[] };

/** A column's head: its text, or its text with how the column reads. */
export type Column = string | { label: string; numeric?: boolean; hidden?: boolean; title?: string };

/** The page shown, and how to show another; the list's name labels the buttons. */
export type Paging = { label: string; page: number; onPage: (page: number) => void };

type Props<T extends { id: number }> = {
  query: QueryLike<Page<T>>;
  /** Said while the first page loads. */
  loading: string;
  /** Said instead of a table when the page holds nothing. */
  empty: ReactNode;
  /** What the table lists and in which order, for screen readers. */
  caption: string;
  /** The table's own class, beside "data". */
  className: string;
  columns: Column[];
  /** An item's row (and any row opened below it); `rowId` names its header for the row's buttons. */
  row: (item: T, rowId: string) => ReactNode;
  /** For a list asked for page by page; without it the page shown is the whole list. */
  paging?: Paging;
  /** Shown above and below the table, once there is something to list. */
  above?: (page: Page<T>) => ReactNode;
  below?: (page: Page<T>) => ReactNode;
};

/** How many columns the table has, for a details row to span them all. */
const ColumnCount = createContext(1);

export function PagedTable<T extends { id: number }>({ query, loading, empty, caption, className, columns, row, paging, above, below }: Props<T>) {
  const tableId = useId();
  return (
    <QueryState query={query} label={loading}>
      {(data) =>
        data.results.length === 0 ? (
          <Empty>{empty}</Empty>
        ) : (
          <>
            {above?.(data)}
            <div className="table-wrap">
              <table className={`data ${className}`}>
                <caption className="visually-hidden">{caption}</caption>
                <thead>
                  <tr>
                    {columns.map((column) => (
                      <ColumnHead key={typeof column === "string" ? column : column.label} column={column} />
                    ))}
                  </tr>
                </thead>
                <tbody>
                  <ColumnCount.Provider value={columns.length}>
                    {data.results.map((item) => (
                      <Fragment key={item.id}>{row(item, `${tableId}-${item.id}`)}</Fragment>
                    ))}
                  </ColumnCount.Provider>
                </tbody>
              </table>
            </div>
            {paging && <Pager paging={paging} hasNewer={!!data.previous} hasOlder={!!data.next} />}
            {below?.(data)}
          </>
        )
      }
    </QueryState>
  );
}

const detailsOf = (rowId: string) => `${rowId}-details`;

/** A row's button that opens its details row (and says whether it is open); the row's header describes it. */
export function RowToggle({ rowId, open, onClick, children }: { rowId: string; open: boolean; onClick: () => void; children: ReactNode }) {
  return (
    <button
      type="button"
      className="button small"
      aria-describedby={rowId}
      aria-expanded={open}
      aria-controls={open ? detailsOf(rowId) : undefined}
      onClick={onClick}
    >
      {children}
    </button>
  );
}

/** The row below `rowId`'s that its RowToggle opens, across the whole table. */
export function DetailsRow({ rowId, children }: { rowId: string; children: ReactNode }) {
  return (
    <tr className="details-row" id={detailsOf(rowId)}>
      <td colSpan={useContext(ColumnCount)}>{children}</td>
    </tr>
  );
}

function ColumnHead({ column }: { column: Column }) {
  if (typeof column === "string") return <th scope="col">{column}</th>;
  const { label, numeric, hidden, title } = column;
  return (
    <th scope="col" className={numeric ? "num" : undefined} title={title}>
      {hidden ? <span className="visually-hidden">{label}</span> : label}
    </th>
  );
}

function Pager({ paging: { label, page, onPage }, hasNewer, hasOlder }: { paging: Paging; hasNewer: boolean; hasOlder: boolean }) {
  if (!hasNewer && !hasOlder) return null;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" className="button small" disabled={!hasNewer} onClick={() => onPage(page - 1)}>
        ← Newer
      </button>
      <span className="hint">Page {page}</span>
      <button type="button" className="button small" disabled={!hasOlder} onClick={() => onPage(page + 1)}>
        Older →
      </button>
    </nav>
  );
}
