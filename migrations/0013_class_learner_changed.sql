-- Which members' rows changed since "needs help" was last computed: `class_learner.changed` is the class's
-- members version (class_stat kind 'version', scope 'members') of the transaction that last changed the row.
-- The overview then computes "needs help" again for those members only (web::instructor::standing), not for
-- every member with a reason (3,836 of 10,000 in the demo data). 0: not changed since this column came.
alter table class_learner add column changed integer not null default 0;
create index class_learner_changed on class_learner (class_id, changed);
