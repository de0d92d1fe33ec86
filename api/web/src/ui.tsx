import { useCallback, useId, useState, type ReactNode } from "react";
import { useMutation, type AnyVariables, type CombinedError, type TypedDocumentNode } from "urql";
import { describe, errorCode, words } from "./errors";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">—</span>;
  return <time dateTime={at}>{dateTime.format(new Date(at))}</time>;
}

export function Window({ start, end }: { start: string | null | undefined; end: string | null | undefined }) {
  if (!start && !end) return <span className="muted">not planned</span>;
  return (
    <>
      <When at={start} /> – <When at={end} />
    </>
  );
}

/** Minor units in the deployment's currency. */
export function money(amount: number | null | undefined, currency: string): string {
  if (amount === null || amount === undefined) return "—";
  return (amount / 100).toLocaleString(undefined, { style: "currency", currency });
}

export function Badge({ value }: { value: string }) {
  return <span className={`badge badge-${value.toLowerCase()}`}>{words(value)}</span>;
}

export function ErrorNote({ error }: { error: CombinedError | string | null | undefined }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {typeof error === "string" ? error : describe(error)}
    </p>
  );
}

export function Loading() {
  return (
    <p className="muted" role="status">
      Loading…
    </p>
  );
}

/** A labelled form control; the label is tied to the control by id. */
export function Field({ label, children, hint }: { label: string; hint?: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint && <small className="muted">{hint}</small>}
    </div>
  );
}

/** A required choice of one person, shown as "Name (e-mail)". */
export function PersonSelect({
  label,
  value,
  people,
  onChange,
}: {
  label: string;
  value: string;
  people: { id: string; name: string; email: string }[] | undefined;
  onChange: (personId: string) => void;
}) {
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value} required onChange={(e) => onChange(e.target.value)}>
          <option value="">Choose…</option>
          {people?.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} ({p.email})
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="card">
      <div className="section-head">
        <h2 id={id}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export interface Submitted<D> {
  data: D | null;
  code: string | undefined;
}

/**
 * A mutation with its error as a sentence. `submit` resolves with the data
 * (null on failure) and the error code, so callers can react to CONFLICT.
 */
export function useSubmit<D, V extends AnyVariables>(document: TypedDocumentNode<D, V>, onDone?: (data: D) => void) {
  const [state, run] = useMutation(document);
  const [error, setError] = useState<string | null>(null);
  const submit = useCallback(
    async (variables: V): Promise<Submitted<D>> => {
      setError(null);
      const result = await run(variables);
      if (result.error || !result.data) {
        setError(result.error ? describe(result.error) : "The server answered nothing.");
        return { data: null, code: errorCode(result.error) };
      }
      onDone?.(result.data);
      return { data: result.data, code: undefined };
    },
    [run, onDone],
  );
  return { submit, busy: state.fetching, error, setError };
}

/** `datetime-local` value (local time) for an ISO instant, and back. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** A button that first asks for a reason, for the steps that need one. */
export function ReasonButton({
  label,
  prompt,
  busy,
  onConfirm,
  className,
}: {
  label: string;
  prompt: string;
  busy?: boolean;
  onConfirm: (reason: string) => void;
  className?: string;
}) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  if (!open) {
    return (
      <button type="button" className={className} onClick={() => setOpen(true)}>
        {label}
      </button>
    );
  }
  return (
    <form
      className="reason"
      onSubmit={(e) => {
        e.preventDefault();
        if (reason.trim()) onConfirm(reason.trim());
      }}
    >
      <Field label={prompt}>
        {(id) => <input id={id} value={reason} maxLength={2000} required autoFocus onChange={(e) => setReason(e.target.value)} />}
      </Field>
      <button type="submit" className={className} disabled={busy || !reason.trim()}>
        {label}
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Back
      </button>
    </form>
  );
}
