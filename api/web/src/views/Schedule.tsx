import { useCallback, useMemo, useState } from "react";
import { useQuery } from "urql";
import {
  CreateCalendarFeedDocument,
  RevokeCalendarFeedDocument,
  ScheduleDocument,
  type ScheduleQuery,
} from "../generated/graphql";
import { href } from "../router";
import { Badge, ErrorNote, Field, Loading, Section, When, Window, useSubmit } from "../ui";

type Entry = ScheduleQuery["schedule"][number];

const WEEKS = 6;
const day = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });

/** Monday 00:00 local of the week holding `at`. */
function weekStart(at: Date): Date {
  const d = new Date(at.getFullYear(), at.getMonth(), at.getDate());
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  return d;
}

/** The forward schedule, six weeks at a time, by day, and the viewer's calendar feeds. */
export function Schedule() {
  const [from, setFrom] = useState(() => weekStart(new Date()));
  const to = useMemo(() => new Date(from.getTime() + WEEKS * 7 * 86_400_000), [from]);
  const [result, reexecute] = useQuery({
    query: ScheduleDocument,
    variables: { from: from.toISOString(), to: to.toISOString() },
  });
  const refresh = useCallback(() => reexecute({ requestPolicy: "network-only" }), [reexecute]);
  const shift = (weeks: number) => setFrom(new Date(from.getTime() + weeks * 7 * 86_400_000));
  const days = useMemo(() => byDay(result.data?.schedule ?? [], from), [result.data, from]);
  return (
    <>
      <h1>Schedule</h1>
      <div className="actions" role="group" aria-label="Weeks">
        <button type="button" onClick={() => shift(-WEEKS)}>
          Earlier
        </button>
        <button type="button" onClick={() => setFrom(weekStart(new Date()))}>
          This week
        </button>
        <button type="button" onClick={() => shift(WEEKS)}>
          Later
        </button>
        <span className="muted">
          <When at={from.toISOString()} /> – <When at={to.toISOString()} />
        </span>
      </div>
      {!result.data && (result.error ? <ErrorNote error={result.error} /> : <Loading />)}
      {result.data && days.length === 0 && <p>Nothing is planned in these weeks.</p>}
      {days.map(([label, entries]) => (
        <section key={label} className="card" aria-label={label}>
          <h2>{label}</h2>
          <ul className="plain">
            {entries.map((e) => (
              <li key={`${e.kind}-${e.release?.id ?? e.change?.id ?? e.occurrence?.window.id}-${e.startsAt}`}>
                <EntryLine entry={e} />
              </li>
            ))}
          </ul>
        </section>
      ))}
      {result.data && <Feeds feeds={result.data.myCalendarFeeds} refresh={refresh} />}
    </>
  );
}

/** Entries grouped by the local day they start on, earlier ones (before `from`) on its first day. */
function byDay(entries: Entry[], from: Date): [string, Entry[]][] {
  const groups = new Map<string, Entry[]>();
  for (const e of entries) {
    const start = new Date(e.startsAt);
    const label = day.format(start < from ? from : start);
    groups.set(label, [...(groups.get(label) ?? []), e]);
  }
  return [...groups.entries()];
}

function EntryLine({ entry: e }: { entry: Entry }) {
  const when = <Window start={e.startsAt} end={e.endsAt} />;
  if (e.release) {
    return (
      <>
        <a href={href.release(e.release.id)}>
          #{e.release.id} {e.title}
        </a>{" "}
        <Badge value={e.release.status} /> <span className="muted">{when}</span>
      </>
    );
  }
  if (e.change) {
    return (
      <>
        Change {e.change.number} {e.title} <span className="muted">{when}</span>
      </>
    );
  }
  const hard = e.occurrence?.window.enforcement === "HARD";
  const what = e.kind === "FREEZE" ? (hard ? "Hard freeze" : "Soft freeze") : "Maintenance window";
  return (
    <span className={e.kind === "FREEZE" && hard ? "warning-text" : undefined}>
      <strong>{what}</strong> {e.title} <span className="muted">{when}</span>
    </span>
  );
}

/** Calendar feeds: a new one's address is shown once; old ones can be revoked. */
function Feeds({ feeds, refresh }: { feeds: ScheduleQuery["myCalendarFeeds"]; refresh: () => void }) {
  const [name, setName] = useState("My releases");
  const [url, setUrl] = useState<string | null>(null);
  const create = useSubmit(CreateCalendarFeedDocument, (data) => {
    setUrl(data.createCalendarFeed.url);
    refresh();
  });
  const revoke = useSubmit(RevokeCalendarFeedDocument, refresh);
  return (
    <Section title="Calendar feeds">
      <p className="muted">Subscribe to the schedule in Outlook, Google Calendar or any calendar that takes an iCalendar address.</p>
      <form
        className="inline"
        aria-label="New calendar feed"
        onSubmit={(ev) => {
          ev.preventDefault();
          void create.submit({ name: name.trim() });
        }}
      >
        <Field label="Feed name">
          {(id) => <input id={id} value={name} maxLength={200} required onChange={(ev) => setName(ev.target.value)} />}
        </Field>
        <button type="submit" disabled={create.busy || !name.trim()}>
          Create feed
        </button>
      </form>
      <ErrorNote error={create.error ?? revoke.error} />
      {url && (
        <p role="status">
          Your feed's address, shown this once: <code className="secret">{url}</code>
        </p>
      )}
      {feeds.length > 0 && (
        <ul className="plain">
          {feeds.map((f) => (
            <li key={f.id}>
              {f.name} <span className="muted">created <When at={f.createdAt} /></span>{" "}
              {f.revokedAt ? (
                <span className="muted">revoked <When at={f.revokedAt} /></span>
              ) : (
                <button type="button" disabled={revoke.busy} onClick={() => void revoke.submit({ id: f.id })}>
                  Revoke {f.name}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
