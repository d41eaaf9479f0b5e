-- Secrets a deployment makes for itself on first start and shares between its instances through the
-- database: today the key that seals quiz forms (src/quiz/form.rs). Never sent to a client.
create table server_secret (
    name text primary key,
    value blob not null,
    created_at integer not null
);
