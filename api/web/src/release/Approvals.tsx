import { useState } from "react";
import {
  CastVoteDocument,
  ReopenApprovalDocument,
  type ApprovalFieldsFragment,
  type ReleaseDetailFragment,
  type VoteDecision,
} from "../generated/graphql";
import { useSession } from "../session";
import { Badge, ErrorNote, Field, Section, When, useSubmit } from "../ui";
import { words } from "../errors";

/** The Review Board's requests about the release, newest first, with their votes. */
export function Approvals({ release, refresh }: { release: ReleaseDetailFragment; refresh: () => void }) {
  if (release.approvals.length === 0) return null;
  return (
    <Section title="Approvals">
      {[...release.approvals].reverse().map((a) => (
        <ApprovalCard key={a.id} approval={a} subject={a.milestone ? `Milestone “${a.milestone.title}”` : "The release"} refresh={refresh} />
      ))}
    </Section>
  );
}

export function ApprovalCard({ approval: a, subject, refresh }: { approval: ApprovalFieldsFragment; subject: string; refresh: () => void }) {
  const session = useSession();
  const reopen = useSubmit(ReopenApprovalDocument, refresh);
  const mine = a.status === "OPEN" ? a.votes.find((v) => v.approver?.id === session.me.id && v.decision === "PENDING") : undefined;
  return (
    <div className="approval" role="group" aria-label={`${subject}, round ${a.round}`}>
      <div className="approval-head">
        <strong>{subject}</strong> <Badge value={a.status} />
        <span className="muted">
          round {a.round} · rule {words(a.rule)}
          {a.quorum !== null && ` (${a.quorum})`}
          {a.emergency && " · emergency: one member decides"} · due <When at={a.dueAt} />
        </span>
      </div>
      <p className="small">
        {a.tally.approved} approved, {a.tally.rejected} rejected, {a.tally.pending} waiting; {a.tally.needed} needed.
        {a.note && <> {a.note}</>}
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Approver</th>
            <th scope="col">Vote</th>
            <th scope="col">Comment</th>
            <th scope="col">When</th>
          </tr>
        </thead>
        <tbody>
          {a.votes.map((v) => (
            <tr key={v.id}>
              <td>
                {v.approver?.name ?? "—"}
                {v.decidedBy && v.decidedBy.id !== v.approver?.id && <span className="muted"> (by {v.decidedBy.name})</span>}
                {v.delegatedTo && <span className="muted"> → {v.delegatedTo.name}</span>}
              </td>
              <td>
                <Badge value={v.decision} />
              </td>
              <td>{v.comment}</td>
              <td>
                <When at={v.decidedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {mine && <VoteForm approvalId={a.id} refresh={refresh} />}
      {a.status === "TIMED_OUT" && session.runsReleases && (
        <button type="button" disabled={reopen.busy} onClick={() => reopen.submit({ id: a.id })}>
          Open a new round
        </button>
      )}
      <ErrorNote error={reopen.error} />
    </div>
  );
}

function VoteForm({ approvalId, refresh }: { approvalId: string; refresh: () => void }) {
  const [decision, setDecision] = useState<VoteDecision>("APPROVED");
  const [comment, setComment] = useState("");
  const vote = useSubmit(CastVoteDocument, refresh);
  return (
    <form
      className="vote"
      aria-label="Your vote"
      onSubmit={(e) => {
        e.preventDefault();
        vote.submit({ input: { approvalId, decision, comment: comment.trim() || null } });
      }}
    >
      <fieldset>
        <legend>Your vote</legend>
        <label className="check">
          <input type="radio" name={`decision-${approvalId}`} checked={decision === "APPROVED"} onChange={() => setDecision("APPROVED")} /> Approve
        </label>
        <label className="check">
          <input type="radio" name={`decision-${approvalId}`} checked={decision === "REJECTED"} onChange={() => setDecision("REJECTED")} /> Reject
        </label>
      </fieldset>
      <Field label="Comment">
        {(id) => <input id={id} value={comment} maxLength={2000} required={decision === "REJECTED"} onChange={(e) => setComment(e.target.value)} />}
      </Field>
      <button type="submit" className="primary" disabled={vote.busy}>
        Cast vote
      </button>
      <ErrorNote error={vote.error} />
    </form>
  );
}
