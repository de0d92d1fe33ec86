// Whether the server answers. A failed fetch marks the connection lost; the
// App then probes /health until the server answers and reloads its view.

type Listener = (lost: boolean) => void;

let lost = false;
const listeners = new Set<Listener>();

function set(value: boolean) {
  if (lost === value) return;
  lost = value;
  listeners.forEach((listener) => listener(value));
}

export const connection = {
  isLost: () => lost,
  markLost: () => set(true),
  markRestored: () => set(false),
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/** fetch that reports whether the server could be reached at all. */
export const watchedFetch: typeof fetch = async (input, init) => {
  try {
    const response = await fetch(input, init);
    connection.markRestored();
    return response;
  } catch (error) {
    connection.markLost();
    throw error;
  }
};

/** Resolves once any HTTP answer comes from /health (503 included: the server is back). */
export async function serverAnswers(): Promise<boolean> {
  try {
    await fetch("/health", { cache: "no-store" });
    return true;
  } catch {
    return false;
  }
}
