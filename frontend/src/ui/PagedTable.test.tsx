import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { useState } from "react";
import { DetailsRow, PagedTable, RowToggle, type Page } from "./PagedTable";
import type { QueryLike } from "./status";

type Item = { id: number; name: string; size: number };

const ITEMS: Item[] = [
  { id: 7, name: "Alpha", size: 3 },
  { id: 9, name: "Beta", size: 12 },
];

function listed(results: Item[], links: { next?: string; previous?: string } = {}): QueryLike<Page<Item>> {
  return { isPending: false, isError: false, error: null, data: { count: results.length, next: links.next ?? null, previous: links.previous ?? null, results }, refetch: vi.fn() };
}

function show(query: QueryLike<Page<Item>>, extra: Partial<Parameters<typeof PagedTable<Item>>[0]> = {}) {
  return render(
    <PagedTable
      query={query}
      loading="Loading items…"
      empty="No item yet."
      caption="Items, by name."
      className="items-table"
      columns={["Name", { label: "Size", numeric: true, title: "In bytes" }, { label: "Actions", hidden: true }]}
      row={(item, rowId) => (
        <tr>
          <th scope="row" id={rowId}>
            {item.name}
          </th>
          <td className="num">{item.size}</td>
          <td>
            <button type="button" aria-describedby={rowId}>
              Open
            </button>
          </td>
        </tr>
      )}
      {...extra}
    />,
  );
}

describe("PagedTable", () => {
  it("says what it is loading while the first page is on its way", () => {
    show({ isPending: true, isError: false, error: null, data: undefined, refetch: vi.fn() });
    expect(screen.getByRole("status")).toHaveTextContent("Loading items…");
    expect(screen.queryByRole("table")).toBeNull();
  });

  it("shows the error with a button that asks again", async () => {
    const refetch = vi.fn();
    show({ isPending: false, isError: true, error: new Error("The server is down."), data: undefined, refetch });
    expect(screen.getByRole("alert")).toHaveTextContent("The server is down.");
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(refetch).toHaveBeenCalledOnce();
  });

  it("says the list is empty instead of showing an empty table, and nothing above or below it", () => {
    const { container } = show(listed([]), { above: () => <p>above</p>, below: () => <p>below</p> });
    expect(screen.getByText("No item yet.")).toHaveClass("state-empty");
    expect(screen.queryByRole("table")).toBeNull();
    expect(container).not.toHaveTextContent(/above|below/);
  });

  it("lists the rows under the caption and the column heads", () => {
    const { container } = show(listed(ITEMS));
    const table = screen.getByRole("table", { name: "Items, by name." });
    expect(table).toHaveClass("data", "items-table");
    expect(table.parentElement).toHaveClass("table-wrap");
    expect(container.querySelector("caption")).toHaveClass("visually-hidden");
    const heads = within(table).getAllByRole("columnheader");
    expect(heads.map((head) => head.textContent)).toEqual(["Name", "Size", "Actions"]);
    expect(heads[1]).toHaveClass("num");
    expect(heads[1]).toHaveAttribute("title", "In bytes");
    expect(within(heads[2]).getByText("Actions")).toHaveClass("visually-hidden");
    expect(heads.every((head) => head.getAttribute("scope") === "col")).toBe(true);
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((row) => within(row).getByRole("rowheader").textContent)).toEqual(["Alpha", "Beta"]);
  });

  it("gives each row its own id, for the buttons that act on it", () => {
    show(listed(ITEMS));
    const [alpha, beta] = screen.getAllByRole("button", { name: "Open" });
    expect(alpha).toHaveAccessibleDescription("Alpha");
    expect(beta).toHaveAccessibleDescription("Beta");
  });

  it("has no pager for a list without pages, or on its only page", () => {
    show(listed(ITEMS));
    expect(screen.queryByRole("navigation")).toBeNull();
    show(listed(ITEMS), { paging: { label: "Items", page: 1, onPage: vi.fn() } });
    expect(screen.queryByRole("navigation")).toBeNull();
  });

  it("asks for the older and newer page from a page in the middle", async () => {
    const onPage = vi.fn();
    show(listed(ITEMS, { next: "?page=4", previous: "?page=2" }), { paging: { label: "Items", page: 3, onPage } });
    const pager = screen.getByRole("navigation", { name: "Items pages" });
    expect(pager).toHaveTextContent("Page 3");
    await userEvent.click(within(pager).getByRole("button", { name: "Older →" }));
    await userEvent.click(within(pager).getByRole("button", { name: "← Newer" }));
    expect(onPage.mock.calls).toEqual([[4], [2]]);
  });

  it("cannot go newer than the first page nor older than the last", () => {
    const { unmount } = show(listed(ITEMS, { next: "?page=2" }), { paging: { label: "Items", page: 1, onPage: vi.fn() } });
    expect(screen.getByRole("button", { name: "← Newer" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Older →" })).toBeEnabled();
    unmount();
    show(listed(ITEMS, { previous: "?page=1" }), { paging: { label: "Items", page: 2, onPage: vi.fn() } });
    expect(screen.getByRole("button", { name: "← Newer" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Older →" })).toBeDisabled();
  });

  it("shows what the page puts above and below the table, from the page listed", () => {
    const { container } = show({ ...listed(ITEMS), data: { count: 40, next: null, previous: null, results: ITEMS } }, {
      above: () => <p>Nothing is active.</p>,
      below: (page) => <p>Showing {page.results.length} of {page.count}.</p>,
    });
    const [above, below] = container.querySelectorAll("p");
    expect(above).toHaveTextContent("Nothing is active.");
    expect(above.nextElementSibling).toHaveClass("table-wrap");
    expect(below).toHaveTextContent("Showing 2 of 40.");
    expect(below.previousElementSibling).toHaveClass("table-wrap");
  });

  it("opens a row's details row across the whole table, and says which the button opened", async () => {
    function Openable() {
      const [open, setOpen] = useState<number | null>(null);
      return (
        <PagedTable
          query={listed(ITEMS)}
          loading="Loading items…"
          empty="No item yet."
          caption="Items, by name."
          className="items-table"
          columns={["Name", "Size", { label: "Actions", hidden: true }]}
          row={(item, rowId) => (
            <>
              <tr>
                <th scope="row" id={rowId}>
                  {item.name}
                </th>
                <td>{item.size}</td>
                <td>
                  <RowToggle rowId={rowId} open={open === item.id} onClick={() => setOpen(open === item.id ? null : item.id)}>
                    Details
                  </RowToggle>
                </td>
              </tr>
              {open === item.id && <DetailsRow rowId={rowId}>The details of {item.name}.</DetailsRow>}
            </>
          )}
        />
      );
    }
    render(<Openable />);
    const [alpha, beta] = screen.getAllByRole("button", { name: "Details" });
    expect(beta).toHaveAccessibleDescription("Beta");
    expect(beta).toHaveAttribute("aria-expanded", "false");
    expect(beta).not.toHaveAttribute("aria-controls");
    await userEvent.click(beta);
    expect(beta).toHaveAttribute("aria-expanded", "true");
    const details = document.getElementById(beta.getAttribute("aria-controls")!)!;
    expect(details).toHaveClass("details-row");
    expect(details).toHaveTextContent("The details of Beta.");
    expect(details.previousElementSibling).toContainElement(beta);
    expect(within(details).getByRole("cell")).toHaveAttribute("colspan", "3");
    expect(alpha).toHaveAttribute("aria-expanded", "false");
    await userEvent.click(beta);
    expect(screen.queryByText("The details of Beta.")).toBeNull();
  });
});
