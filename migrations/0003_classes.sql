-- Classes: an instructor's group of learners, joined with a code.
create table class (
    class_id integer primary key,
    owner_id integer not null references user (user_id) on delete cascade,
    name text not null,
    join_code text not null unique,
    archived_at integer,              -- null while active
    created_at integer not null
);
create index class_owner on class (owner_id);

create table class_member (
    class_id integer not null references class (class_id) on delete cascade,
    user_id integer not null references user (user_id) on delete cascade,
    joined_at integer not null,
    primary key (class_id, user_id)
);
create index class_member_user on class_member (user_id);
