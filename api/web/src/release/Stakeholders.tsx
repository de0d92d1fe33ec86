import { useState } from "react";
import { useQuery } from "urql";
import {
  AddStakeholderDocument,
  PeopleSearchDocument,
  RemoveStakeholderDocument,
  type ReleaseDetailFragment,
  type StakeholderRole,
} from "../generated/graphql";
import { useSession } from "../session";
import { ErrorNote, Field, PersonSelect, Section, useSubmit } from "../ui";
import { words } from "../errors";

const ROLES: StakeholderRole[] = ["REQUESTER", "IMPLEMENTER", "TESTER", "APPROVER", "STAKEHOLDER"];

export function Stakeholders({ release, refresh }: { release: ReleaseDetailFragment; refresh: () => void }) {
  const session = useSession();
  const remove = useSubmit(RemoveStakeholderDocument, refresh);
  return (
    <Section title="Stakeholders">
      <table>
        <thead>
          <tr>
            <th scope="col">Person</th>
            <th scope="col">Role</th>
            <th scope="col">E-mail updates</th>
            {session.runsReleases && <th scope="col"><span className="sr-only">Actions</span></th>}
          </tr>
        </thead>
        <tbody>
          {release.stakeholders.map((s) => (
            <tr key={s.id}>
              <td>
                {s.person.name} <span className="muted">{s.person.email}</span>
              </td>
              <td>{words(s.role)}</td>
              <td>{s.notify ? "yes" : "no"}</td>
              {session.runsReleases && (
                <td>
                  {s.role !== "OWNER" && (
                    <button type="button" disabled={remove.busy} onClick={() => remove.submit({ id: s.id })}>
                      Remove <span className="sr-only">{s.person.name}</span>
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorNote error={remove.error} />
      {session.runsReleases && <AddStakeholder releaseId={release.id} refresh={refresh} />}
    </Section>
  );
}

function AddStakeholder({ releaseId, refresh }: { releaseId: string; refresh: () => void }) {
  const [search, setSearch] = useState("");
  const [personId, setPersonId] = useState("");
  const [role, setRole] = useState<StakeholderRole>("STAKEHOLDER");
  const [people] = useQuery({ query: PeopleSearchDocument, variables: { search: search.trim() || null } });
  const add = useSubmit(AddStakeholderDocument, () => {
    setPersonId("");
    refresh();
  });
  return (
    <form
      className="inline"
      aria-label="Add a stakeholder"
      onSubmit={(e) => {
        e.preventDefault();
        if (personId) add.submit({ input: { releaseId, personId, role } });
      }}
    >
      <Field label="Find a person">
        {(id) => <input id={id} type="search" value={search} maxLength={200} onChange={(e) => setSearch(e.target.value)} />}
      </Field>
      <PersonSelect label="Person" value={personId} people={people.data?.people} onChange={setPersonId} />
      <Field label="Role">
        {(id) => (
          <select id={id} value={role} onChange={(e) => setRole(e.target.value as StakeholderRole)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {words(r)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" disabled={add.busy || !personId}>
        Add stakeholder
      </button>
      <ErrorNote error={add.error} />
    </form>
  );
}
