import { useState } from "react";
import { useQuery } from "urql";
import { ReleaseReportDocument, type ReleaseReportQuery } from "../generated/graphql";
import { href } from "../router";
import { useSession } from "../session";
import { ErrorNote, Field, Loading, money } from "../ui";
import { words } from "../errors";

type ReportData = ReleaseReportQuery["releaseReport"];

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The release report of a period: figures, a chart by status, the releases, and their CSV. */
export function Report() {
  const session = useSession();
  const now = new Date();
  const [from, setFrom] = useState(isoDay(new Date(now.getTime() - 30 * 86400000)));
  const [to, setTo] = useState(isoDay(new Date(now.getTime() + 86400000)));
  const [period, setPeriod] = useState({ from, to });
  const valid = period.from < period.to;
  const [result] = useQuery({
    query: ReleaseReportDocument,
    variables: { from: `${period.from}T00:00:00Z`, to: `${period.to}T00:00:00Z` },
    pause: !session.runsReleases || !valid,
  });
  if (!session.runsReleases) return <p>Reports are for release managers.</p>;
  const report = result.data?.releaseReport;
  return (
    <>
      <h1>Release report</h1>
      <form
        className="inline card"
        aria-label="Report period"
        onSubmit={(e) => {
          e.preventDefault();
          setPeriod({ from, to });
        }}
      >
        <Field label="From (UTC, inclusive)">{(id) => <input id={id} type="date" required value={from} onChange={(e) => setFrom(e.target.value)} />}</Field>
        <Field label="To (UTC, exclusive)">{(id) => <input id={id} type="date" required value={to} onChange={(e) => setTo(e.target.value)} />}</Field>
        <button type="submit">Show report</button>
      </form>
      {!valid && <ErrorNote error="The period ends after it starts." />}
      {valid && !report && (result.error ? <ErrorNote error={result.error} /> : <Loading />)}
      {report && <ReportBody report={report} />}
    </>
  );
}

function ReportBody({ report }: { report: ReportData }) {
  const percent = (v: number | null) => (v === null ? "—" : `${Math.round(v * 100)} %`);
  const hours = (v: number | null) => (v === null ? "—" : `${v.toFixed(1)} h`);
  const download = () => {
    const blob = new Blob([report.csv], { type: "text/csv;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = `releases-${report.periodFrom.slice(0, 10)}-${report.periodTo.slice(0, 10)}.csv`;
    a.click();
    // the download has taken the blob by then
    window.setTimeout(() => URL.revokeObjectURL(url), 10000);
  };
  return (
    <>
      <dl className="figures card">
        <div>
          <dt>Releases</dt>
          <dd>{report.total}</dd>
        </div>
        <div>
          <dt>Closed</dt>
          <dd>{report.completed}</dd>
        </div>
        <div>
          <dt>On time</dt>
          <dd>{report.onTime}</dd>
        </div>
        <div>
          <dt>Late</dt>
          <dd>{report.late}</dd>
        </div>
        <div>
          <dt>Average slip</dt>
          <dd>{hours(report.averageSlipHours)}</dd>
        </div>
        <div>
          <dt>Emergency share</dt>
          <dd>{percent(report.emergencyShare)}</dd>
        </div>
        <div>
          <dt>Lead time (median / p90)</dt>
          <dd>
            {hours(report.leadTimeMedianHours)} / {hours(report.leadTimeP90Hours)}
          </dd>
        </div>
        <div>
          <dt>Review success</dt>
          <dd>{percent(report.reviews.successRate)}</dd>
        </div>
      </dl>
      <div className="card">
        <h2 id="by-status">By status</h2>
        <BarChart labelledBy="by-status" counts={report.byStatus} />
      </div>
      <div className="card">
        <div className="section-head">
          <h2>Releases</h2>
          <button type="button" onClick={download}>
            Download CSV
          </button>
        </div>
        <table>
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Title</th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col" className="number">
                Budget
              </th>
              <th scope="col" className="number">
                Cost
              </th>
              <th scope="col" className="number">
                Variance
              </th>
            </tr>
          </thead>
          <tbody>
            {report.releases.map((r) => (
              <tr key={r.id}>
                <td>
                  <a href={href.release(r.id)}>{r.id}</a>
                </td>
                <td>{r.title}</td>
                <td>{words(r.releaseType)}</td>
                <td>{words(r.status)}</td>
                <td className="number">{money(r.budget, report.currency)}</td>
                <td className="number">{money(r.cost, report.currency)}</td>
                <td className="number">{money(r.variance, report.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** A horizontal bar chart in SVG, with the numbers as text so it reads without colour. */
function BarChart({ counts, labelledBy }: { counts: { key: string; count: number }[]; labelledBy: string }) {
  const max = Math.max(1, ...counts.map((c) => c.count));
  const row = 28;
  if (counts.length === 0) return <p className="muted">No releases in this period.</p>;
  return (
    <svg className="chart" role="img" aria-labelledby={labelledBy} viewBox={`0 0 600 ${counts.length * row}`} preserveAspectRatio="xMinYMin meet" width="100%" height={counts.length * row}>
      {counts.map((c, i) => (
        <g key={c.key} transform={`translate(0 ${i * row})`}>
          <text x="0" y="18" className="chart-label">
            {words(c.key)}
          </text>
          <rect x="140" y="4" height="18" width={(c.count / max) * 400} className={`bar bar-${c.key.toLowerCase()}`} />
          <text x={150 + (c.count / max) * 400} y="18" className="chart-value">
            {c.count}
          </text>
        </g>
      ))}
    </svg>
  );
}
