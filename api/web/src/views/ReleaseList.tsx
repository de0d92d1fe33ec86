import { useEffect, useState } from "react";
import { useQuery } from "urql";
import {
  PeopleSearchDocument,
  ReleaseListDocument,
  type ReleaseFilter,
  type ReleaseRowFragment,
  type ReleaseScope,
  type ReleaseStatus,
  type ReleaseType,
} from "../generated/graphql";
import { go, href } from "../router";
import { useSession } from "../session";
import { Badge, ErrorNote, Field, Loading, Window } from "../ui";
import { words } from "../errors";
import { useReleaseChanges } from "../live";

const PAGE_SIZE = 25;
export const TYPES: ReleaseType[] = ["MAJOR", "MINOR", "EMERGENCY"];
export const SCOPES: ReleaseScope[] = ["STANDALONE", "MASTER", "PHASE"];
const STATUSES: ReleaseStatus[] = ["DRAFT", "REQUESTED", "APPROVED", "REJECTED", "ACTIVE", "ON_HOLD", "REVIEW", "CLOSED", "CANCELLED"];

export interface ListFilter {
  type: string;
  scope: string;
  status: string;
  search: string;
  from: string;
  to: string;
  ownerId: string;
}

export const initialFilter: ListFilter = { type: "", scope: "", status: "", search: "", from: "", to: "", ownerId: "" };

function toApi(filter: ListFilter): ReleaseFilter {
  const api: ReleaseFilter = {};
  if (filter.type) api.types = [filter.type as ReleaseType];
  if (filter.scope) api.scopes = [filter.scope as ReleaseScope];
  if (filter.status) api.statuses = [filter.status as ReleaseStatus];
  if (filter.search.trim()) api.search = filter.search.trim();
  if (filter.ownerId) api.ownerId = filter.ownerId;
  if (filter.from || filter.to) {
    api.plannedBetween = {
      start: new Date(filter.from || "1970-01-01").toISOString(),
      end: new Date(filter.to ? `${filter.to}T23:59:59.999` : "9999-12-31").toISOString(),
    };
  }
  return api;
}

