CREATE TABLE "agent_profiles" (
	"name" text PRIMARY KEY NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"system_prompt" text NOT NULL,
	"tools" text[] NOT NULL,
	"approval_tools" text[] DEFAULT '{}' NOT NULL,
	"model" text,
	"limits" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agent_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"parent_run_id" uuid,
	"depth" smallint DEFAULT 0 NOT NULL,
	"profile" text NOT NULL,
	"model" text NOT NULL,
	"input" text NOT NULL,
	"status" text NOT NULL,
	"stop_reason" text,
	"answer" text,
	"citations" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"limits" jsonb NOT NULL,
	"tools" text[] NOT NULL,
	"state" jsonb,
	"steps" integer DEFAULT 0 NOT NULL,
	"step_summaries" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"tool_calls" integer DEFAULT 0 NOT NULL,
	"model_calls" integer DEFAULT 0 NOT NULL,
	"tokens_in" integer DEFAULT 0 NOT NULL,
	"tokens_out" integer DEFAULT 0 NOT NULL,
	"cost_usd" numeric(18, 10) DEFAULT '0' NOT NULL,
	"active_ms" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "agent_tool_audit" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "agent_tool_audit_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"created_at" timestamp with time zone NOT NULL,
	"run_id" uuid NOT NULL,
	"step" integer NOT NULL,
	"user_id" text NOT NULL,
	"tool" text NOT NULL,
	"arguments" jsonb NOT NULL,
	"decision" text NOT NULL,
	"status" text NOT NULL,
	"latency_ms" integer NOT NULL,
	"result_bytes" integer NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "agent_trace" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "agent_trace_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"step" integer NOT NULL,
	"kind" text NOT NULL,
	"detail" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_trace" ADD CONSTRAINT "agent_trace_run_id_agent_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."agent_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_runs_owner_created_idx" ON "agent_runs" USING btree ("owner_id","created_at","id");--> statement-breakpoint
CREATE INDEX "agent_runs_parent_idx" ON "agent_runs" USING btree ("parent_run_id");--> statement-breakpoint
CREATE INDEX "agent_tool_audit_created_idx" ON "agent_tool_audit" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "agent_tool_audit_user_idx" ON "agent_tool_audit" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "agent_tool_audit_run_idx" ON "agent_tool_audit" USING btree ("run_id");--> statement-breakpoint
CREATE UNIQUE INDEX "agent_trace_run_seq_idx" ON "agent_trace" USING btree ("run_id","seq");