import { useCallback, useEffect, useMemo, useState } from "react";
import { Provider, useQuery } from "urql";
import { makeClient } from "./client";
import { connection, serverAnswers } from "./connection";
import { MeDocument } from "./generated/graphql";
import { href, useRoute, type Route } from "./router";
import { SessionContext, sessionFor, tokenStore, type Session } from "./session";
import { ErrorNote, Loading } from "./ui";
import { SignIn } from "./views/SignIn";
import { ReleaseList, initialFilter, type ListFilter } from "./views/ReleaseList";
import { ReleaseView } from "./release/ReleaseView";
import { ReleaseCreate, ReleaseEdit } from "./views/ReleaseForm";
import { MyApprovals } from "./views/MyApprovals";
import { Report } from "./views/Report";
import { Schedule } from "./views/Schedule";
import { Admin } from "./views/Admin";

export function App() {
  const [token, setToken] = useState(tokenStore.read);
  const [notice, setNotice] = useState<string | null>(null);
  const signOut = useCallback((why: string | null) => {
    tokenStore.forget();
    setToken(null);
    setNotice(why);
  }, []);
  const session = useMemo(
    () => (token ? makeClient(token, () => signOut("Your sign-in is no longer valid. Sign in again with a current token.")) : null),
    [token, signOut],
  );
  // the live connection ends with the session
  useEffect(() => () => session?.dispose(), [session]);
  if (!session) {
    return (
      <SignIn
        notice={notice}
        onToken={(value) => {
          tokenStore.write(value);
          setNotice(null);
          setToken(value);
        }}
      />
    );
  }
  return (
    <Provider value={session.client}>
      <Workspace signOut={() => signOut(null)} />
    </Provider>
  );
}

function Workspace({ signOut }: { signOut: () => void }) {
  const [me] = useQuery({ query: MeDocument });
  const [epoch, setEpoch] = useState(0);
  const reconnected = useCallback(() => setEpoch((n) => n + 1), []);
  const session = useMemo(() => (me.data ? sessionFor(me.data.me, signOut) : null), [me.data, signOut]);
  if (!session) {
    return (
      <main className="narrow">
        <ConnectionBanner onRestored={reconnected} />
        {me.error ? <ErrorNote error={me.error} /> : <Loading />}
        {me.error && (
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        )}
      </main>
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <Header session={session} />
      <ConnectionBanner onRestored={reconnected} />
      <main id="main" tabIndex={-1}>
        <Page key={epoch} />
      </main>
    </SessionContext.Provider>
  );
}

function Header({ session }: { session: Session }) {
  const route = useRoute();
  const current = (page: Route["page"][]) => (page.includes(route.page) ? "page" : undefined);
  return (
    <header className="top">
      <a className="brand" href={href.list}>
        Releasedesk
      </a>
      <nav aria-label="Workspace">
        <a href={href.list} aria-current={current(["list", "release", "new", "edit"])}>
          Releases
        </a>
        <a href={href.schedule} aria-current={current(["schedule"])}>
          Schedule
        </a>
        {session.onBoard && (
          <a href={href.approvals} aria-current={current(["approvals"])}>
            My approvals
          </a>
        )}
        {session.runsReleases && (
          <a href={href.report} aria-current={current(["report"])}>
            Report
          </a>
        )}
        {session.administers && (
          <a href={href.admin} aria-current={current(["admin"])}>
            Administration
          </a>
        )}
      </nav>
      <div className="who">
        <span>
          {session.me.name} <span className="muted">({(session.me.roles ?? []).map((r) => r.toLowerCase().replaceAll("_", " ")).join(", ") || "stakeholder"})</span>
        </span>
        <button type="button" onClick={session.signOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}

function Page() {
  const route = useRoute();
  const [filter, setFilter] = useState<ListFilter>(initialFilter);
  switch (route.page) {
    case "list":
      return <ReleaseList filter={filter} onFilter={setFilter} />;
    case "release":
      return <ReleaseView id={route.id} />;
    case "new":
      return <ReleaseCreate masterId={route.masterId} />;
    case "edit":
      return <ReleaseEdit id={route.id} />;
    case "approvals":
      return <MyApprovals />;
    case "report":
      return <Report />;
    case "schedule":
      return <Schedule />;
    case "admin":
      return <Admin />;
    default:
      return (
        <p>
          There is no such page. <a href={href.list}>Back to the releases</a>.
        </p>
      );
  }
}

/** While the server cannot be reached: a banner, and a probe every few seconds. */
function ConnectionBanner({ onRestored }: { onRestored: () => void }) {
  const [lost, setLost] = useState(connection.isLost);
  useEffect(() => connection.subscribe(setLost), []);
  useEffect(() => {
    if (!lost) return;
    let stopped = false;
    let timer: number | undefined;
    const probe = async () => {
      if (stopped) return;
      if (await serverAnswers()) {
        connection.markRestored();
        onRestored();
      } else {
        timer = window.setTimeout(probe, 3000);
      }
    };
    timer = window.setTimeout(probe, 1000);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [lost, onRestored]);
  if (!lost) return null;
  return (
    <div className="banner" role="alert">
      The connection to the server is lost. Retrying every few seconds; nothing you typed is lost.
    </div>
  );
}