/** Every release the viewer may see, highest id first, a page at a time. */
export function ReleaseList({ filter, onFilter }: { filter: ListFilter; onFilter: (f: ListFilter) => void }) {
  const session = useSession();
  const [draft, setDraft] = useState(filter);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  // any change to a release the viewer may see reloads the pages shown
  const [generation, setGeneration] = useState(0);
  useReleaseChanges(null, () => setGeneration((n) => n + 1));
  const apply = (next: ListFilter) => {
    setCursors([null]);
    onFilter(next);
  };
  const set = (key: keyof ListFilter) => (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value });
  const apiFilter = toApi(filter);
  return (
    <>
      <div className="page-head">
        <h1>Releases</h1>
        {session.runsReleases && (
          <a className="button primary" href={href.create}>
            New release
          </a>
        )}
      </div>
      <form
        className="filters card"
        aria-label="Filter releases"
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
      >
        <Field label="Search">
          {(id) => <input id={id} type="search" maxLength={200} value={draft.search} onChange={set("search")} placeholder="Title or description" />}
        </Field>
        <Choice label="Type" value={draft.type} options={TYPES} onChange={set("type")} />
        <Choice label="Scope" value={draft.scope} options={SCOPES} onChange={set("scope")} />
        <Choice label="Status" value={draft.status} options={STATUSES} onChange={set("status")} />
        <Field label="Planned from">{(id) => <input id={id} type="date" value={draft.from} onChange={set("from")} />}</Field>
        <Field label="Planned to">{(id) => <input id={id} type="date" value={draft.to} onChange={set("to")} />}</Field>
        <OwnerChoice value={draft.ownerId} onChange={set("ownerId")} />
        <div className="filter-buttons">
          <button type="submit">Apply</button>
          <button
            type="button"
            onClick={() => {
              setDraft(initialFilter);
              apply(initialFilter);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <table className="list">
        <caption className="sr-only">Releases, highest id first</caption>
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">Title</th>
            <th scope="col">Type</th>
            <th scope="col">Scope</th>
            <th scope="col">Status</th>
            <th scope="col">Owner</th>
            <th scope="col">Planned</th>
          </tr>
        </thead>
        {cursors.map((after, index) => (
          <ReleasePage
            key={after ?? "first"}
            generation={generation}
            filter={apiFilter}
            after={after}
            last={index === cursors.length - 1}
            onMore={(cursor) => setCursors([...cursors, cursor])}
          />
        ))}
      </table>
    </>
  );
}

function Choice({ label, value, options, onChange }: { label: string; value: string; options: string[]; onChange: (e: { target: { value: string } }) => void }) {
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value} onChange={onChange}>
          <option value="">Any</option>
          {options.map((o) => (
            <option key={o} value={o}>
              {words(o)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function OwnerChoice({ value, onChange }: { value: string; onChange: (e: { target: { value: string } }) => void }) {
  const session = useSession();
  const [people] = useQuery({ query: PeopleSearchDocument, variables: { search: null }, pause: !session.readsPeople });
  const others = (people.data?.people ?? []).filter((p) => p.id !== session.me.id);
  return (
    <Field label="Owner">
      {(id) => (
        <select id={id} value={value} onChange={onChange}>
          <option value="">Anyone</option>
          <option value={session.me.id}>Me</option>
          {others.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function ReleasePage({
  filter,
  after,
  last,
  generation,
  onMore,
}: {
  filter: ReleaseFilter;
  after: string | null;
  last: boolean;
  generation: number;
  onMore: (cursor: string) => void;
}) {
  const [result, reexecute] = useQuery({ query: ReleaseListDocument, variables: { first: PAGE_SIZE, after, filter } });
  useEffect(() => {
    if (generation > 0) reexecute({ requestPolicy: "network-only" });
  }, [generation, reexecute]);
  const page = result.data?.releases;
  return (
    <tbody>
      {after === null && page && (
        <tr className="count">
          <td colSpan={7} aria-live="polite">
            {page.totalCount === 1 ? "1 release" : `${page.totalCount} releases`}
          </td>
        </tr>
      )}
      {page?.nodes.map((release) => <Row key={release.id} release={release} />)}
      {(result.error || (!page && result.fetching) || (last && page?.pageInfo.hasNextPage)) && (
        <tr>
          <td colSpan={7}>
            {result.error && <ErrorNote error={result.error} />}
            {!page && result.fetching && <Loading />}
            {last && page?.pageInfo.hasNextPage && page.pageInfo.endCursor && (
              <button type="button" onClick={() => onMore(page.pageInfo.endCursor as string)}>
                Show more releases
              </button>
            )}
          </td>
        </tr>
      )}
    </tbody>
  );
}

/** A row opens its release on click, on double-click and on Enter. */
function Row({ release }: { release: ReleaseRowFragment }) {
  const open = () => go(href.release(release.id));
  return (
    <tr
      className="row"
      tabIndex={0}
      data-release-id={release.id}
      aria-label={`Release ${release.id}: ${release.title}`}
      onClick={open}
      onDoubleClick={open}
      onKeyDown={(e) => {
        if (e.key === "Enter") open();
      }}
    >
      <td>{release.id}</td>
      <td>
        <a href={href.release(release.id)} tabIndex={-1} onClick={(e) => e.stopPropagation()}>
          {release.title}
        </a>
      </td>
      <td>{words(release.type)}</td>
      <td>{words(release.scope)}</td>
      <td>
        <Badge value={release.status} />
      </td>
      <td>{release.owner.name}</td>
      <td>
        <Window start={release.plannedStart} end={release.plannedEnd} />
      </td>
    </tr>
  );
}
