import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { AuditEntry } from '../../agents/audit/audit-log.ts';
import type { AgentRun } from '../../agents/runs/agent-run.ts';
import { toolCallStatuses } from '../../db/tables/agents.ts';
import type { DeadJob } from '../../queue/admin/dead-jobs.ts';
import type { AdminAuditEntry } from '../admin-audit.ts';
import type { Overview, QueueCounts } from '../overview/overview.ts';
import type { UsageBreakdown, UsageGroup } from '../usage/usage-breakdown.ts';
import type { AdminUser } from '../users/user-admin.ts';
import { lineChart } from './charts.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** The dashboard's pages, in navigation order. */
export const dashboardPages = [
  { id: 'overview', path: '/admin/dashboard', title: 'Overview' },
  { id: 'users', path: '/admin/dashboard/users', title: 'Users' },
  { id: 'usage', path: '/admin/dashboard/usage', title: 'Usage' },
  { id: 'jobs', path: '/admin/dashboard/jobs', title: 'Jobs' },
  { id: 'agents', path: '/admin/dashboard/agents', title: 'Agent runs' },
  { id: 'audit', path: '/admin/dashboard/audit', title: 'Admin audit' },
] as const;
export type DashboardPageId = (typeof dashboardPages)[number]['id'];

const STYLE = `
*{box-sizing:border-box}body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:10px 24px;display:flex;gap:18px;align-items:center;flex-wrap:wrap}
header strong{font-size:17px;margin-right:8px}header a{color:#cfd6e4;text-decoration:none}header a[aria-current]{color:#fff;font-weight:600;border-bottom:2px solid #7fb0ff}
header form{margin-left:auto}header .who{color:#cfd6e4}
main{max-width:1180px;margin:0 auto;padding:16px 24px}h1{font-size:22px;margin:8px 0 16px}h2{font-size:17px;margin:22px 0 8px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px}
.card{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:10px 12px}.card dt{color:#5b6475;font-size:12px}.card dd{margin:2px 0 0;font-size:20px;font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px}
.chart{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:0;padding:8px}.chart figcaption{font-weight:600;margin-bottom:4px}
.chart svg{max-width:100%;height:auto}.chart text{font-size:11px;fill:#5b6475}.chart .grid{stroke:#e6e9ee}
.legend span{margin-right:12px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e7}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
th{background:#f0f2f5;font-weight:600;font-size:12px}td.n{text-align:right;font-variant-numeric:tabular-nums}code,pre{font:12px/1.4 ui-monospace,monospace}
pre{margin:0;max-width:420px;white-space:pre-wrap;word-break:break-all}
form.filters{display:flex;gap:8px;flex-wrap:wrap;align-items:end;margin:0 0 12px}label{display:flex;flex-direction:column;font-size:12px;color:#5b6475}
input,select{font:inherit;padding:4px 6px;border:1px solid #c5cbd5;border-radius:4px}button{font:inherit;background:#2f5f9e;color:#fff;border:0;border-radius:4px;padding:5px 12px;cursor:pointer}
button.secondary{background:#6b7385}form.inline{display:inline-flex;gap:4px;align-items:center;margin:0}
.notice{background:#e7f4ea;border:1px solid #9fd0ab;padding:8px 12px;border-radius:4px;margin-bottom:12px}
.error{background:#fbeaea;border:1px solid #e3a5a5;padding:8px 12px;border-radius:4px;margin-bottom:12px}
.pager{margin:10px 0}.muted{color:#6b7385}.login{max-width:460px;margin:60px auto;background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:20px}
.login textarea{width:100%;min-height:110px;font:12px ui-monospace,monospace}
`;

