import { useState } from "react";
import { useQuery } from "urql";
import { LinkChangeDocument, LinkableChangesDocument, UnlinkChangeDocument, type ReleaseDetailFragment } from "../generated/graphql";
import { useSession } from "../session";
import { Badge, ErrorNote, Field, Section, Window, useSubmit } from "../ui";
import { words } from "../errors";

/** Linked change requests: their schedule follows the release's window. */
export function Changes({ release, refresh }: { release: ReleaseDetailFragment; refresh: () => void }) {
  const session = useSession();
  const unlink = useSubmit(UnlinkChangeDocument, refresh);
  if (release.changes.length === 0 && !session.managesChanges) return null;
  return (
    <Section title="Changes">
      {release.changes.length === 0 ? (
        <p className="muted">No change requests are linked.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">Title</th>
              <th scope="col">State</th>
              <th scope="col">Risk</th>
              <th scope="col">Scheduled (follows the release)</th>
              {session.managesChanges && <th scope="col"><span className="sr-only">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {release.changes.map((c) => (
              <tr key={c.id}>
                <td>{c.number}</td>
                <td>{c.title}</td>
                <td>
                  <Badge value={c.state} />
                </td>
                <td>{words(c.risk)}</td>
                <td>
                  <Window start={c.scheduledStart} end={c.scheduledEnd} />
                </td>
                {session.managesChanges && (
                  <td>
                    <button type="button" disabled={unlink.busy} onClick={() => unlink.submit({ id: c.id })}>
                      Unlink <span className="sr-only">{c.number}</span>
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorNote error={unlink.error} />
      {session.managesChanges && <LinkChange releaseId={release.id} refresh={refresh} />}
    </Section>
  );
}

function LinkChange({ releaseId, refresh }: { releaseId: string; refresh: () => void }) {
  const [changes] = useQuery({ query: LinkableChangesDocument });
  const [changeId, setChangeId] = useState("");
  const link = useSubmit(LinkChangeDocument, () => {
    setChangeId("");
    refresh();
  });
  const unlinked = (changes.data?.changes ?? []).filter((c) => !c.release && c.state !== "CLOSED" && c.state !== "CANCELLED");
  if (unlinked.length === 0) return null;
  return (
    <form
      className="inline"
      aria-label="Link a change"
      onSubmit={(e) => {
        e.preventDefault();
        if (changeId) link.submit({ id: changeId, releaseId });
      }}
    >
      <Field label="Unlinked change">
        {(id) => (
          <select id={id} value={changeId} required onChange={(e) => setChangeId(e.target.value)}>
            <option value="">Choose…</option>
            {unlinked.map((c) => (
              <option key={c.id} value={c.id}>
                {c.number} {c.title}
              </option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" disabled={link.busy || !changeId}>
        Link change
      </button>
      <ErrorNote error={link.error} />
    </form>
  );
}
