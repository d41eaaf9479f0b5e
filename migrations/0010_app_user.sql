-- `user` is a reserved word in PostgreSQL (issue 14): the table of everyone who has a row — guests,
-- learners, instructors — is app_user from here on. SQLite rewrites the foreign keys of the other tables
-- that name it (ALTER TABLE … RENAME TO, SQLite 3.26 and later), so nothing else changes.
alter table user rename to app_user;
