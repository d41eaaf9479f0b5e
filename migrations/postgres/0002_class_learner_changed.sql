-- As migrations/0013 on SQLite: the members version of the transaction that last changed a member's row,
-- so "needs help" is computed again for the changed members only.
alter table class_learner add column changed bigint not null default 0;
create index class_learner_changed on class_learner (class_id, changed);
