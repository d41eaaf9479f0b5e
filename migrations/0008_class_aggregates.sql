-- Aggregates the instructor's class views read instead of the answer history (src/store/aggregates.rs keeps
-- them, in the transaction that stores attempts and in those of class joins and leaves, topic resets and guest
-- merges; src/classroom/aggregates.rs defines them). The history stays for drill-downs and CSV exports.
-- A database from before this migration has history and no aggregates: `aggregate_state` stays empty until
-- the next start of the server rebuilds them from the history (store::aggregates::rebuild_if_needed).

-- The learner rows (learner_topic, learner_question, learner_recent) are kept for learners in a class, the
-- only ones the instructor's views read; a learner who joins a class has them made from their history.

-- Per learner and topic: their attempts, mastered questions now (a reset clears them), the score that ranks
-- them (questions whose first answer was right) and the first answers as bit sets (bit: topic_question.bit).
create table learner_topic (
    user_id integer not null references user (user_id) on delete cascade,
    topic text not null,
    attempts integer not null,
    last_at integer not null,
    last_attempt_id integer not null,
    mastered integer not null,
    score integer not null,
    answered_first integer not null,
    right_first integer not null,
    extra text not null,              -- JSON: wrong answers per misconception over the topic
    primary key (user_id, topic)
) without rowid;
-- The most any learner has mastered in a topic: whether a shrunken bank caps anyone.
create index learner_topic_mastered on learner_topic (topic, mastered);

-- Per learner and question: answers, right answers, whether the first was right, and (JSON) the options
-- chosen, wrong answers per misconception, wrong typed responses.
create table learner_question (
    user_id integer not null references user (user_id) on delete cascade,
    topic text not null,
    question_id text not null,
    answers integer not null,
    correct integer not null,
    first_correct integer not null,
    extra text not null,
    primary key (user_id, topic, question_id)
) without rowid;

-- Per learner: answers and wrong answers per topic and Japan-time day over the 14 days up to their latest
-- attempt (JSON [[topic, day, answered, wrong], …]): what "needs help" counts as misses, kept so an attempt
-- does not read the learner's history.
create table learner_recent (
    user_id integer primary key references user (user_id) on delete cascade,
    last_at integer not null,
    days text not null
);

-- A topic's questions as bit positions, given in the order they are first answered and never changed.
create table topic_question (
    topic text not null,
    question_id text not null,
    bit integer not null,
    primary key (topic, question_id)
) without rowid;

-- Per class member, what the grid sorts by and "needs help" reads, in one narrow row.
create table class_learner (
    class_id integer not null references class (class_id) on delete cascade,
    user_id integer not null references user (user_id) on delete cascade,
    sort_name text not null,          -- the name shown, lower-cased: the grid's name order
    attempts integer not null,
    last_at integer,                  -- null: no attempt yet
    mastered integer not null,        -- mastered questions over every topic
    miss_day integer not null,        -- Japan-time day of the latest attempt (0: none)
    miss_counts integer not null,     -- topics with many misses on each of the 14 days from miss_day, 2 bits a day
    primary key (class_id, user_id)
) without rowid;
create index class_learner_name on class_learner (class_id, sort_name, user_id);
-- "Needs help" reads only the members with a reason: inactive (no attempt, or none for a week), misses in
-- the last 14 days, the lowest mastery among those who have started.
create index class_learner_last on class_learner (class_id, last_at);
create index class_learner_misses on class_learner (class_id, miss_day) where miss_counts != 0;
create index class_learner_mastery on class_learner (class_id, mastered, user_id) where last_at is not null;

-- Per class member and topic answered: the score that ranks them and their first answers (bit sets), in
-- ranking order: the members at the edge of a discrimination group are a range.
create table class_rank (
    class_id integer not null references class (class_id) on delete cascade,
    topic text not null,
    score integer not null,
    user_id integer not null,
    answered_first integer not null,
    right_first integer not null,
    primary key (class_id, topic, score, user_id)
) without rowid;

-- Sums over a class's members (kinds: classroom::aggregates): n and m added up, learners = members whose n > 0.
create table class_stat (
    class_id integer not null references class (class_id) on delete cascade,
    kind text not null,
    scope text not null,              -- a topic, or topic US question
    key text not null,
    n integer not null,
    m integer not null,
    learners integer not null,
    primary key (class_id, kind, scope, key)
) without rowid;
-- A question's most common wrong responses: the first few of a range (a large class types many).
create index class_stat_responses on class_stat (class_id, scope, n desc, key) where kind = 'response';

-- Who in a class chose each option, in the order the analysis names them.
create table class_option_member (
    class_id integer not null references class (class_id) on delete cascade,
    scope text not null,
    option integer not null,
    name text not null,
    user_id integer not null,
    primary key (class_id, scope, option, name, user_id)
) without rowid;

-- A row once the aggregates have been built from the history. A database without history has nothing to
-- build: it is marked at once (a database made by `demo-seed` or `user add` before any start stays right).
create table aggregate_state (
    rebuilt_at integer not null
);
insert into aggregate_state (rebuilt_at) select 0 where not exists (select 1 from attempt);
