CREATE TABLE "http_request_stats" (
	"minute" timestamp with time zone NOT NULL,
	"method" text NOT NULL,
	"route" text NOT NULL,
	"status" smallint NOT NULL,
	"requests" integer NOT NULL,
	"latency_ms_sum" double precision NOT NULL,
	"latency_buckets" integer[] NOT NULL,
	CONSTRAINT "http_request_stats_minute_method_route_status_pk" PRIMARY KEY("minute","method","route","status")
);
