import { createContext, useContext } from "react";
import type { MeQuery, Role } from "./generated/graphql";

const TOKEN_KEY = "releasedesk.token";

/** The token lives in sessionStorage: gone when the tab closes or on sign-out. */
export const tokenStore = {
  read: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  write: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  forget: () => sessionStorage.removeItem(TOKEN_KEY),
};

export type Me = MeQuery["me"];

/** What the signed-in person may do; the server decides, this only hides what it would refuse. */
export interface Session {
  me: Me;
  signOut: () => void;
  has: (role: Role) => boolean;
  /** Creates and runs releases, milestones, stakeholders and costs; reads reports. */
  runsReleases: boolean;
  /** Creates changes and links them to releases. */
  managesChanges: boolean;
  /** Looks people up by name. */
  readsPeople: boolean;
  /** Votes on the Review Board's requests. */
  onBoard: boolean;
  administers: boolean;
}

export function sessionFor(me: Me, signOut: () => void): Session {
  // your own roles are always shown; null is for other people's
  const roles = me.roles ?? [];
  const has = (role: Role) => roles.includes(role) || roles.includes("ADMINISTRATOR");
  return {
    me,
    signOut,
    has,
    runsReleases: has("RELEASE_MANAGER"),
    managesChanges: has("RELEASE_MANAGER") || has("CHANGE_MANAGER"),
    readsPeople: has("RELEASE_MANAGER") || has("CHANGE_MANAGER"),
    onBoard: roles.includes("REVIEW_BOARD"),
    administers: roles.includes("ADMINISTRATOR"),
  };
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in workspace");
  return session;
}