/** The HTML shell every page shares: head, navigation (when signed in) and the page's content. */
export function layout(input: {
  title: string;
  current?: DashboardPageId;
  admin?: { userId: string; csrf: string };
  body: Html;
}) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} · cairn admin</title>
<style>${STYLE}</style>
</head>
<body>
<header><strong>cairn admin</strong>
${
  input.admin
    ? html`${dashboardPages.map(
        (p) =>
          html`<a href="${p.path}" ${p.id === input.current ? html`aria-current="page"` : ''}>${p.title}</a>`,
      )}
<form method="post" action="/admin/logout"><span class="who">${input.admin.userId}</span> <input type="hidden" name="csrf" value="${input.admin.csrf}"><button class="secondary" type="submit">Sign out</button></form>`
    : ''
}
</header>
<main>${input.body}</main>
</body>
</html>`;
}

// Figures: shown formatted, with the raw value in data-value for tests and scripts.
const integer = (n: number) => n.toLocaleString('en-US');
const usd = (n: number) => `$${n.toFixed(n !== 0 && Math.abs(n) < 0.01 ? 6 : 2)}`;
const percent = (n: number | null) => (n === null ? '–' : `${(n * 100).toFixed(2)} %`);
const ms = (n: number | null) => (n === null ? '–' : `${Math.round(n).toLocaleString('en-US')} ms`);
const when = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 19);

const card = (figure: string, label: string, value: number | null, shown: string) =>
  html`<div class="card"><dt>${label}</dt><dd data-figure="${figure}" data-value="${value === null ? 'null' : String(value)}">${shown}</dd></div>`;

const csrfField = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}">`;

/** A "Next page" link keeping the page's filters, or nothing on the last page. */
function pager(
  path: string,
  filters: Record<string, string | number | undefined>,
  nextCursor: string | null,
) {
  if (!nextCursor) return html`<p class="pager muted">End of list.</p>`;
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== '') query.set(k, String(v));
  query.set('cursor', nextCursor);
  return html`<p class="pager"><a rel="next" href="${path}?${query.toString()}">Next page →</a></p>`;
}

const messages = (input: { notice?: string | undefined; error?: string | undefined }) =>
  html`${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}${
    input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''
  }`;

export function loginPage(input: { nonce: string; next: string; error?: string | undefined }) {
  return layout({
    title: 'Sign in',
    body: html`<section class="login">
<h1>Admin sign-in</h1>
${messages({ error: input.error })}
<form method="post" action="/admin/login">
<input type="hidden" name="nonce" value="${input.nonce}">
<input type="hidden" name="next" value="${input.next}">
<label for="token">Admin JWT or API key (with the <code>admin</code> scope)</label>
<textarea id="token" name="token" required autocomplete="off" spellcheck="false"></textarea>
<p><button type="submit">Sign in</button></p>
<p class="muted">The token is checked once and exchanged for a session cookie; it is not stored.</p>
</form>
</section>`,
  });
}

export function errorPage(input: { status: number; title: string; detail: string; signedIn: boolean }) {
  return layout({
    title: input.title,
    body: html`<h1>${input.status} · ${input.title}</h1><p class="error" role="alert">${input.detail}</p>
<p><a href="${input.signedIn ? '/admin/dashboard' : '/admin/login'}">${input.signedIn ? 'Back to the dashboard' : 'Sign in'}</a></p>`,
  });
}

