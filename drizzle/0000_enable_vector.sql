-- pgvector must exist before any table with a vector column.
CREATE EXTENSION IF NOT EXISTS vector;
