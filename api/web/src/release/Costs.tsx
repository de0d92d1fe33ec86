import { useState } from "react";
import {
  AddCostLineDocument,
  ReverseCostLineDocument,
  SetReleaseBudgetDocument,
  type CostCategory,
  type ReleaseDetailFragment,
} from "../generated/graphql";
import { useSession } from "../session";
import { ErrorNote, Field, ReasonButton, Section, When, money, useSubmit } from "../ui";
import { words } from "../errors";

const CATEGORIES: CostCategory[] = ["LABOUR", "HARDWARE", "SOFTWARE", "SERVICES", "OTHER"];

/** "1,250.50" in the currency's major unit → 125050 minor units; null when it is no amount. */
export function minorUnits(text: string): number | null {
  const cleaned = text.replaceAll(",", "").trim();
  if (!/^\d{1,13}(\.\d{1,2})?$/.test(cleaned)) return null;
  return Math.round(Number(cleaned) * 100);
}

/** Budget, running and final cost, and the append-only ledger. */
export function Costs({ release, refresh }: { release: ReleaseDetailFragment; refresh: () => void }) {
  const session = useSession();
  const { cost } = release;
  const reverse = useSubmit(ReverseCostLineDocument, refresh);
  const reversed = new Set(release.costLines.map((l) => l.reversesId).filter(Boolean));
  const milestoneTitle = (id: string | null) => release.milestones.find((m) => m.id === id)?.title;
  return (
    <Section title="Costs">
      <dl className="figures">
        <div>
          <dt>Budget</dt>
          <dd>{money(cost.budget, cost.currency)}</dd>
        </div>
        <div>
          <dt>Running</dt>
          <dd>{money(cost.running, cost.currency)}</dd>
        </div>
        <div>
          <dt>Final</dt>
          <dd>{cost.final === null ? "not yet" : money(cost.final, cost.currency)}</dd>
        </div>
        <div>
          <dt>Variance</dt>
          <dd className={cost.variance !== null && cost.variance > 0 ? "over" : undefined}>
            {cost.variance === null ? "—" : money(cost.variance, cost.currency)}
          </dd>
        </div>
      </dl>
      {session.runsReleases && <Budget releaseId={release.id} budget={cost.budget} refresh={refresh} />}
      {release.costLines.length > 0 && (
        <table className="ledger">
          <caption>Ledger</caption>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Category</th>
              <th scope="col">Description</th>
              <th scope="col">On</th>
              <th scope="col" className="number">
                Amount
              </th>
              <th scope="col">Entered by</th>
              {session.runsReleases && <th scope="col"><span className="sr-only">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {release.costLines.map((line) => (
              <tr key={line.id} className={line.reversesId ? "reversal" : undefined}>
                <td>{line.incurredOn}</td>
                <td>{words(line.category)}</td>
                <td>{line.description}</td>
                <td>{milestoneTitle(line.milestoneId) ?? "release"}</td>
                <td className="number">{money(line.amount, line.currency)}</td>
                <td>
                  {line.enteredBy?.name ?? "—"} <span className="muted small"><When at={line.enteredAt} /></span>
                </td>
                {session.runsReleases && (
                  <td>
                    {!line.reversesId && !reversed.has(line.id) && (
                      <ReasonButton
                        label="Reverse"
                        prompt={`Why reverse “${line.description}”?`}
                        busy={reverse.busy}
                        onConfirm={(reason) => reverse.submit({ id: line.id, reason })}
                      />
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorNote error={reverse.error} />
      {session.runsReleases && <AddCostLine release={release} refresh={refresh} />}
    </Section>
  );
}

function Budget({ releaseId, budget, refresh }: { releaseId: string; budget: number | null; refresh: () => void }) {
  const [text, setText] = useState(budget === null ? "" : (budget / 100).toFixed(2));
  const save = useSubmit(SetReleaseBudgetDocument, refresh);
  const amount = text.trim() ? minorUnits(text) : null;
  const invalid = text.trim() !== "" && amount === null;
  return (
    <form
      className="inline"
      aria-label="Budget"
      onSubmit={(e) => {
        e.preventDefault();
        if (!invalid) save.submit({ id: releaseId, budget: amount });
      }}
    >
      <Field label="Budget" hint="Leave empty to clear it.">
        {(id) => <input id={id} inputMode="decimal" value={text} aria-invalid={invalid} onChange={(e) => setText(e.target.value)} />}
      </Field>
      <button type="submit" disabled={save.busy || invalid}>
        Set budget
      </button>
      <ErrorNote error={save.error ?? (invalid ? "The budget is an amount such as 1250.00." : null)} />
    </form>
  );
}

function AddCostLine({ release, refresh }: { release: ReleaseDetailFragment; refresh: () => void }) {
  const today = new Date().toISOString().slice(0, 10);
  const [category, setCategory] = useState<CostCategory>("LABOUR");
  const [description, setDescription] = useState("");
  const [amountText, setAmountText] = useState("");
  const [incurredOn, setIncurredOn] = useState(today);
  const [milestoneId, setMilestoneId] = useState("");
  const add = useSubmit(AddCostLineDocument, () => {
    setDescription("");
    setAmountText("");
    refresh();
  });
  const amount = minorUnits(amountText);
  const invalid = amountText.trim() !== "" && (amount === null || amount <= 0);
  return (
    <form
      className="inline"
      aria-label="Add a cost line"
      onSubmit={(e) => {
        e.preventDefault();
        if (amount === null || amount <= 0) return;
        add.submit({
          input: { releaseId: release.id, milestoneId: milestoneId || null, category, description: description.trim(), amount, incurredOn },
        });
      }}
    >
      <Field label="Category">
        {(id) => (
          <select id={id} value={category} onChange={(e) => setCategory(e.target.value as CostCategory)}>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {words(c)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Description">
        {(id) => <input id={id} value={description} required maxLength={500} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <Field label={`Amount (${release.cost.currency})`}>
        {(id) => <input id={id} inputMode="decimal" required value={amountText} aria-invalid={invalid} onChange={(e) => setAmountText(e.target.value)} />}
      </Field>
      <Field label="Incurred on">{(id) => <input id={id} type="date" required value={incurredOn} onChange={(e) => setIncurredOn(e.target.value)} />}</Field>
      <Field label="Milestone">
        {(id) => (
          <select id={id} value={milestoneId} onChange={(e) => setMilestoneId(e.target.value)}>
            <option value="">The release itself</option>
            {release.milestones.map((m) => (
              <option key={m.id} value={m.id}>
                {m.sequence}. {m.title}
              </option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" disabled={add.busy || amount === null || amount <= 0 || !description.trim()}>
        Add cost line
      </button>
      <ErrorNote error={add.error ?? (invalid ? "The amount is above zero, such as 1250.00." : null)} />
    </form>
  );
}
