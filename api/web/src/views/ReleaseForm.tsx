import { useCallback, useState } from "react";
import { useQuery } from "urql";
import {
  CreateReleaseDocument,
  PeopleSearchDocument,
  ReleaseDocument,
  ReleaseFormOptionsDocument,
  UpdateReleaseDocument,
  type CreateReleaseInput,
  type ReleaseDetailFragment,
  type ReleaseScope,
  type ReleaseType,
} from "../generated/graphql";
import { go, href } from "../router";
import { useSession } from "../session";
import { ErrorNote, Field, Loading, fromLocalInput, toLocalInput, useSubmit } from "../ui";
import { words } from "../errors";
import { SCOPES, TYPES } from "./ReleaseList";

/** A new release; a phase names its master, a MAJOR one gets the default template unless told otherwise. */
export function ReleaseCreate({ masterId }: { masterId: string | null }) {
  const session = useSession();
  const [options] = useQuery({ query: ReleaseFormOptionsDocument });
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [type, setType] = useState<ReleaseType>("MAJOR");
  const [scope, setScope] = useState<ReleaseScope>(masterId ? "PHASE" : "STANDALONE");
  const [master, setMaster] = useState(masterId ?? "");
  const [ownerId, setOwnerId] = useState(session.me.id);
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [template, setTemplate] = useState("default");
  const create = useSubmit(CreateReleaseDocument, (data) => go(href.release(data.createRelease.id)));
  if (!session.runsReleases) return <p>Your roles do not allow creating releases.</p>;
  const templates = (options.data?.milestoneTemplates ?? []).filter((t) => t.releaseType === type);
  return (
    <>
      <p>
        <a href={href.list}>← Releases</a>
      </p>
      <h1>New release</h1>
      <form
        className="card form"
        onSubmit={(e) => {
          e.preventDefault();
          const input: CreateReleaseInput = {
            title: title.trim(),
            description: description.trim(),
            type,
            scope,
            masterId: scope === "PHASE" ? master || null : null,
            ownerId,
            plannedStart: fromLocalInput(start),
            plannedEnd: fromLocalInput(end),
          };
          if (template === "none") input.useTemplate = false;
          else if (template !== "default") input.templateId = template;
          create.submit({ input });
        }}
      >
        <Field label="Title">{(id) => <input id={id} value={title} required maxLength={200} onChange={(e) => setTitle(e.target.value)} />}</Field>
        <Field label="Description">
          {(id) => <textarea id={id} value={description} maxLength={10000} rows={3} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <Field label="Type">
          {(id) => (
            <select id={id} value={type} onChange={(e) => setType(e.target.value as ReleaseType)}>
              {TYPES.map((t) => (
                <option key={t} value={t}>
                  {words(t)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Scope">
          {(id) => (
            <select id={id} value={scope} onChange={(e) => setScope(e.target.value as ReleaseScope)}>
              {SCOPES.map((s) => (
                <option key={s} value={s}>
                  {words(s)}
                </option>
              ))}
            </select>
          )}
        </Field>
        {scope === "PHASE" && (
          <Field label="Master" hint="A phase's window lies inside its master's.">
            {(id) => (
              <select id={id} value={master} required onChange={(e) => setMaster(e.target.value)}>
                <option value="">Choose…</option>
                {options.data?.masters.nodes.map((m) => (
                  <option key={m.id} value={m.id}>
                    #{m.id} {m.title}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <OwnerFieldWith current={session.me} value={ownerId} onChange={setOwnerId} />
        <Field label="Planned start" hint="Needed before the release can start.">
          {(id) => <input id={id} type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} />}
        </Field>
        <Field label="Planned end">{(id) => <input id={id} type="datetime-local" value={end} onChange={(e) => setEnd(e.target.value)} />}</Field>
        <Field label="Milestones">
          {(id) => (
            <select id={id} value={template} onChange={(e) => setTemplate(e.target.value)}>
              <option value="default">{type === "MAJOR" ? "From the default template" : "None (the default for this type)"}</option>
              <option value="none">None</option>
              {templates.map((t) => (
                <option key={t.id} value={t.id}>
                  Template “{t.name}”{t.isDefault ? " (default)" : ""}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="form-buttons">
          <button type="submit" className="primary" disabled={create.busy}>
            Create release
          </button>
          <a className="button" href={href.list}>
            Cancel
          </a>
        </div>
        <ErrorNote error={create.error} />
      </form>
    </>
  );
}

/** Edits a release read at its version; when someone else saved first, says so and shows their values. */
export function ReleaseEdit({ id }: { id: string }) {
  const [result, reexecute] = useQuery({ query: ReleaseDocument, variables: { id } });
  const [conflict, setConflict] = useState(false);
  const reload = useCallback(() => {
    setConflict(true);
    reexecute({ requestPolicy: "network-only" });
  }, [reexecute]);
  const release = result.data?.release;
  if (!release) return result.error ? <ErrorNote error={result.error} /> : <Loading />;
  return (
    <>
      <p>
        <a href={href.release(id)}>← Release #{id}</a>
      </p>
      <h1>Edit release #{id}</h1>
      {conflict && (
        <p className="error" role="alert">
          Someone else saved this release first. The form now shows the values they saved (version {release.version}); make your change again.
        </p>
      )}
      <EditForm key={release.version} release={release} onConflict={reload} />
    </>
  );
}

function EditForm({ release, onConflict }: { release: ReleaseDetailFragment; onConflict: () => void }) {
  const [title, setTitle] = useState(release.title);
  const [description, setDescription] = useState(release.description);
  const [ownerId, setOwnerId] = useState(release.owner.id);
  const [start, setStart] = useState(toLocalInput(release.plannedStart));
  const [end, setEnd] = useState(toLocalInput(release.plannedEnd));
  const update = useSubmit(UpdateReleaseDocument, () => go(href.release(release.id)));
  return (
    <form
      className="card form"
      onSubmit={async (e) => {
        e.preventDefault();
        const { code } = await update.submit({
          id: release.id,
          expectedVersion: release.version,
          input: { title: title.trim(), description: description.trim(), ownerId, plannedStart: fromLocalInput(start), plannedEnd: fromLocalInput(end) },
        });
        if (code === "CONFLICT") onConflict();
      }}
    >
      <Field label="Title">{(id) => <input id={id} value={title} required maxLength={200} onChange={(e) => setTitle(e.target.value)} />}</Field>
      <Field label="Description">
        {(id) => <textarea id={id} value={description} maxLength={10000} rows={3} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <OwnerFieldWith current={release.owner} value={ownerId} onChange={setOwnerId} />
      <Field label="Planned start">{(id) => <input id={id} type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} />}</Field>
      <Field label="Planned end">{(id) => <input id={id} type="datetime-local" value={end} onChange={(e) => setEnd(e.target.value)} />}</Field>
      <div className="form-buttons">
        <button type="submit" className="primary" disabled={update.busy}>
          Save
        </button>
        <a className="button" href={href.release(release.id)}>
          Cancel
        </a>
      </div>
      <ErrorNote error={update.error} />
    </form>
  );
}

/** The owner choice, which always offers the current owner. */
function OwnerFieldWith({ current, value, onChange }: { current: { id: string; name: string }; value: string; onChange: (id: string) => void }) {
  const session = useSession();
  const [people] = useQuery({ query: PeopleSearchDocument, variables: { search: null }, pause: !session.readsPeople });
  const choices = new Map<string, string>([[current.id, current.name]]);
  choices.set(session.me.id, session.me.name);
  people.data?.people.forEach((p) => choices.set(p.id, p.name));
  return (
    <Field label="Owner">
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          {[...choices].map(([personId, name]) => (
            <option key={personId} value={personId}>
              {name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
