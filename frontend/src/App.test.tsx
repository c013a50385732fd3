import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { App } from "./App";
import { ADMINISTRATOR, AGENT, fakeServer, KNOWLEDGE_ADMIN, testClient } from "./test/server";

describe("sign-in and navigation", () => {
  it("asks an anonymous visitor to sign in, sends the CSRF token, and shows the server's message on failure", async () => {
    const server = fakeServer({
      "POST /api/v1/auth/session": { status: 400, body: { detail: "Wrong username or password.", code: "login_failed" } },
    }, null);
    window.history.pushState({}, "", "/tickets");
    render(<App client={testClient()} />);
    await userEvent.type(await screen.findByLabelText("Username"), "agent");
    await userEvent.type(screen.getByLabelText("Password"), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong username or password.");
    const login = server.requests.find((r) => r.method === "POST")!;
    expect(login.body).toEqual({ username: "agent", password: "nope" });
    expect(login.headers.get("X-CSRFToken")).toBe("test-token");
  });

  it.each([
    [AGENT, ["Tickets", "Search playground"]],
    [KNOWLEDGE_ADMIN, ["Knowledge", "Search playground"]],
    [ADMINISTRATOR, ["Tickets", "Knowledge", "Search playground", "Models", "Integrations"]],
  ])("shows each role only its sections", async (user, expected) => {
    fakeServer({ "GET /api/v1/tickets": { body: { count: 0, next: null, previous: null, results: [] } } }, user);
    window.history.pushState({}, "", "/");
    render(<App client={testClient()} />);
    const nav = await screen.findByRole("navigation", { name: "Main" });
    await waitFor(() => expect([...nav.querySelectorAll("a")].map((a) => a.textContent)).toEqual(expected));
  });

  it.each(["/models", "/integrations/outbound"])("tells a user whose role lacks a page so, instead of a blank screen (%s)", async (path) => {
    fakeServer({}, AGENT);
    window.history.pushState({}, "", path);
    render(<App client={testClient()} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Your role does not give access to this page.");
  });

  it("opens the integrations on their sources for an administrator, loading the page when first asked", async () => {
    const empty = { body: { count: 0, next: null, previous: null, results: [] } };
    fakeServer({ "GET /api/v1/integrations/sources": empty }, ADMINISTRATOR);
    window.history.pushState({}, "", "/integrations");
    render(<App client={testClient()} />);
    expect(await screen.findByRole("heading", { name: "Integrations", level: 1 })).toBeInTheDocument();
    expect(await screen.findByRole("heading", { name: "Sources" })).toBeInTheDocument();
    expect(window.location.pathname).toBe("/integrations/sources");
    expect(screen.getByRole("link", { name: "Integrations" })).toHaveAttribute("aria-current", "page");
  });
});

describe("signing in", () => {
  it("takes the user to where they were going once the server accepts the password", async () => {
    const { ADMINISTRATOR } = await import("./test/server");
    let signedIn = false;
    fakeServer(
      {
        "GET /api/v1/auth/session": () => ({ body: signedIn ? { authenticated: true, user: ADMINISTRATOR, csrf_token: "t2" } : { authenticated: false, user: null, csrf_token: "t1" } }),
        "POST /api/v1/auth/session": () => {
          signedIn = true;
          return { body: { authenticated: true, user: ADMINISTRATOR, csrf_token: "t2" } };
        },
        "GET /api/v1/tickets": { body: { count: 0, next: null, previous: null, results: [] } },
      },
      null,
    );
    window.history.pushState({}, "", "/tickets");
    render(<App client={testClient()} />);
    await userEvent.type(await screen.findByLabelText("Username"), "admin");
    await userEvent.type(screen.getByLabelText("Password"), "secret");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("heading", { name: "Tickets" })).toBeInTheDocument();
    expect(window.location.pathname).toBe("/tickets");
  });
});
