import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, useState, type ReactNode } from "react";
import { BrowserRouter, Navigate, NavLink, Route, Routes, useLocation } from "react-router-dom";
import { ApiError } from "./api/client";
import { hasScope, SessionProvider, useSession, type Me } from "./api/session";
import { TicketPage } from "./console/TicketPage";
import { TicketQueue } from "./console/TicketQueue";
import { SignIn } from "./SignIn";
import { ErrorBoundary, ErrorMessage, Loading } from "./ui/status";
import { useShortcut } from "./ui/shortcuts";

// The knowledge pages (Markdown, sanitising, diffs), the models dashboard and the integrations pages load
// when first opened: an agent's console does not wait for them.
const KnowledgeRoutes = lazy(() => import("./knowledge/KnowledgeRoutes").then((m) => ({ default: m.KnowledgeRoutes })));
const ModelsDashboard = lazy(() => import("./models/ModelsDashboard").then((m) => ({ default: m.ModelsDashboard })));
const IntegrationsPage = lazy(() => import("./integrations/IntegrationsPage").then((m) => ({ default: m.IntegrationsPage })));

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // A 4xx will not change by asking again; a dropped connection or a 5xx might.
        retry: (count, error) => count < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
        refetchOnWindowFocus: true,
        staleTime: 5_000,
      },
      mutations: { retry: false },
    },
  });
}

type Section = { to: string; label: string; allowed: (user: Me) => boolean };

export const SECTIONS: Section[] = [
  { to: "/tickets", label: "Tickets", allowed: (u) => hasScope(u, "tickets:read") && hasScope(u, "assist") },
  { to: "/knowledge", label: "Knowledge", allowed: (u) => hasScope(u, "knowledge:write") },
  { to: "/knowledge/search", label: "Search playground", allowed: (u) => hasScope(u, "knowledge:read") },
  { to: "/models", label: "Models", allowed: (u) => hasScope(u, "admin") },
  { to: "/integrations", label: "Integrations", allowed: (u) => hasScope(u, "admin") },
];

function Shell({ user, children }: { user: Me; children: ReactNode }) {
  const { signOut } = useSession();
  const [error, setError] = useState<unknown>(null);
  const sections = SECTIONS.filter((section) => section.allowed(user));
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Openbook</span>
        <nav aria-label="Main">
          <ul>
            {sections.map((section) => (
              <li key={section.to}>
                <NavLink to={section.to} end={section.to === "/knowledge"}>
                  {section.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span title={user.roles.join(", ")}>
            {user.name} <small>({user.roles.map((role) => role.replace("_", " ")).join(", ")})</small>
          </span>
          {hasScope(user, "admin") && (
            <a className="topbar-link" href="/api/docs/">
              API docs
            </a>
          )}
          <button type="button" className="button small ghost" onClick={() => signOut().catch(setError)}>
            Sign out
          </button>
        </div>
      </header>
      {error ? <ErrorMessage error={error} /> : null}
      <main id="main" tabIndex={-1}>
        <ErrorBoundary>
          <Suspense fallback={<Loading label="Opening the page…" />}>{children}</Suspense>
        </ErrorBoundary>
      </main>
    </div>
  );
}

function Guard({ allowed, user, children }: { allowed: boolean; user: Me; children: ReactNode }) {
  if (!allowed) {
    return (
      <Shell user={user}>
        <div className="page">
          <ErrorMessage error={new Error("Your role does not give access to this page.")} />
        </div>
      </Shell>
    );
  }
  return <Shell user={user}>{children}</Shell>;
}

function AppRoutes() {
  const { user } = useSession();
  const location = useLocation();
  useShortcut("?", () => document.getElementById("shortcut-help")?.focus());
  if (!user) {
    if (location.pathname === "/login") return <SignIn />;
    const next = location.pathname + location.search;
    return <Navigate to={`/login${next && next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`} replace />;
  }
  const home = SECTIONS.find((section) => section.allowed(user))?.to ?? "/tickets";
  const can = (to: string) => SECTIONS.find((section) => section.to === to)!.allowed(user);
  return (
    <Routes>
      <Route path="/" element={<Navigate to={home} replace />} />
      <Route path="/login" element={<Navigate to={new URLSearchParams(location.search).get("next") || home} replace />} />
      <Route path="/tickets" element={<Guard user={user} allowed={can("/tickets")}><TicketQueue /></Guard>} />
      <Route path="/tickets/:id" element={<Guard user={user} allowed={can("/tickets")}><TicketPage /></Guard>} />
      <Route
        path="/knowledge/*"
        element={<Guard user={user} allowed={can("/knowledge/search")}><KnowledgeRoutes /></Guard>}
      />
      <Route path="/models" element={<Guard user={user} allowed={can("/models")}><ModelsDashboard /></Guard>} />
      <Route
        path="/integrations/*"
        element={<Guard user={user} allowed={can("/integrations")}><IntegrationsPage /></Guard>}
      />
      <Route
        path="*"
        element={<Guard user={user} allowed><div className="page"><h1>Page not found</h1><p>Nothing lives at this address.</p></div></Guard>}
      />
    </Routes>
  );
}

export function App({ client }: { client?: QueryClient }) {
  const [queryClient] = useState(() => client ?? makeQueryClient());
  return (
    <ErrorBoundary>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <SessionProvider fallback={<Loading label="Opening Openbook…" />}>
            <AppRoutes />
          </SessionProvider>
        </BrowserRouter>
      </QueryClientProvider>
    </ErrorBoundary>
  );
}
