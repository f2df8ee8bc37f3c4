DROP INDEX "chunks_tsv_idx";--> statement-breakpoint
ALTER TABLE "chunks" ADD COLUMN "weighted_tsv" "tsvector";--> statement-breakpoint
-- Kept inline: ranking reads it for every candidate, and a TOAST fetch per row cost more than the rank.
ALTER TABLE "chunks" ALTER COLUMN "weighted_tsv" SET STORAGE MAIN;--> statement-breakpoint
-- Backfill, as ingestion now fills it: title (A), heading path without a repeated title (B), text (D).
UPDATE "chunks" c SET "weighted_tsv" =
	setweight(to_tsvector('english', d.title), 'A')
	|| setweight(to_tsvector('english', array_to_string(
		CASE WHEN c.heading_path[1] = d.title THEN c.heading_path[2:] ELSE c.heading_path END, ' ')), 'B')
	|| setweight(to_tsvector('english', c.text), 'D')
FROM "documents" d WHERE d.id = c.document_id;--> statement-breakpoint
ALTER TABLE "chunks" ALTER COLUMN "weighted_tsv" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "chunks_weighted_tsv_idx" ON "chunks" USING gin ("weighted_tsv");--> statement-breakpoint
ALTER TABLE "chunks" DROP COLUMN "tsv";
