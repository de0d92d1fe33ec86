import { useCallback, useState } from "react";
import { useQuery } from "urql";
import {
  RecordReleaseReviewDocument,
  ReleaseDocument,
  TransitionReleaseDocument,
  type ReleaseAction,
  type ReleaseDetailFragment,
  type ReviewOutcome,
} from "../generated/graphql";
import { href } from "../router";
import { useSession } from "../session";
import { Badge, ErrorNote, Field, Loading, ReasonButton, Section, When, Window, useSubmit } from "../ui";
import { words } from "../errors";
import { Milestones } from "./Milestones";
import { Approvals } from "./Approvals";
import { Stakeholders } from "./Stakeholders";
import { Changes } from "./Changes";
import { Costs } from "./Costs";
import { useReleaseChanges } from "../live";

const ACTION_LABELS: Record<ReleaseAction, string> = {
  SUBMIT: "Submit for approval",
  APPROVE: "Approve",
  REJECT: "Reject",
  START: "Start",
  HOLD: "Put on hold",
  RESUME: "Resume",
  COMPLETE: "Complete",
  CLOSE: "Close",
  CANCEL: "Cancel release",
};
const NEEDS_REASON: ReleaseAction[] = ["REJECT", "CANCEL"];
export const OPEN_STATUSES = ["DRAFT", "REQUESTED", "APPROVED", "ACTIVE", "ON_HOLD", "REVIEW"];

/** One release with everything about it; each section refreshes the whole after a change. */
export function ReleaseView({ id }: { id: string }) {
  const [result, reexecute] = useQuery({ query: ReleaseDocument, variables: { id } });
  const refresh = useCallback(() => reexecute({ requestPolicy: "network-only" }), [reexecute]);
  // whoever changes it (another user, the board, a job), the page follows
  useReleaseChanges([id], refresh);
  const release = result.data?.release;
  if (!release) {
    return (
      <>
        <p>
          <a href={href.list}>← Releases</a>
        </p>
        {result.error ? <ErrorNote error={result.error} /> : <Loading />}
      </>
    );
  }
  return <ReleaseDetail release={release} refresh={refresh} />;
}

function ReleaseDetail({ release, refresh }: { release: ReleaseDetailFragment; refresh: () => void }) {
  const session = useSession();
  const open = OPEN_STATUSES.includes(release.status);
  return (
    <article aria-labelledby="release-title">
      <p>
        <a href={href.list}>← Releases</a>
      </p>
      <div className="page-head">
        <h1 id="release-title">
          <span className="muted">#{release.id}</span> {release.title}
        </h1>
        <Badge value={release.status} />
      </div>
      <Actions release={release} refresh={refresh} />
      <div className="grid">
        <Section
          title="Details"
          actions={
            session.runsReleases &&
            open && (
              <a className="button" href={href.edit(release.id)}>
                Edit
              </a>
            )
          }
        >
          <dl className="facts">
            <dt>Type</dt>
            <dd>{words(release.type)}</dd>
            <dt>Scope</dt>
            <dd>{words(release.scope)}</dd>
            <dt>Owner</dt>
            <dd>{release.owner.name}</dd>
            <dt>Planned</dt>
            <dd>
              <Window start={release.plannedStart} end={release.plannedEnd} />
            </dd>
            <dt>Actual</dt>
            <dd>
              <Window start={release.actualStart} end={release.actualEnd} />
            </dd>
            {release.master && (
              <>
                <dt>Master</dt>
                <dd>
                  <a href={href.release(release.master.id)}>
                    #{release.master.id} {release.master.title}
                  </a>
                </dd>
              </>
            )}
            {release.cancelReason && (
              <>
                <dt>Cancelled because</dt>
                <dd>{release.cancelReason}</dd>
              </>
            )}
            {release.reviewOutcome && (
              <>
                <dt>Review</dt>
                <dd>
                  {words(release.reviewOutcome)}
                  {release.lessonsLearned && <> — {release.lessonsLearned}</>}
                </dd>
              </>
            )}
            <dt>Version</dt>
            <dd>
              {release.version}, updated <When at={release.updatedAt} />
            </dd>
          </dl>
          {release.description && <p className="description">{release.description}</p>}
        </Section>
        {release.scope === "MASTER" && (
          <Section
            title="Phases"
            actions={
              session.runsReleases &&
              open && (
                <a className="button" href={`${href.create}?master=${release.id}`}>
                  New phase
                </a>
              )
            }
          >
            {release.phases.length === 0 ? (
              <p className="muted">No phases yet.</p>
            ) : (
              <ul className="plain">
                {release.phases.map((p) => (
                  <li key={p.id}>
                    <a href={href.release(p.id)}>
                      #{p.id} {p.title}
                    </a>{" "}
                    <Badge value={p.status} /> <Window start={p.plannedStart} end={p.plannedEnd} />
                  </li>
                ))}
              </ul>
            )}
          </Section>
        )}
      </div>
      <Milestones release={release} refresh={refresh} />
      <Approvals release={release} refresh={refresh} />
      <Stakeholders release={release} refresh={refresh} />
      <Changes release={release} refresh={refresh} />
      <Packages release={release} />
      <Costs release={release} refresh={refresh} />
      <History release={release} />
    </article>
  );
}

