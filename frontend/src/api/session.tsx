// Who is signed in. The session endpoint also hands out the CSRF token every write sends back.
import { useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, type ReactNode } from "react";
import { api, setCsrfToken, unwrap, whenUnauthenticated, type Schemas } from "./client";

export type Me = Schemas["MeOutput"];
export type Role = "agent" | "knowledge_admin" | "administrator" | "integration";

type Session = { user: Me | null; signIn: (username: string, password: string) => Promise<void>; signOut: () => Promise<void> };

const SessionContext = createContext<Session | null>(null);
export const SESSION_KEY = ["session"];

async function fetchSession(): Promise<Schemas["SessionOutput"]> {
  const session = await unwrap(api.GET("/api/v1/auth/session"));
  setCsrfToken(session.csrf_token);
  return session;
}

/** Drop what the previous user saw; the session query itself stays (its observer must keep working). */
function forgetAllBut(client: QueryClient): void {
  client.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
}

export function SessionProvider({ children, fallback }: { children: ReactNode; fallback: ReactNode }) {
  const client = useQueryClient();
  const query = useQuery({ queryKey: SESSION_KEY, queryFn: fetchSession, staleTime: Infinity, retry: 1 });
  useEffect(() => {
    whenUnauthenticated(() => void client.invalidateQueries({ queryKey: SESSION_KEY }));
  }, [client]);

  if (query.isPending) return <>{fallback}</>;
  if (query.isError) throw query.error;

  const value: Session = {
    user: query.data.user ?? null,
    async signIn(username, password) {
      const session = await unwrap(api.POST("/api/v1/auth/session", { body: { username, password } }));
      setCsrfToken(session.csrf_token);
      forgetAllBut(client);
      client.setQueryData(SESSION_KEY, session);
    },
    async signOut() {
      await unwrap(api.DELETE("/api/v1/auth/session"));
      forgetAllBut(client);
      await client.invalidateQueries({ queryKey: SESSION_KEY });
    },
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}

export function hasRole(user: Me | null, ...roles: Role[]): boolean {
  return !!user && roles.some((role) => user.roles.includes(role));
}

export function hasScope(user: Me | null, scope: string): boolean {
  return !!user && user.scopes.includes(scope);
}
