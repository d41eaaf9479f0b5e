-- The search index moved out of the database into memory (store::search::open_index): it is derived from
-- the content, every instance keeps its own, and PostgreSQL has no FTS5. The table (and FTS5's shadow
-- tables with it) goes.
drop table if exists search_entry;
