-- Accounts, quiz attempts and progress.
-- A visitor who takes a quiz without an account gets a 'guest' user, kept in their session; signing up
-- turns that row into a learner in place, and logging in merges it into the account.
create table user (
    user_id integer primary key,
    name text unique,                 -- login name; null for guests
    display_name text not null default '',
    password_hash text,               -- argon2id PHC string; null for guests
    role text not null check (role in ('guest', 'learner', 'instructor')),
    created_at integer not null       -- unix seconds
);

-- Failed logins, for throttling by name and by address.
create table login_failure (
    login_failure_id integer primary key,
    name text not null,
    address text not null,
    created_at integer not null
);
create index login_failure_name on login_failure (name, created_at);
create index login_failure_address on login_failure (address, created_at);

-- One submitted quiz. `token` comes from the quiz form: a second submit of the same form finds it taken.
create table attempt (
    attempt_id integer primary key,
    token text not null unique,
    user_id integer not null references user (user_id) on delete cascade,
    topic text not null,
    seed integer not null,
    question_count integer not null,
    correct_count integer not null,
    duration_ms integer not null,
    created_at integer not null
);
create index attempt_user on attempt (user_id, topic, created_at);
create index attempt_topic on attempt (topic, created_at);

-- One answer of an attempt: what was given (JSON), whether it was right, the misconception it showed.
create table answer (
    answer_id integer primary key,
    attempt_id integer not null references attempt (attempt_id) on delete cascade,
    question_id text not null,
    position integer not null,
    response text not null,
    correct integer not null,
    misconception text,
    time_ms integer not null
);
create index answer_attempt on answer (attempt_id);
create index answer_question on answer (question_id);

-- Per learner and question: the Leitner box and when it is due (see src/quiz/schedule.rs).
create table question_progress (
    user_id integer not null references user (user_id) on delete cascade,
    question_id text not null,
    topic text not null,
    box integer not null,
    due_at integer not null,
    seen integer not null,
    correct integer not null,
    last_correct integer not null,
    last_at integer not null,
    primary key (user_id, question_id)
);
create index question_progress_due on question_progress (user_id, due_at);
create index question_progress_topic on question_progress (user_id, topic);

-- A learner's "reset this topic": scores count only attempts after it; history is kept.
create table topic_reset (
    user_id integer not null references user (user_id) on delete cascade,
    topic text not null,
    after_attempt_id integer not null,   -- the newest attempt id when reset: later attempts count
    reset_at integer not null,
    primary key (user_id, topic)
);

-- A prediction made in a widget (handshake step, fork tree) by a signed-in learner: graded items.
create table widget_answer (
    widget_answer_id integer primary key,
    user_id integer not null references user (user_id) on delete cascade,
    widget text not null,
    scenario text not null,
    step integer not null,
    field text not null,
    answer text not null,
    correct integer not null,
    created_at integer not null
);
create index widget_answer_widget on widget_answer (widget, scenario, step);
create index widget_answer_user on widget_answer (user_id, created_at);