export function overviewPage(overview: Overview, days: number) {
  const t = overview.totals;
  const h = overview.http.totals;
  const labels = overview.daily.map((d) => d.day.slice(5));
  return html`<h1>Overview <span class="muted">${overview.from} – ${overview.to} (UTC)</span></h1>
<form class="filters" method="get" action="/admin/dashboard">
<label>Window<select name="days">${[1, 7, 14, 30, 90].map(
    (d) =>
      html`<option value="${d}" ${d === days ? 'selected' : ''}>${d === 1 ? 'today' : `${d} days`}</option>`,
  )}</select></label><button type="submit">Show</button></form>
<h2>Active users <span class="muted">(last authenticated request)</span></h2>
<dl class="cards">
${card('active_users.last_day', 'Last 24 hours', overview.activeUsers.day, integer(overview.activeUsers.day))}
${card('active_users.last_7_days', 'Last 7 days', overview.activeUsers.week, integer(overview.activeUsers.week))}
${card('active_users.last_30_days', 'Last 30 days', overview.activeUsers.month, integer(overview.activeUsers.month))}
</dl>
<h2>HTTP requests in the window <span class="muted">(every route but probes and scrapes)</span></h2>
<dl class="cards">
${card('http.totals.requests', 'Requests', h.requests, integer(h.requests))}
${card('http.totals.error_rate', 'Error rate (5xx)', h.errorRate, percent(h.errorRate))}
${card('http.totals.client_errors', 'Client errors (4xx)', h.clientErrors, integer(h.clientErrors))}
${card('http.totals.latency_p50_ms', 'Latency p50', h.latencyP50Ms, ms(h.latencyP50Ms))}
${card('http.totals.latency_p95_ms', 'Latency p95', h.latencyP95Ms, ms(h.latencyP95Ms))}
</dl>
<div class="charts">
${raw(
  lineChart({
    title: 'Request latency (ms, to the response headers)',
    labels,
    series: [
      { name: 'p50', values: overview.http.daily.map((d) => d.latencyP50Ms), color: '#2f5f9e' },
      { name: 'p95', values: overview.http.daily.map((d) => d.latencyP95Ms), color: '#c0692b' },
    ],
    format: (v) => integer(Math.round(v)),
  }),
)}
${raw(
  lineChart({
    title: 'Request error rate (5xx)',
    labels,
    series: [{ name: 'error rate', values: overview.http.daily.map((d) => d.errorRate), color: '#b03a3a' }],
    format: (v) => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)} %`,
  }),
)}
</div>
<h2>Model calls in the window</h2>
<dl class="cards">
${card('totals.requests', 'Requests with model calls', t.requests, integer(t.requests))}
${card('totals.model_calls', 'Model calls', t.calls, integer(t.calls))}
${card('totals.model_call_error_rate', 'Model-call error rate', t.errorRate, percent(t.errorRate))}
${card('totals.model_call_latency_p50_ms', 'Model-call latency p50', t.latencyP50Ms, ms(t.latencyP50Ms))}
${card('totals.model_call_latency_p95_ms', 'Model-call latency p95', t.latencyP95Ms, ms(t.latencyP95Ms))}
${card('totals.tokens', 'Tokens (in + out)', t.tokensIn + t.tokensOut, integer(t.tokensIn + t.tokensOut))}
${card('totals.cost_usd', 'Cost', t.costUsd, usd(t.costUsd))}
</dl>
<p class="muted">Figures come from the usage events (one per model call after its retries): latency is model-call latency, errors are failed model calls.</p>
<div class="charts">
${raw(
  lineChart({
    title: 'Model-call latency (ms)',
    labels,
    series: [
      { name: 'p50', values: overview.daily.map((d) => d.latencyP50Ms), color: '#2f5f9e' },
      { name: 'p95', values: overview.daily.map((d) => d.latencyP95Ms), color: '#c0692b' },
    ],
    format: (v) => integer(Math.round(v)),
  }),
)}
${raw(
  lineChart({
    title: 'Model-call error rate',
    labels,
    series: [{ name: 'error rate', values: overview.daily.map((d) => d.errorRate), color: '#b03a3a' }],
    format: (v) => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)} %`,
  }),
)}
${raw(
  lineChart({
    title: 'Tokens per day',
    labels,
    series: [
      { name: 'in', values: overview.daily.map((d) => d.tokensIn), color: '#2f7d4f' },
      { name: 'out', values: overview.daily.map((d) => d.tokensOut), color: '#7a4fa0' },
    ],
    format: (v) => integer(Math.round(v)),
  }),
)}
${raw(
  lineChart({
    title: 'Cost per day (USD)',
    labels,
    series: [{ name: 'cost', values: overview.daily.map((d) => d.costUsd), color: '#9a6a12' }],
    format: (v) => usd(v),
  }),
)}
</div>
<h2>Queue now</h2>
<dl class="cards">
${card('queue.queued', 'Queued', overview.queue.queued, integer(overview.queue.queued))}
${card('queue.running', 'Running', overview.queue.running, integer(overview.queue.running))}
${card('queue.dead', 'Dead', overview.queue.dead, integer(overview.queue.dead))}
</dl>`;
}

export interface UsersFilters {
  plan?: string | undefined;
  status?: string | undefined;
  role?: string | undefined;
}

export function usersPage(input: {
  page: { items: AdminUser[]; nextCursor: string | null };
  usage: Map<string, UsageGroup>;
  usageFrom: string;
  plans: string[];
  filters: UsersFilters;
  csrf: string;
  notice?: string | undefined;
  error?: string | undefined;
}) {
  const { filters } = input;
  const select = (name: string, values: readonly string[], current: string | undefined) =>
    html`<select name="${name}"><option value="">any</option>${values.map(
      (v) => html`<option ${v === current ? 'selected' : ''}>${v}</option>`,
    )}</select>`;
  return html`<h1>Users</h1>
${messages(input)}
<form class="filters" method="get" action="/admin/dashboard/users">
<label>Plan${select('plan', input.plans, filters.plan)}</label>
<label>Status${select('status', ['active', 'disabled'], filters.status)}</label>
<label>Role${select('role', ['user', 'admin'], filters.role)}</label>
<button type="submit">Filter</button></form>
<table id="users">
<thead><tr><th>User</th><th>Role</th><th>Plan</th><th>Status</th><th>Subscription</th><th>Requests</th><th>Tokens</th><th>Cost</th><th>Last seen</th><th>Change plan</th><th></th></tr></thead>
<tbody>
${input.page.items.map((u) => {
  const usage = input.usage.get(u.id);
  return html`<tr data-user="${u.id}">
<td><code>${u.id}</code></td><td>${u.role}</td><td data-field="plan">${u.plan}</td><td data-field="status">${u.status}</td>
<td>${u.subscription ? html`${u.subscription.plan}, ${u.subscription.status}${u.subscription.cancelAtPeriodEnd ? ', cancels' : ''} <span class="muted">until ${when(u.subscription.currentPeriodEnd).slice(0, 10)}</span>` : html`<span class="muted">none</span>`}</td>
<td class="n">${integer(usage?.requests ?? 0)}</td><td class="n">${integer((usage?.tokensIn ?? 0) + (usage?.tokensOut ?? 0))}</td><td class="n" data-field="cost">${usd(usage?.costUsd ?? 0)}</td>
<td>${when(u.lastSeenAt)}</td>
<td><form class="inline" method="post" action="/admin/dashboard/users/${encodeURIComponent(u.id)}/plan">${csrfField(input.csrf)}
<select name="plan" aria-label="Plan for ${u.id}">${input.plans.map((p) => html`<option ${p === u.plan ? 'selected' : ''}>${p}</option>`)}</select>
<button type="submit">Change</button></form></td>
<td><form class="inline" method="post" action="/admin/dashboard/users/${encodeURIComponent(u.id)}/status">${csrfField(input.csrf)}
<input type="hidden" name="status" value="${u.status === 'active' ? 'disabled' : 'active'}"><button class="secondary" type="submit">${u.status === 'active' ? 'Disable' : 'Enable'}</button></form></td>
</tr>`;
})}
</tbody></table>
<p class="muted">Requests, tokens and cost: model usage since ${input.usageFrom} (30 days).</p>
${pager('/admin/dashboard/users', { ...filters }, input.page.nextCursor)}`;
}

export interface UsageFilters {
  group_by: string;
  from?: string | undefined;
  to?: string | undefined;
  user_id?: string | undefined;
  model?: string | undefined;
  route?: string | undefined;
}

export function usagePage(input: { breakdown: UsageBreakdown; filters: UsageFilters }) {
  const { breakdown, filters } = input;
  const text = (name: keyof UsageFilters, label: string) =>
    html`<label>${label}<input name="${name}" value="${filters[name] ?? ''}"></label>`;
  return html`<h1>Usage <span class="muted">${breakdown.from} – ${breakdown.to} (UTC)</span></h1>
<form class="filters" method="get" action="/admin/dashboard/usage">
<label>Group by<select name="group_by">${['day', 'user', 'model', 'route'].map(
    (g) => html`<option ${g === filters.group_by ? 'selected' : ''}>${g}</option>`,
  )}</select></label>
<label>From<input type="date" name="from" value="${breakdown.from}"></label>
<label>To<input type="date" name="to" value="${breakdown.to}"></label>
${text('user_id', 'User')}${text('model', 'Model (provider/model)')}${text('route', 'Route')}
<button type="submit">Show</button></form>
<table id="usage">
<thead><tr><th>${filters.group_by}</th><th>Requests</th><th>Model calls</th><th>Failed</th><th>p50 ms</th><th>p95 ms</th><th>Tokens in</th><th>Tokens out</th><th>Cost</th></tr></thead>
<tbody>
${breakdown.items.map(
  (g) => html`<tr data-key="${g.key ?? ''}">
<td>${g.key === null ? html`<span class="muted">(none)</span>` : html`<code>${g.key}</code>`}</td>
<td class="n" data-field="requests">${integer(g.requests)}</td><td class="n" data-field="model_calls">${integer(g.calls)}</td><td class="n">${integer(g.failedCalls)}</td>
<td class="n">${ms(g.latencyP50Ms)}</td><td class="n">${ms(g.latencyP95Ms)}</td>
<td class="n" data-field="tokens_in">${integer(g.tokensIn)}</td><td class="n" data-field="tokens_out">${integer(g.tokensOut)}</td><td class="n" data-field="cost_usd" data-value="${String(g.costUsd)}">${usd(g.costUsd)}</td>
</tr>`,
)}
</tbody></table>
${breakdown.items.length === 0 ? html`<p class="muted">No model calls match.</p>` : ''}
${pager('/admin/dashboard/usage', { ...filters, from: breakdown.from, to: breakdown.to }, breakdown.nextCursor)}`;
}

export function jobsPage(input: {
  queue: QueueCounts;
  dead: { items: DeadJob[]; nextCursor: string | null };
  csrf: string;
  notice?: string | undefined;
  error?: string | undefined;
}) {
  return html`<h1>Jobs</h1>
${messages(input)}
<dl class="cards">
${card('queue.queued', 'Queued', input.queue.queued, integer(input.queue.queued))}
${card('queue.running', 'Running', input.queue.running, integer(input.queue.running))}
${card('queue.dead', 'Dead', input.queue.dead, integer(input.queue.dead))}
</dl>
<h2>Dead jobs <span class="muted">(most recently failed first)</span></h2>
<table id="dead-jobs">
<thead><tr><th>Job</th><th>Kind</th><th>Attempts</th><th>Last error</th><th>Payload</th><th>Failed at</th><th></th></tr></thead>
<tbody>
${input.dead.items.map(
  (j) => html`<tr data-job="${j.id}">
<td><code>${j.id}</code></td><td>${j.kind}</td><td class="n">${j.attempts}</td><td><pre>${j.lastError ?? ''}</pre></td>
<td><pre>${JSON.stringify(j.payload)}</pre></td><td>${when(j.failedAt)}</td>
<td><form class="inline" method="post" action="/admin/dashboard/jobs/${j.id}/retry">${csrfField(input.csrf)}<button type="submit">Retry</button></form></td>
</tr>`,
)}
</tbody></table>
${input.dead.items.length === 0 ? html`<p class="muted">No dead jobs.</p>` : ''}
${pager('/admin/dashboard/jobs', {}, input.dead.nextCursor)}`;
}

export interface AgentsFilters {
  user_id?: string | undefined;
  tool?: string | undefined;
  status?: string | undefined;
  run_id?: string | undefined;
}

export function agentsPage(input: {
  filters: AgentsFilters;
  runs: { items: AgentRun[]; nextCursor: string | null } | undefined;
  audit: { items: AuditEntry[]; nextCursor: string | null };
}) {
  const { filters } = input;
  return html`<h1>Agent runs and tool calls</h1>
<form class="filters" method="get" action="/admin/dashboard/agents">
<label>User<input name="user_id" value="${filters.user_id ?? ''}"></label>
<label>Tool<input name="tool" value="${filters.tool ?? ''}"></label>
<label>Call status<select name="status"><option value="">any</option>${toolCallStatuses.map(
    (s) => html`<option ${s === filters.status ? 'selected' : ''}>${s}</option>`,
  )}</select></label>
<label>Run<input name="run_id" value="${filters.run_id ?? ''}" size="36"></label>
<button type="submit">Filter</button></form>
${
  input.runs
    ? html`<h2>Latest runs of <code>${filters.user_id}</code></h2>
<table id="runs"><thead><tr><th>Run</th><th>Profile</th><th>Status</th><th>Stop reason</th><th>Steps</th><th>Tool calls</th><th>Tokens</th><th>Cost</th><th>Created</th></tr></thead>
<tbody>${input.runs.items.map(
        (
          r,
        ) => html`<tr data-run="${r.id}"><td><a href="/admin/dashboard/agents?run_id=${r.id}"><code>${r.id}</code></a></td><td>${r.profile}</td><td>${r.status}</td><td>${r.stopReason ?? ''}</td>
<td class="n">${r.steps.length}</td><td class="n">${r.steps.reduce((n, s) => n + s.toolCalls.length, 0)}</td><td class="n">${integer(r.usage.tokensIn + r.usage.tokensOut)}</td><td class="n">${usd(r.usage.costUsd)}</td><td>${when(r.createdAt)}</td></tr>`,
      )}</tbody></table>
${input.runs.items.length === 0 ? html`<p class="muted">No runs.</p>` : ''}`
    : html`<p class="muted">Name a user to list their runs.</p>`
}
<h2>Tool calls <span class="muted">(newest first)</span></h2>
<table id="tool-calls"><thead><tr><th>When</th><th>User</th><th>Run</th><th>Step</th><th>Tool</th><th>Decision</th><th>Status</th><th>Latency</th><th>Arguments</th><th>Error</th></tr></thead>
<tbody>${input.audit.items.map(
    (
      a,
    ) => html`<tr data-audit="${a.id}"><td>${when(a.createdAt)}</td><td><code>${a.userId}</code></td><td><a href="/admin/dashboard/agents?run_id=${a.runId}"><code>${a.runId.slice(0, 8)}</code></a></td>
<td class="n">${a.step}</td><td>${a.tool}</td><td>${a.decision}</td><td>${a.status}</td><td class="n">${ms(a.latencyMs)}</td><td><pre>${JSON.stringify(a.arguments)}</pre></td><td>${a.error ?? ''}</td></tr>`,
  )}</tbody></table>
${input.audit.items.length === 0 ? html`<p class="muted">No tool calls match.</p>` : ''}
${pager('/admin/dashboard/agents', { ...filters }, input.audit.nextCursor)}`;
}

export interface AuditFilters {
  actor_id?: string | undefined;
  action?: string | undefined;
  target?: string | undefined;
}

export function auditPage(input: {
  filters: AuditFilters;
  page: { items: AdminAuditEntry[]; nextCursor: string | null };
}) {
  const { filters } = input;
  return html`<h1>Admin audit</h1>
<form class="filters" method="get" action="/admin/dashboard/audit">
<label>Admin<input name="actor_id" value="${filters.actor_id ?? ''}"></label>
<label>Action<input name="action" value="${filters.action ?? ''}" placeholder="job.retry"></label>
<label>Target<input name="target" value="${filters.target ?? ''}" placeholder="user:alice"></label>
<button type="submit">Filter</button></form>
<table id="admin-audit"><thead><tr><th>When</th><th>Admin</th><th>Action</th><th>Target</th><th>Details</th><th>Request</th></tr></thead>
<tbody>${input.page.items.map(
    (
      e,
    ) => html`<tr data-entry="${e.id}"><td>${when(e.createdAt)}</td><td><code>${e.actorId}</code></td><td data-field="action">${e.action}</td><td data-field="target"><code>${e.target}</code></td>
<td><pre>${JSON.stringify(e.details)}</pre></td><td><code>${e.requestId ?? ''}</code></td></tr>`,
  )}</tbody></table>
${input.page.items.length === 0 ? html`<p class="muted">No admin actions match.</p>` : ''}
${pager('/admin/dashboard/audit', { ...filters }, input.page.nextCursor)}`;
}
