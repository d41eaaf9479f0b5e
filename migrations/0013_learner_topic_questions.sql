-- A learner's per-question aggregates move into their topic's row: `learner_topic.questions`, one JSON object
-- keyed by question id ({"a": answers, "c": right answers, "f": first answer right, "o"/"t"/"r"/"rt": the
-- tallies `learner_question.extra` held}). An attempt then writes one learner row per topic instead of one per
-- question answered, and the attempt writer reads one packed row set instead of two (bench/quiz.sh: learners in
-- a class; classroom::aggregates::questions_json). Nothing else changes: the class sums are the same numbers.
alter table learner_topic add column questions text not null default '{}';
update learner_topic set questions = (
    select json_group_object(q.question_id, json_patch(json(q.extra), json_object(
               'a', q.answers, 'c', q.correct, 'f', json(case when q.first_correct != 0 then 'true' else 'false' end))))
    from learner_question q
    where q.user_id = learner_topic.user_id and q.topic = learner_topic.topic)
where exists (select 1 from learner_question q
              where q.user_id = learner_topic.user_id and q.topic = learner_topic.topic);
drop table learner_question;
