import { useState } from "react";
import { Field } from "../ui";

/** Sign-in with a personal API token or a JWT; it is kept in sessionStorage only. */
export function SignIn({ notice, onToken }: { notice: string | null; onToken: (token: string) => void }) {
  const [token, setToken] = useState("");
  return (
    <main className="narrow" id="main">
      <h1>Releasedesk</h1>
      <p>Sign in to the Release workspace.</p>
      {notice && (
        <p className="error" role="alert">
          {notice}
        </p>
      )}
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          const value = token.trim().replace(/^Bearer\s+/i, "");
          if (value) onToken(value);
        }}
      >
        <Field label="API token" hint="A personal token (rdk_…) or a JWT from your identity provider. It stays in this tab only and is forgotten when you sign out or close the tab.">
          {(id) => (
            <input
              id={id}
              type="password"
              autoComplete="off"
              spellCheck={false}
              required
              maxLength={8192}
              value={token}
              onChange={(e) => setToken(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}