/** The buttons are exactly `availableActions`: what the server would accept from this viewer now. */
function Actions({ release, refresh }: { release: ReleaseDetailFragment; refresh: () => void }) {
  const session = useSession();
  const move = useSubmit(TransitionReleaseDocument, refresh);
  const review = useSubmit(RecordReleaseReviewDocument, refresh);
  const [outcome, setOutcome] = useState<ReviewOutcome>("SUCCESSFUL");
  const [lessons, setLessons] = useState("");
  // the action a hard freeze refused, which a release manager may override
  const [frozen, setFrozen] = useState<ReleaseAction | null>(null);
  const needsReview = release.status === "REVIEW" && !release.reviewOutcome && session.runsReleases;
  if (release.availableActions.length === 0 && !needsReview) return null;
  return (
    <div className="actions card" role="group" aria-label="Release actions">
      {release.availableActions.map((action) =>
        NEEDS_REASON.includes(action) ? (
          <ReasonButton
            key={action}
            label={ACTION_LABELS[action]}
            prompt={`Why ${action === "REJECT" ? "reject" : "cancel"} this release?`}
            busy={move.busy}
            className="danger"
            onConfirm={(reason) => move.submit({ id: release.id, action, reason })}
          />
        ) : (
          <button
            key={action}
            type="button"
            className={action === "SUBMIT" || action === "START" || action === "CLOSE" ? "primary" : undefined}
            disabled={move.busy}
            onClick={() => {
              void move
                .submit({ id: release.id, action, reason: null })
                .then((r) => setFrozen(r.code === "FREEZE_CONFLICT" ? action : null));
            }}
          >
            {ACTION_LABELS[action]}
          </button>
        ),
      )}
      {needsReview && (
        <form
          className="inline"
          aria-label="Record the review"
          onSubmit={(e) => {
            e.preventDefault();
            review.submit({ id: release.id, outcome, lessonsLearned: lessons.trim() });
          }}
        >
          <Field label="Review outcome">
            {(id) => (
              <select id={id} value={outcome} onChange={(e) => setOutcome(e.target.value as ReviewOutcome)}>
                <option value="SUCCESSFUL">successful</option>
                <option value="PARTIALLY_SUCCESSFUL">partially successful</option>
                <option value="FAILED">failed</option>
              </select>
            )}
          </Field>
          <Field label="Lessons learned">
            {(id) => <input id={id} value={lessons} required maxLength={10000} onChange={(e) => setLessons(e.target.value)} />}
          </Field>
          <button type="submit" disabled={review.busy || !lessons.trim()}>
            Record review
          </button>
        </form>
      )}
      <ErrorNote error={move.error ?? review.error} />
      {frozen && session.runsReleases && move.error && (
        <ReasonButton
          label={`Override the freeze and ${words(frozen)}`}
          prompt="Why go ahead inside the freeze?"
          busy={move.busy}
          className="danger"
          onConfirm={(reason) => {
            void move
              .submit({ id: release.id, action: frozen, reason, overrideFreeze: true })
              .then((r) => setFrozen(r.code === "FREEZE_CONFLICT" ? frozen : null));
          }}
        />
      )}
    </div>
  );
}

function Packages({ release }: { release: ReleaseDetailFragment }) {
  if (release.packages.length === 0 && release.conflicts.length === 0) return null;
  return (
    <Section title="Packages">
      {release.conflicts.length > 0 && (
        <div className="warning" role="status">
          <strong>Conflicts:</strong> what the planned window runs into.
          <ul>
            {release.conflicts.map((c) => (
              <li key={`${c.kind}-${c.item?.id ?? "all"}-${c.release?.id ?? c.window?.id}`}>
                <ConflictLine conflict={c} />
              </li>
            ))}
          </ul>
        </div>
      )}
      {release.packages.map((p) => (
        <div key={p.id} className="package">
          <h3>
            {p.name} {p.change && <span className="muted">for {p.change.number}</span>}
          </h3>
          <ul className="plain">
            {p.items.map((item) => (
              <li key={item.id}>
                {item.name} <span className="muted">({words(item.type)}{item.version && ` ${item.version}`})</span>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </Section>
  );
}

type ReleaseConflict = ReleaseDetailFragment["conflicts"][number];

function ConflictLine({ conflict: c }: { conflict: ReleaseConflict }) {
  const what = c.item ? c.item.name : "Every item";
  if (c.kind === "ITEM_OVERLAP" && c.release) {
    return (
      <>
        {what} is also in{" "}
        <a href={href.release(c.release.id)}>
          #{c.release.id} {c.release.title}
        </a>{" "}
        (<Window start={c.release.plannedStart} end={c.release.plannedEnd} />)
      </>
    );
  }
  if (c.kind === "FREEZE" && c.window) {
    return (
      <>
        <strong>{c.blocking ? "Hard freeze" : "Soft freeze"}</strong> {c.window.title} on {c.item ? c.item.name : "every item"}
        {c.occurrence && (
          <>
            {" "}
            (<Window start={c.occurrence.startsAt} end={c.occurrence.endsAt} />)
          </>
        )}
        : {c.window.reason}
        {c.blocking && " — APPROVE and START need a release manager's override with a reason."}
      </>
    );
  }
  return (
    <>
      {what} is outside its maintenance windows ({c.window?.title ?? "none"}).
    </>
  );
}

function History({ release }: { release: ReleaseDetailFragment }) {
  return (
    <Section title="History">
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">What</th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          {[...release.history].reverse().map((e) => (
            <tr key={e.id}>
              <td>
                <When at={e.occurredAt} />
              </td>
              <td>{e.actor?.name ?? <span className="muted">system</span>}</td>
              <td>{words(e.kind)}</td>
              <td>
                {e.field && <>{e.field}: </>}
                {e.from && <>{e.from} → </>}
                {e.to}
                {e.note && <span className="muted"> “{e.note}”</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
