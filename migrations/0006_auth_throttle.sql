-- Throttling for logins, sign-ups and join codes (src/auth/throttle.rs holds the policy and the numbers).
-- One row per lane: a kind ('login-pair', 'login-name', 'login-address', 'login-known', 'signup',
-- 'join-user', 'join-address') and a key (a name, an address, "address name", a user id). An attempt is
-- counted here before its password or code is checked, inside one write transaction, so parallel requests
-- cannot all pass the same check; a success takes its count back.
create table throttle (
    kind text not null,
    key text not null,
    failures integer not null,        -- attempts counted in the lane's current run
    last_at integer not null,         -- unix milliseconds of the last counted attempt (or success, for 'login-known')
    primary key (kind, key)
) without rowid;
-- Sweeping a kind's rows nobody has touched for a long time.
create index throttle_kind_last on throttle (kind, last_at);

-- The per-failure log it replaces: counting rows after the fact let parallel guesses all pass the check.
drop table login_failure;
