import { useEffect, useState } from "react";

/** The workspace's places, from the URL's hash (`#/releases/12`). */
export type Route =
  | { page: "list" }
  | { page: "release"; id: string }
  | { page: "new"; masterId: string | null }
  | { page: "edit"; id: string }
  | { page: "approvals" }
  | { page: "report" }
  | { page: "schedule" }
  | { page: "admin" }
  | { page: "unknown" };

export function parse(hash: string): Route {
  const [path = "/", query = ""] = (hash.replace(/^#/, "") || "/").split("?", 2);
  if (path === "/" || path === "/releases") return { page: "list" };
  if (path === "/releases/new") {
    const master = new URLSearchParams(query).get("master");
    return { page: "new", masterId: master && /^\d{1,10}$/.test(master) ? master : null };
  }
  const release = /^\/releases\/(\d{1,10})(\/edit)?$/.exec(path);
  if (release) return release[2] ? { page: "edit", id: release[1] } : { page: "release", id: release[1] };
  if (path === "/approvals") return { page: "approvals" };
  if (path === "/report") return { page: "report" };
  if (path === "/schedule") return { page: "schedule" };
  if (path === "/admin") return { page: "admin" };
  return { page: "unknown" };
}

export const href = {
  list: "#/",
  release: (id: string) => `#/releases/${id}`,
  edit: (id: string) => `#/releases/${id}/edit`,
  create: "#/releases/new",
  approvals: "#/approvals",
  report: "#/report",
  schedule: "#/schedule",
  admin: "#/admin",
};

export function go(to: string) {
  window.location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parse(window.location.hash));
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}
