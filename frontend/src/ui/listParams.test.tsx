import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, useLocation } from "react-router-dom";
import { describe, expect, it } from "vitest";
import { pageParam, useListParams } from "./listParams";

function Probe() {
  const { set, setPage } = useListParams<"status" | "delivery">(["delivery"]);
  const location = useLocation();
  return (
    <>
      <output>{location.search}</output>
      <button type="button" onClick={() => set("status", "failed")}>filter</button>
      <button type="button" onClick={() => set("status", "")}>unfilter</button>
      <button type="button" onClick={() => set("delivery", "5")}>open</button>
      <button type="button" onClick={() => setPage(4)}>page 4</button>
      <button type="button" onClick={() => setPage(1)}>page 1</button>
    </>
  );
}

function show(search: string) {
  render(
    <MemoryRouter initialEntries={[`/list${search}`]}>
      <Probe />
    </MemoryRouter>,
  );
  return () => screen.getByRole("status").textContent;
}

describe("list parameters in the address", () => {
  it("reads the page as a whole number above 1, else the first page", () => {
    expect([pageParam("3"), pageParam(null), pageParam("1"), pageParam("0"), pageParam("-2"), pageParam("2.5"), pageParam("two")]).toEqual([3, 1, 1, 1, 1, 1, 1]);
  });

  it("goes back to the first page when a filter changes, and removes an emptied one", async () => {
    const search = show("?page=3&status=dead");
    await userEvent.click(screen.getByRole("button", { name: "filter" }));
    expect(search()).toBe("?status=failed");
    await userEvent.click(screen.getByRole("button", { name: "page 4" }));
    await userEvent.click(screen.getByRole("button", { name: "unfilter" }));
    expect(search()).toBe("");
  });

  it("keeps the page for the parameters named to keep it", async () => {
    const search = show("?page=3");
    await userEvent.click(screen.getByRole("button", { name: "open" }));
    expect(search()).toBe("?page=3&delivery=5");
  });

  it("writes the first page as no page at all", async () => {
    const search = show("?status=failed");
    await userEvent.click(screen.getByRole("button", { name: "page 4" }));
    expect(search()).toBe("?status=failed&page=4");
    await userEvent.click(screen.getByRole("button", { name: "page 1" }));
    expect(search()).toBe("?status=failed");
  });
});
