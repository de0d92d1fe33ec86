import { useEffect, useRef } from "react";
import { useSubscription } from "urql";
import { ReleaseChangedDocument } from "./generated/graphql";

/**
 * Calls `onChange` after releases change (those in `ids`, or every release
 * the viewer may see): once per burst, so a cascade of events costs one
 * reload of the screen.
 */
export function useReleaseChanges(ids: string[] | null, onChange: () => void) {
  const latest = useRef(onChange);
  useEffect(() => {
    latest.current = onChange;
  });
  const timer = useRef<number | undefined>(undefined);
  const [result] = useSubscription({ query: ReleaseChangedDocument, variables: { ids } });
  const version = result.data ? `${result.data.releaseChanged.releaseId}:${result.data.releaseChanged.version}` : null;
  useEffect(() => {
    if (!version) return;
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => latest.current(), 150);
  }, [version]);
  useEffect(() => () => window.clearTimeout(timer.current), []);
}
