import { useCallback, useState } from "react";
import { useQuery } from "urql";
import {
  AdminJobsDocument,
  AdminOutboxDocument,
  AdminPeopleDocument,
  AdminTokensDocument,
  BoardPolicyDocument,
  CreateApiTokenDocument,
  CreatePersonDocument,
  RetryOutboxMessageDocument,
  RevokeApiTokenDocument,
  RunJobDocument,
  SetPersonRolesDocument,
  SetReviewBoardPolicyDocument,
  type AdminPeopleQuery,
  type DecisionRule,
  type Role,
} from "../generated/graphql";
import { useSession } from "../session";
import { Badge, ErrorNote, Field, Loading, PersonSelect, Section, When, useSubmit } from "../ui";
import { words } from "../errors";

const ROLES: Role[] = ["ADMINISTRATOR", "RELEASE_MANAGER", "CHANGE_MANAGER", "REVIEW_BOARD"];
const TABS = ["People", "Tokens", "Jobs", "Outbox", "Board policy"] as const;
type Tab = (typeof TABS)[number];

/** People and roles, tokens, jobs, the outbox and the board's policy: administrators only. */
export function Admin() {
  const session = useSession();
  const [tab, setTab] = useState<Tab>("People");
  if (!session.administers) return <p>Administration is for administrators.</p>;
  return (
    <>
      <h1>Administration</h1>
      <div role="tablist" aria-label="Administration" className="tabs">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`tab-${t}`}
            aria-selected={tab === t}
            aria-controls="admin-panel"
            tabIndex={tab === t ? 0 : -1}
            onClick={() => setTab(t)}
            onKeyDown={(e) => {
              const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
              if (step) {
                const next = TABS[(TABS.indexOf(t) + step + TABS.length) % TABS.length];
                setTab(next);
                document.getElementById(`tab-${next}`)?.focus();
              }
            }}
          >
            {t}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="admin-panel" aria-labelledby={`tab-${tab}`}>
        {tab === "People" && <People />}
        {tab === "Tokens" && <Tokens />}
        {tab === "Jobs" && <Jobs />}
        {tab === "Outbox" && <Outbox />}
        {tab === "Board policy" && <Policy />}
      </div>
    </>
  );
}

function useRefreshing<T>(reexecute: (opts: { requestPolicy: "network-only" }) => T) {
  return useCallback(() => {
    reexecute({ requestPolicy: "network-only" });
  }, [reexecute]);
}

