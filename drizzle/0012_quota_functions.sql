-- The plan in force and the current periods for a user (src/billing/quotas/quota-store.ts): the
-- plan named (the free plan when no such plan exists), today (UTC), and the monthly period: the
-- subscription's current one, else the calendar month (UTC). A SQL function, inlined by the planner
-- wherever a statement selects from it.
CREATE FUNCTION cairn_plan_context(p_user_id text, p_plan text)
RETURNS TABLE (
  plan text, req_limit integer, runs_limit integer, tok_limit bigint, cost_limit numeric,
  docs_limit integer, bytes_limit bigint, today date, day_end timestamptz,
  period_start timestamptz, period_end timestamptz
) LANGUAGE sql STABLE AS $$
  select p.name, p.model_requests_per_day, p.agent_runs_per_day, p.tokens_per_month,
    p.cost_usd_per_month, p.documents, p.stored_bytes,
    (now() at time zone 'UTC')::date,
    ((now() at time zone 'UTC')::date + 1)::timestamp at time zone 'UTC',
    coalesce(s.current_period_start, date_trunc('month', now() at time zone 'UTC') at time zone 'UTC'),
    coalesce(s.current_period_end,
      (date_trunc('month', now() at time zone 'UTC') + interval '1 month') at time zone 'UTC')
  from plans p
  left join subscriptions s on s.user_id = p_user_id
    and s.current_period_start <= now() and now() < s.current_period_end
  where p.name in (p_plan, 'free')
  order by p.name = p_plan desc
  limit 1
$$;
--> statement-breakpoint
-- A request's quota reservation in one statement (reserveQuota in src/billing/quotas/quota-store.ts
-- says what it does). In PL/pgSQL so that the statement is prepared once per connection (the plan
-- cache) rather than parsed and planned on every request: the embedded database has no prepared
-- statements, and that was most of the statement's cost there.
CREATE FUNCTION cairn_reserve_quota(
  p_user_id text, p_plan text,
  p_requests integer, p_agent_runs integer, p_tokens bigint, p_cost numeric,
  p_requests_check integer, p_agent_runs_check integer, p_tokens_check bigint, p_cost_check numeric,
  p_reservation_ttl_s double precision
) RETURNS TABLE (
  plan text, today text, period_start timestamptz, period_end timestamptz, day_end timestamptz,
  req_limit integer, runs_limit integer, tok_limit bigint, cost_limit text,
  applied bigint, existed boolean, requests integer, agent_runs integer, tokens bigint, cost text
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  -- A reservation on a row untouched since then belongs to no request still running.
  live_since timestamptz := now() - make_interval(secs => p_reservation_ttl_s);
BEGIN
  RETURN QUERY
  with c as (select * from cairn_plan_context(p_user_id, p_plan)),
  upd as (
    update quota_usage q set
      day = c.today,
      requests_used = (case when q.day = c.today then q.requests_used else 0 end),
      requests_reserved = (case when q.day = c.today and q.updated_at > live_since then q.requests_reserved else 0 end) + p_requests,
      agent_runs_used = (case when q.day = c.today then q.agent_runs_used else 0 end),
      agent_runs_reserved = (case when q.day = c.today and q.updated_at > live_since then q.agent_runs_reserved else 0 end) + p_agent_runs,
      period_start = c.period_start,
      period_end = c.period_end,
      tokens_used = (case when q.period_start = c.period_start then q.tokens_used else 0 end),
      tokens_reserved = (case when q.period_start = c.period_start and q.updated_at > live_since then q.tokens_reserved else 0 end) + p_tokens,
      cost_used_usd = (case when q.period_start = c.period_start then q.cost_used_usd else 0 end),
      cost_reserved_usd = (case when q.period_start = c.period_start and q.updated_at > live_since then q.cost_reserved_usd else 0 end) + p_cost,
      updated_at = now()
    from c
    where q.user_id = p_user_id
      and (c.req_limit is null or p_requests_check = 0
        or (case when q.day = c.today then q.requests_used else 0 end)
          + (case when q.day = c.today and q.updated_at > live_since then q.requests_reserved else 0 end) + p_requests_check <= c.req_limit)
      and (c.runs_limit is null or p_agent_runs_check = 0
        or (case when q.day = c.today then q.agent_runs_used else 0 end)
          + (case when q.day = c.today and q.updated_at > live_since then q.agent_runs_reserved else 0 end) + p_agent_runs_check <= c.runs_limit)
      and (c.tok_limit is null or p_tokens_check = 0
        or (case when q.period_start = c.period_start then q.tokens_used else 0 end)
          + (case when q.period_start = c.period_start and q.updated_at > live_since then q.tokens_reserved else 0 end) + p_tokens_check <= c.tok_limit)
      and (c.cost_limit is null or p_cost_check = 0
        or (case when q.period_start = c.period_start then q.cost_used_usd else 0 end)
          + (case when q.period_start = c.period_start and q.updated_at > live_since then q.cost_reserved_usd else 0 end) + p_cost_check <= c.cost_limit)
    returning 1
  ),
  ins as (
    insert into quota_usage (user_id, day, requests_reserved, agent_runs_reserved, period_start, period_end,
      tokens_reserved, cost_reserved_usd)
    select p_user_id, c.today, p_requests, p_agent_runs, c.period_start, c.period_end, p_tokens, p_cost from c
    where (c.req_limit is null or p_requests_check <= c.req_limit)
      and (c.runs_limit is null or p_agent_runs_check <= c.runs_limit)
      and (c.tok_limit is null or p_tokens_check <= c.tok_limit)
      and (c.cost_limit is null or p_cost_check <= c.cost_limit)
    on conflict (user_id) do nothing
    returning 1
  )
  select c.plan, c.today::text, c.period_start, c.period_end, c.day_end, c.req_limit, c.runs_limit,
    c.tok_limit, c.cost_limit::text,
    (select count(*) from upd) + (select count(*) from ins),
    q.user_id is not null,
    (case when q.day = c.today then q.requests_used else 0 end)
      + (case when q.day = c.today and q.updated_at > live_since then q.requests_reserved else 0 end),
    (case when q.day = c.today then q.agent_runs_used else 0 end)
      + (case when q.day = c.today and q.updated_at > live_since then q.agent_runs_reserved else 0 end),
    (case when q.period_start = c.period_start then q.tokens_used else 0 end)
      + (case when q.period_start = c.period_start and q.updated_at > live_since then q.tokens_reserved else 0 end),
    ((case when q.period_start = c.period_start then q.cost_used_usd else 0 end)
      + (case when q.period_start = c.period_start and q.updated_at > live_since then q.cost_reserved_usd else 0 end))::text
  from c left join quota_usage q on q.user_id = p_user_id;
END $$;
