-- Full-text search over the rendered course: notes blocks, annotations and supplements.
-- Rebuilt from the content at every start. The trigram tokenizer matches Japanese without word
-- segmentation; queries under three characters fall back to LIKE on the same table.
create virtual table search_entry using fts5(
    slug unindexed,
    anchor unindexed,
    kind unindexed,
    body,
    tokenize = 'trigram'
);
