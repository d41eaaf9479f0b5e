-- The learning loop: FSRS review states, partial credit, the quiz's per-question check and review
-- attempts. Additive only.

-- FSRS memory state per learner and question (src/quiz/schedule.rs): stability in days (recall falls to
-- 90% after that long) and difficulty (1–10). 0 = no state yet: the next answer schedules it as new.
alter table question_progress add column stability real not null default 0;
alter table question_progress add column difficulty real not null default 0;

-- Existing Leitner boxes become the FSRS state the same answers would have given. A box records answers:
-- box 1 — the last answer was wrong; box n ≥ 2 — n − 1 right answers in a row, each given when the
-- previous box fell due (after 1, 3, 7 days). So box 1 gets FSRS's state after "Again" on a new question,
-- and box n the state after "Good" on a new question followed by "Good" after 1, 3, 7 days — computed
-- with the fsrs crate's default parameters by `quiz::schedule::migrated_memory`, and checked against
-- these literals by its test. The box itself stays (it is the mastery level, 段), and so does each due
-- time, so nobody's review queue changes the day this runs; FSRS sets the next due time at the next answer.
with migrated (level, stability, difficulty) as (values
    (1, 0.2120, 6.4133),
    (2, 2.3065, 2.1181),
    (3, 7.3153, 2.1112),
    (4, 19.8335, 2.1043),
    (5, 45.1455, 2.0975)
)
update question_progress set
    stability = (select m.stability from migrated m where m.level = min(max(question_progress.box, 1), 5)),
    difficulty = (select m.difficulty from migrated m where m.level = min(max(question_progress.box, 1), 5));

-- Partial credit (src/quiz/grade.rs): an answer's credit is the percent of its point earned (0–100); an
-- attempt's is the sum over its answers, so its score in percent is credit / question_count. `correct`
-- and `correct_count` keep counting answers with full credit. Answers stored before were right or wrong.
alter table answer add column credit integer not null default 0;
update answer set credit = correct * 100;
alter table attempt add column credit integer not null default 0;
update attempt set credit = correct_count * 100;

-- Where an attempt comes from: the topic's quiz, or one question of the review loop (/me/review). Review
-- answers move mastery and the schedule, but are not quiz scores.
alter table attempt add column kind text not null default 'quiz' check (kind in ('quiz', 'review'));

-- The quiz's per-question check (確認): the first answer given to a question of one attempt form, keyed by
-- the form's nonce (the attempt's token). Its feedback is shown at once; when the whole attempt is
-- submitted, this answer counts for that question, whatever the form posts for it then, so seeing the
-- feedback and changing the answer earns nothing. Rows go when the attempt is stored, or after two days.
create table attempt_check (
    token text not null,
    question_id text not null,
    response text not null,           -- the response as JSON, in bank terms (quiz::grade::Response)
    created_at integer not null,
    primary key (token, question_id)
) without rowid;
create index attempt_check_created on attempt_check (created_at);

