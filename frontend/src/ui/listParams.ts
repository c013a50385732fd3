// A list's filters and page kept in the address (?status=…&page=2), so a view can be shared: one parameter
// changed at a time, in place, and a new filter starts again from the first page.
import { useSearchParams } from "react-router-dom";

/** The page asked for in the address: a whole number above 1, or else the first page. */
export function pageParam(value: string | null): number {
  const page = Number(value);
  return Number.isInteger(page) && page > 1 ? page : 1;
}

/** The address's parameters, `set` to change one (an empty value removes it) and `setPage` for the pager.
 * Changing any parameter but the page and those in `keepPage` (an opened row, say) goes back to page 1. */
export function useListParams<Name extends string>(keepPage: readonly Name[] = []) {
  const [params, setParams] = useSearchParams();

  function set(name: Name | "page", value: string) {
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        if (value) next.set(name, value);
        else next.delete(name);
        if (name !== "page" && !keepPage.includes(name)) next.delete("page");
        return next;
      },
      { replace: true },
    );
  }

  return { params, set, setPage: (page: number) => set("page", page > 1 ? String(page) : "") };
}
