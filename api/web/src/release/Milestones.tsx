import { useState } from "react";
import {
  AddMilestoneDocument,
  TransitionMilestoneDocument,
  UpdateMilestoneDocument,
  type MilestoneAction,
  type MilestoneFieldsFragment,
  type ReleaseDetailFragment,
} from "../generated/graphql";
import { useSession } from "../session";
import { Badge, ErrorNote, Field, Section, Window, fromLocalInput, money, toLocalInput, useSubmit } from "../ui";
import { OPEN_STATUSES } from "./ReleaseView";

const LABELS: Record<MilestoneAction, string> = {
  START: "Start",
  COMPLETE: "Complete",
  APPROVE: "Approve",
  REJECT: "Reject",
  SKIP: "Skip",
  CANCEL: "Cancel",
};
const OPEN = ["PLANNED", "ACTIVE", "PENDING_APPROVAL"];

/** The milestones as a timeline, in sequence, each with the actions the server offers. */
export function Milestones({ release, refresh }: { release: ReleaseDetailFragment; refresh: () => void }) {
  const session = useSession();
  const mayAdd = session.runsReleases && OPEN_STATUSES.includes(release.status);
  return (
    <Section title="Milestones">
      {release.milestones.length === 0 && <p className="muted">No milestones.</p>}
      <ol className="timeline">
        {release.milestones.map((m) => (
          <MilestoneItem key={m.id} milestone={m} currency={release.cost.currency} refresh={refresh} />
        ))}
      </ol>
      {mayAdd && <AddMilestone releaseId={release.id} refresh={refresh} />}
    </Section>
  );
}

function MilestoneItem({ milestone: m, currency, refresh }: { milestone: MilestoneFieldsFragment; currency: string; refresh: () => void }) {
  const session = useSession();
  const move = useSubmit(TransitionMilestoneDocument, refresh);
  const [editing, setEditing] = useState(false);
  return (
    <li className={`milestone milestone-${m.status.toLowerCase()}`} aria-label={`Milestone ${m.sequence}: ${m.title}`}>
      <div className="milestone-head">
        <span className="sequence">{m.sequence}</span>
        <strong>{m.title}</strong> <Badge value={m.status} />
        {m.requiresApproval && <span className="tag">board approval</span>}
      </div>
      <div className="muted small">
        Planned <Window start={m.plannedStart} end={m.plannedEnd} /> · Actual <Window start={m.actualStart} end={m.actualEnd} /> · Cost{" "}
        {money(m.cost.final ?? m.cost.running, currency)}
        {m.cost.final !== null && " (final)"}
      </div>
      {m.description && <p>{m.description}</p>}
      <div className="row-actions">
        {m.availableActions.map((action) => (
          <button key={action} type="button" disabled={move.busy} onClick={() => move.submit({ id: m.id, action })}>
            {LABELS[action]} <span className="sr-only">{m.title}</span>
          </button>
        ))}
        {session.runsReleases && OPEN.includes(m.status) && !editing && (
          <button type="button" onClick={() => setEditing(true)}>
            Edit <span className="sr-only">{m.title}</span>
          </button>
        )}
      </div>
      <ErrorNote error={move.error} />
      {editing && (
        <EditMilestone
          key={m.version}
          milestone={m}
          onDone={() => {
            setEditing(false);
            refresh();
          }}
          onCancel={() => setEditing(false)}
          refresh={refresh}
        />
      )}
    </li>
  );
}

function EditMilestone({
  milestone,
  onDone,
  onCancel,
  refresh,
}: {
  milestone: MilestoneFieldsFragment;
  onDone: () => void;
  onCancel: () => void;
  refresh: () => void;
}) {
  const update = useSubmit(UpdateMilestoneDocument);
  const [title, setTitle] = useState(milestone.title);
  const [start, setStart] = useState(toLocalInput(milestone.plannedStart));
  const [end, setEnd] = useState(toLocalInput(milestone.plannedEnd));
  const [stale, setStale] = useState(false);
  return (
    <form
      className="inline"
      aria-label={`Edit milestone ${milestone.title}`}
      onSubmit={async (e) => {
        e.preventDefault();
        const { data, code } = await update.submit({
          id: milestone.id,
          expectedVersion: milestone.version,
          input: { title: title.trim(), plannedStart: fromLocalInput(start), plannedEnd: fromLocalInput(end) },
        });
        if (data) onDone();
        else if (code === "CONFLICT") {
          setStale(true);
          refresh();
        }
      }}
    >
      {stale && (
        <p className="error" role="alert">
          Someone else saved this milestone first. It now shows their values; make your change again.
        </p>
      )}
      <Field label="Title">{(id) => <input id={id} value={title} required maxLength={200} onChange={(e) => setTitle(e.target.value)} />}</Field>
      <Field label="Planned start">{(id) => <input id={id} type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} />}</Field>
      <Field label="Planned end">{(id) => <input id={id} type="datetime-local" value={end} onChange={(e) => setEnd(e.target.value)} />}</Field>
      <button type="submit" disabled={update.busy}>
        Save milestone
      </button>
      <button type="button" onClick={onCancel}>
        Back
      </button>
      {!stale && <ErrorNote error={update.error} />}
    </form>
  );
}

function AddMilestone({ releaseId, refresh }: { releaseId: string; refresh: () => void }) {
  const [title, setTitle] = useState("");
  const [requiresApproval, setRequiresApproval] = useState(false);
  const add = useSubmit(AddMilestoneDocument, () => {
    setTitle("");
    setRequiresApproval(false);
    refresh();
  });
  return (
    <form
      className="inline"
      aria-label="Add a milestone"
      onSubmit={(e) => {
        e.preventDefault();
        add.submit({ input: { releaseId, title: title.trim(), requiresApproval } });
      }}
    >
      <Field label="New milestone">{(id) => <input id={id} value={title} required maxLength={200} onChange={(e) => setTitle(e.target.value)} />}</Field>
      <label className="check">
        <input type="checkbox" checked={requiresApproval} onChange={(e) => setRequiresApproval(e.target.checked)} /> Needs the board's approval
      </label>
      <button type="submit" disabled={add.busy || !title.trim()}>
        Add milestone
      </button>
      <ErrorNote error={add.error} />
    </form>
  );
}
