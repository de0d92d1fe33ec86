import { useCallback } from "react";
import { useQuery } from "urql";
import { MyApprovalsDocument } from "../generated/graphql";
import { href } from "../router";
import { ErrorNote, Loading } from "../ui";
import { ApprovalCard } from "../release/Approvals";

/** Open requests waiting for the viewer's vote (or the vote of someone they cover). */
export function MyApprovals() {
  const [result, reexecute] = useQuery({ query: MyApprovalsDocument });
  const refresh = useCallback(() => reexecute({ requestPolicy: "network-only" }), [reexecute]);
  const approvals = result.data?.approvals;
  return (
    <>
      <h1>My approvals</h1>
      {!approvals && (result.error ? <ErrorNote error={result.error} /> : <Loading />)}
      {approvals?.length === 0 && <p>Nothing is waiting for your vote.</p>}
      {approvals?.map((a) => (
        <section key={a.id} className="card" aria-label={`Approval for release ${a.release?.id ?? ""}`}>
          <h2>
            {a.release ? (
              <a href={href.release(a.release.id)}>
                #{a.release.id} {a.release.title}
              </a>
            ) : (
              "A release you may no longer see"
            )}
          </h2>
          <ApprovalCard approval={a} subject={a.milestone ? `Milestone “${a.milestone.title}”` : "The release"} refresh={refresh} />
        </section>
      ))}
    </>
  );
}