function People() {
  const [search, setSearch] = useState("");
  const [result, reexecute] = useQuery({ query: AdminPeopleDocument, variables: { search: search.trim() || null } });
  const refresh = useRefreshing(reexecute);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const create = useSubmit(CreatePersonDocument, () => {
    setName("");
    setEmail("");
    refresh();
  });
  return (
    <Section title="People and roles">
      <form
        className="inline"
        aria-label="Add a person"
        onSubmit={(e) => {
          e.preventDefault();
          create.submit({ input: { name: name.trim(), email: email.trim() } });
        }}
      >
        <Field label="Name">{(id) => <input id={id} value={name} required maxLength={200} onChange={(e) => setName(e.target.value)} />}</Field>
        <Field label="E-mail">{(id) => <input id={id} type="email" value={email} required maxLength={254} onChange={(e) => setEmail(e.target.value)} />}</Field>
        <button type="submit" disabled={create.busy}>
          Add person
        </button>
        <ErrorNote error={create.error} />
      </form>
      <Field label="Find people">{(id) => <input id={id} type="search" value={search} maxLength={200} onChange={(e) => setSearch(e.target.value)} />}</Field>
      {result.error && <ErrorNote error={result.error} />}
      {!result.data && !result.error && <Loading />}
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">E-mail</th>
            <th scope="col">Roles</th>
          </tr>
        </thead>
        <tbody>
          {result.data?.people.map((p) => (
            <PersonRow key={`${p.id}-${(p.roles ?? []).join()}`} person={p} refresh={refresh} />
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function PersonRow({ person, refresh }: { person: AdminPeopleQuery["people"][number]; refresh: () => void }) {
  // administrators, the only ones on this page, see everyone's roles
  const stored = person.roles ?? [];
  const [roles, setRoles] = useState<Role[]>(stored);
  const save = useSubmit(SetPersonRolesDocument, refresh);
  const changed = roles.slice().sort().join() !== stored.slice().sort().join();
  return (
    <tr>
      <td>{person.name}</td>
      <td>{person.email}</td>
      <td>
        <form
          className="roles"
          aria-label={`Roles of ${person.name}`}
          onSubmit={(e) => {
            e.preventDefault();
            save.submit({ personId: person.id, roles });
          }}
        >
          {ROLES.map((r) => (
            <label key={r} className="check">
              <input
                type="checkbox"
                checked={roles.includes(r)}
                onChange={(e) => setRoles(e.target.checked ? [...roles, r] : roles.filter((x) => x !== r))}
              />{" "}
              {words(r)}
            </label>
          ))}
          <button type="submit" disabled={!changed || save.busy}>
            Save roles <span className="sr-only">of {person.name}</span>
          </button>
          <ErrorNote error={save.error} />
        </form>
      </td>
    </tr>
  );
}

function Tokens() {
  const [result, reexecute] = useQuery({ query: AdminTokensDocument });
  const refresh = useRefreshing(reexecute);
  const [people] = useQuery({ query: AdminPeopleDocument, variables: { search: null } });
  const [personId, setPersonId] = useState("");
  const [name, setName] = useState("");
  const [secret, setSecret] = useState<string | null>(null);
  const create = useSubmit(CreateApiTokenDocument, (data) => {
    setSecret(data.createApiToken.secret);
    setName("");
    refresh();
  });
  const revoke = useSubmit(RevokeApiTokenDocument, refresh);
  return (
    <Section title="API tokens">
      <form
        className="inline"
        aria-label="Issue a token"
        onSubmit={(e) => {
          e.preventDefault();
          setSecret(null);
          create.submit({ input: { personId, name: name.trim() } });
        }}
      >
        <PersonSelect label="For" value={personId} people={people.data?.people} onChange={setPersonId} />
        <Field label="Token name">{(id) => <input id={id} value={name} required maxLength={100} onChange={(e) => setName(e.target.value)} />}</Field>
        <button type="submit" disabled={create.busy || !personId}>
          Issue token
        </button>
        <ErrorNote error={create.error} />
      </form>
      {secret && (
        <div className="notice" role="status">
          The new token, shown once: <code className="secret">{secret}</code>
        </div>
      )}
      <ErrorNote error={result.error ?? revoke.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Person</th>
            <th scope="col">Name</th>
            <th scope="col">Prefix</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {result.data?.apiTokens.map((t) => (
            <tr key={t.id}>
              <td>{t.person?.name ?? "—"}</td>
              <td>{t.name}</td>
              <td>
                <code>{t.prefix}…</code>
              </td>
              <td>
                <When at={t.createdAt} />
              </td>
              <td>
                <When at={t.lastUsedAt} />
              </td>
              <td>
                {t.revokedAt ? (
                  <>
                    revoked <When at={t.revokedAt} />
                  </>
                ) : (
                  <button type="button" disabled={revoke.busy} onClick={() => revoke.submit({ id: t.id })}>
                    Revoke <span className="sr-only">{t.name}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function Jobs() {
  const [result, reexecute] = useQuery({ query: AdminJobsDocument });
  const refresh = useRefreshing(reexecute);
  const run = useSubmit(RunJobDocument, refresh);
  return (
    <Section title="Jobs">
      <ErrorNote error={result.error ?? run.error} />
      {run.busy && <Loading />}
      <table>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Schedule (UTC)</th>
            <th scope="col">Next run</th>
            <th scope="col">Last outcome</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {result.data?.jobs.map((j) => (
            <tr key={j.name}>
              <td>{j.name}</td>
              <td>
                <code>{j.schedule}</code>
              </td>
              <td>
                <When at={j.nextRunAt} />
              </td>
              <td>{j.lastOutcome ? <Badge value={j.lastOutcome} /> : <span className="muted">never ran</span>}</td>
              <td>
                <button type="button" disabled={run.busy} onClick={() => run.submit({ name: j.name })}>
                  Run now <span className="sr-only">{j.name}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <table>
        <caption>Latest runs</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Trigger</th>
            <th scope="col">Outcome</th>
            <th scope="col">Started</th>
            <th scope="col">Ended</th>
            <th scope="col" className="number">
              Examined
            </th>
            <th scope="col" className="number">
              Changed
            </th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {result.data?.jobRuns.nodes.map((r) => (
            <tr key={r.id}>
              <td>{r.job}</td>
              <td>{words(r.trigger)}</td>
              <td>
                <Badge value={r.outcome} />
              </td>
              <td>
                <When at={r.startedAt} />
              </td>
              <td>
                <When at={r.endedAt} />
              </td>
              <td className="number">{r.examined}</td>
              <td className="number">{r.changed}</td>
              <td>{r.error}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function Outbox() {
  const [result, reexecute] = useQuery({ query: AdminOutboxDocument });
  const refresh = useRefreshing(reexecute);
  const retry = useSubmit(RetryOutboxMessageDocument, refresh);
  return (
    <Section title="Outbox" actions={<button type="button" onClick={refresh}>Refresh</button>}>
      <ErrorNote error={result.error ?? retry.error} />
      {result.data?.outboxMessages.length === 0 && <p className="muted">No e-mail has been queued.</p>}
      <table>
        <thead>
          <tr>
            <th scope="col">Queued</th>
            <th scope="col">Kind</th>
            <th scope="col">To</th>
            <th scope="col">Subject</th>
            <th scope="col">Status</th>
            <th scope="col" className="number">
              Attempts
            </th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          {result.data?.outboxMessages.map((m) => (
            <tr key={m.id}>
              <td>
                <When at={m.createdAt} />
              </td>
              <td>{words(m.kind)}</td>
              <td>{m.recipient}</td>
              <td>{m.subject}</td>
              <td>
                <Badge value={m.status} />{" "}
                {m.status === "FAILED" && (
                  <button type="button" disabled={retry.busy} onClick={() => retry.submit({ id: m.id })}>
                    Retry <span className="sr-only">{m.subject}</span>
                  </button>
                )}
              </td>
              <td className="number">{m.attempts}</td>
              <td>{m.lastError}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function Policy() {
  const [result, reexecute] = useQuery({ query: BoardPolicyDocument });
  const refresh = useRefreshing(reexecute);
  const policy = result.data?.reviewBoardPolicy;
  if (!policy) return result.error ? <ErrorNote error={result.error} /> : <Loading />;
  return <PolicyForm key={policy.updatedAt} policy={policy} refresh={refresh} />;
}

function PolicyForm({
  policy,
  refresh,
}: {
  policy: {
    rule: DecisionRule;
    quorum: number | null;
    dueHours: number;
    reminderHours: number;
    everyMajor: boolean;
    emergencyByAnyMember: boolean;
    updatedAt: string;
    updatedBy: { name: string } | null;
  };
  refresh: () => void;
}) {
  const [rule, setRule] = useState<DecisionRule>(policy.rule);
  const [quorum, setQuorum] = useState(String(policy.quorum ?? 2));
  const [dueHours, setDueHours] = useState(String(policy.dueHours));
  const [reminderHours, setReminderHours] = useState(String(policy.reminderHours));
  const [everyMajor, setEveryMajor] = useState(policy.everyMajor);
  const [emergency, setEmergency] = useState(policy.emergencyByAnyMember);
  const save = useSubmit(SetReviewBoardPolicyDocument, refresh);
  return (
    <Section title="Review Board policy">
      <p className="muted">
        Updated <When at={policy.updatedAt} />
        {policy.updatedBy && <> by {policy.updatedBy.name}</>}. The board decides releases made from a template that asks for it (the default major template does); open requests keep the rule they were opened with; EMERGENCY requests always take “any”.
      </p>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          save.submit({
            input: {
              rule,
              quorum: rule === "QUORUM" ? Number(quorum) : null,
              dueHours: Number(dueHours),
              reminderHours: Number(reminderHours),
              everyMajor,
              emergencyByAnyMember: emergency,
            },
          });
        }}
      >
        <Field label="Rule">
          {(id) => (
            <select id={id} value={rule} onChange={(e) => setRule(e.target.value as DecisionRule)}>
              <option value="ALL">all approve</option>
              <option value="MAJORITY">majority</option>
              <option value="QUORUM">quorum</option>
              <option value="ANY">any one member</option>
            </select>
          )}
        </Field>
        {rule === "QUORUM" && (
          <Field label="Quorum (1 to 100)">
            {(id) => <input id={id} type="number" min={1} max={100} required value={quorum} onChange={(e) => setQuorum(e.target.value)} />}
          </Field>
        )}
        <Field label="Hours until a request times out (1 to 720)">
          {(id) => <input id={id} type="number" min={1} max={720} required value={dueHours} onChange={(e) => setDueHours(e.target.value)} />}
        </Field>
        <Field label="Hours between reminders (1 to 168)">
          {(id) => <input id={id} type="number" min={1} max={168} required value={reminderHours} onChange={(e) => setReminderHours(e.target.value)} />}
        </Field>
        <label className="check">
          <input type="checkbox" checked={everyMajor} onChange={(e) => setEveryMajor(e.target.checked)} /> Every MAJOR release goes to the board
        </label>
        <label className="check">
          <input type="checkbox" checked={emergency} onChange={(e) => setEmergency(e.target.checked)} /> Every EMERGENCY release goes to the board, decided by any one member
        </label>
        <button type="submit" className="primary" disabled={save.busy}>
          Save policy
        </button>
        <ErrorNote error={save.error} />
      </form>
    </Section>
  );
}
