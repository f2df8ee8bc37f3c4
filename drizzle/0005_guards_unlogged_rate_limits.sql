-- Rate-limit counters are short-lived and cheap to lose: without WAL a hit commits without a disk flush.
-- A crash or a failover to a standby resets them (standbys do not receive unlogged tables).
ALTER TABLE "rate_limit_buckets" SET UNLOGGED;
