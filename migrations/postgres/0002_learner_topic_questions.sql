-- A learner's per-question aggregates move into their topic's row, as on SQLite (migrations/0013): one JSON
-- object per (learner, topic) keyed by question id, so an attempt writes one learner row per topic.
alter table learner_topic add column questions text not null default '{}';
update learner_topic t set questions = q.questions
from (select user_id, topic,
             json_object_agg(question_id, extra::jsonb || jsonb_build_object(
                 'a', answers, 'c', correct, 'f', first_correct <> 0))::text as questions
      from learner_question group by user_id, topic) q
where q.user_id = t.user_id and q.topic = t.topic;
drop table learner_question;
