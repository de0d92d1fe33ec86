import type { CombinedError } from "urql";

/** The code in `extensions.code` of the first GraphQL error, if any. */
export function errorCode(error: CombinedError | undefined): string | undefined {
  const code = error?.graphQLErrors[0]?.extensions?.code;
  return typeof code === "string" ? code : undefined;
}

/** An error as a sentence for the people using the workspace. */
export function describe(error: CombinedError): string {
  if (error.networkError && error.graphQLErrors.length === 0) {
    return "The server cannot be reached. The workspace keeps trying; your input is still here.";
  }
  const first = error.graphQLErrors[0];
  const extensions = first?.extensions ?? {};
  const message = first?.message ?? error.message;
  switch (extensions.code) {
    case "UNAUTHENTICATED":
      return "Your sign-in is no longer valid. Sign in again with a current token.";
    case "FORBIDDEN":
      return "Your roles do not allow this.";
    case "NOT_FOUND":
      return "This does not exist, or you may not see it.";
    case "CONFLICT":
      return extensions.retryable
        ? "The service was busy with another change to this release. Try again in a moment."
        : `Someone else got there first: ${message}`;
    case "INVALID_TRANSITION": {
      const allowed = Array.isArray(extensions.allowedActions) ? extensions.allowedActions : [];
      const now = allowed.length > 0 ? ` What is possible now: ${allowed.map(words).join(", ")}.` : "";
      return `That step is not possible now: ${message}.${now}`;
    }
    case "VALIDATION":
      return `Please check the input: ${message}`;
    case "FREEZE_CONFLICT": {
      const windows = Array.isArray(extensions.windows) ? (extensions.windows as { title?: string }[]) : [];
      const names = windows.map((w) => w.title).filter(Boolean).join(", ");
      return `A hard freeze holds this release${names ? ` (${names})` : ""}. Move its window out of the freeze, or a release manager overrides the freeze with a reason.`;
    }
    case "SCHEDULE_READ_ONLY":
      return "This change follows its release's planned window; edit the release's window instead.";
    case "LIMIT_EXCEEDED":
      return `The request was too large: ${message}`;
    case "UNAVAILABLE":
      return "The service cannot reach its database right now. Try again in a moment.";
    default:
      return "Something went wrong on the server. Try again; if it keeps happening, tell an administrator.";
  }
}

/** `RELEASE_MANAGER` → `release manager`. */
export function words(value: string): string {
  return value.toLowerCase().replaceAll("_", " ");
}
