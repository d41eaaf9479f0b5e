//! Throttling guesses: passwords at `/login`, new accounts at `/signup`, class join codes. It slows attackers
//! down without giving them a way to lock anyone else out (OWASP Authentication Cheat Sheet, "Protect
//! against automated attacks": throttle rather than lock, per account and per source, with growing delays).
//!
//! An attempt is counted in its *lanes* — a name from one address, a name from everywhere, one address —
//! before the password or code is checked, in one write transaction ([`crate::store::throttle::update`]), so a
//! burst of parallel requests sees its own count grow instead of all passing the same check. A right answer
//! takes the count back ([`Reservation::release`]); a wrong one leaves it. Refusals carry how long to wait
//! ([`Wait`]), shown in Japanese and sent as `Retry-After`.
//!
//! The numbers, and why:
//! - **A name from one address** ([`LOGIN_PAIR`]): 5 attempts back to back (typos, caps lock), then each
//!   further one waits 1, 2, 4, … s after the previous, up to 15 min. A person never notices the first
//!   waits (typing takes longer); a script at one address gets 5 + ~10 guesses in the first 17 minutes, then
//!   4 an hour (~100 a day). The lane belongs to that address alone: the owner logging in from elsewhere is
//!   not in it, so failures at one address never lock the account at another.
//! - **A name from everywhere** ([`LOGIN_NAME`]): 100 attempts, then one per 36 s — about 100 an hour for a
//!   name under a distributed attack. One address cannot get there (its own lane allows ~15 in the first
//!   hour), and addresses where the name logged in or signed up within 30 days ([`KNOWN_FOR_MS`]) skip this
//!   lane, so even a botnet does not keep the owner out at their usual address.
//! - **One address, every name** ([`LOGIN_ADDRESS`]): 50 attempts, then one per 5 s (at most 720 an hour):
//!   password spraying from one address slows down, but a school behind one NAT address is never locked —
//!   its learners' names are known there after their first login or sign-up and skip this lane, and a
//!   newcomer waits seconds, not minutes.
//! - **Sign-ups from one address** ([`SIGNUP`]): 30 back to back (a class signing up at the start of a
//!   lesson behind one address), then one per 2 minutes (30 an hour).
//! - **Join codes**: wrong codes per user ([`JOIN_USER`]: 5, then 1, 2, 4, … s up to 10 min) and per address
//!   ([`JOIN_ADDRESS`]: 30 — a class mistyping the code together — then 1, 2, 4, … s up to 1 min). A code is
//!   8 characters from 31 (31⁸ ≈ 8.5 × 10¹¹), so ~60 guesses an hour per address find nothing.
//!
//! IPv6 addresses count per /64, the block one customer gets: otherwise one machine could use a new
//! address for every guess.

use crate::content::Language;
use crate::db::Db;
use crate::store::throttle::{self as lanes, LaneRow, Write};
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// How one lane slows attempts down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Attempts allowed back to back before any wait.
    pub free: i64,
    /// The wait after the first attempt beyond `free`, measured from that attempt; it doubles with each
    /// further attempt…
    pub first_wait_ms: i64,
    /// …up to this. Equal to `first_wait_ms` for a steady pace instead of a growing one.
    pub max_wait_ms: i64,
    /// A lane with no attempt for this long starts again from zero.
    pub forget_after_ms: i64,
}

impl Policy {
    /// The wait an attempt needs after `failures` counted attempts, from the last of them.
    pub fn delay_ms(&self, failures: i64) -> i64 {
        if failures < self.free {
            return 0;
        }
        // Capped doublings: 2^30 times any first wait here is past every maximum, and cannot overflow.
        let doublings = (failures - self.free).min(30) as u32;
        self.first_wait_ms
            .saturating_mul(1i64 << doublings)
            .min(self.max_wait_ms)
    }

    /// The lane's state as it counts at `now`: nothing once it has been quiet for `forget_after_ms`.
    pub fn remembered(&self, row: Option<LaneRow>, now: i64) -> Option<LaneRow> {
        row.filter(|r| now - r.last_at < self.forget_after_ms)
    }

    /// How long an attempt at `now` must still wait; 0 when it may go ahead.
    pub fn wait_ms(&self, row: Option<LaneRow>, now: i64) -> i64 {
        match self.remembered(row, now) {
            Some(r) if r.failures >= self.free => {
                (r.last_at + self.delay_ms(r.failures) - now).max(0)
            }
            _ => 0,
        }
    }

    /// The lane after one more attempt at `now` (never moving `last_at` back, should clocks disagree).
    fn counted(&self, row: Option<LaneRow>, now: i64) -> LaneRow {
        let remembered = self.remembered(row, now);
        LaneRow {
            failures: remembered.map_or(0, |r| r.failures) + 1,
            last_at: remembered.map_or(now, |r| r.last_at.max(now)),
        }
    }
}

/// One name from one address.
pub const LOGIN_PAIR: Policy = Policy {
    free: 5,
    first_wait_ms: SECOND,
    max_wait_ms: 15 * MINUTE,
    forget_after_ms: DAY,
};
/// One name from every address where it is not known.
pub const LOGIN_NAME: Policy = Policy {
    free: 100,
    first_wait_ms: 36 * SECOND,
    max_wait_ms: 36 * SECOND,
    forget_after_ms: HOUR,
};
/// Every name not known at one address, from that address.
pub const LOGIN_ADDRESS: Policy = Policy {
    free: 50,
    first_wait_ms: 5 * SECOND,
    max_wait_ms: 5 * SECOND,
    forget_after_ms: HOUR,
};
/// A name is known at an address for this long after logging in or signing up there.
pub const KNOWN_FOR_MS: i64 = 30 * DAY;
/// Accounts created from one address.
pub const SIGNUP: Policy = Policy {
    free: 30,
    first_wait_ms: 2 * MINUTE,
    max_wait_ms: 2 * MINUTE,
    forget_after_ms: HOUR,
};
/// Wrong join codes from one user.
pub const JOIN_USER: Policy = Policy {
    free: 5,
    first_wait_ms: SECOND,
    max_wait_ms: 10 * MINUTE,
    forget_after_ms: HOUR,
};
/// Wrong join codes from one address.
pub const JOIN_ADDRESS: Policy = Policy {
    free: 30,
    first_wait_ms: SECOND,
    max_wait_ms: MINUTE,
    forget_after_ms: HOUR,
};

// Lane kinds, as stored in `throttle.kind`.
const KIND_LOGIN_PAIR: &str = "login-pair";
const KIND_LOGIN_NAME: &str = "login-name";
const KIND_LOGIN_ADDRESS: &str = "login-address";
const KIND_LOGIN_KNOWN: &str = "login-known";
const KIND_SIGNUP: &str = "signup";
const KIND_JOIN_USER: &str = "join-user";
const KIND_JOIN_ADDRESS: &str = "join-address";

/// Which limit an attempt ran into: it decides what the visitor is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    LoginPair,
    LoginName,
    LoginAddress,
    Signup,
    JoinUser,
    JoinAddress,
}

/// An attempt refused for now: why, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub reason: Reason,
    pub ms: i64,
}

impl Wait {
    /// Whole seconds to wait, rounded up, at least 1 (the `Retry-After` value).
    pub fn secs(&self) -> u64 {
        (self.ms.max(1) as u64).div_ceil(1000)
    }

    /// What the visitor is told, in Japanese, with the wait.
    /// What the visitor is told, in the course's language.
    pub fn message(&self, language: Language) -> String {
        if language == Language::En {
            return self.message_en();
        }
        let t = wait_text(self.secs());
        match self.reason {
            Reason::LoginPair => format!(
                "ログインの失敗が続いたため、しばらくこのユーザー名でのログインを受け付けません。あと {t}ほど待ってから、もう一度お試しください。"
            ),
            Reason::LoginName => format!(
                "このユーザー名へのログインの失敗が多いため、しばらく受け付けを遅らせています。あと {t}ほど待ってから、もう一度お試しください（いつもログインしている場所からは待たずにログインできます）。"
            ),
            Reason::LoginAddress => format!(
                "このネットワークからのログインの失敗が多いため、しばらく受け付けを遅らせています。あと {t}ほど待ってから、もう一度お試しください。"
            ),
            Reason::Signup => format!(
                "このネットワークからの登録が続いたため、しばらく新しいアカウントを作れません。あと {t}ほど待ってから、もう一度お試しください。"
            ),
            Reason::JoinUser => format!(
                "参加コードの入力間違いが続いたため、しばらくお待ちください。あと {t}ほど待ってから、コードを確かめてもう一度入力してください。"
            ),
            Reason::JoinAddress => format!(
                "このネットワークからの参加コードの入力間違いが多いため、しばらくお待ちください。あと {t}ほど待ってから、もう一度お試しください。"
            ),
        }
    }

    fn message_en(&self) -> String {
        let secs = self.secs();
        let t = if secs < 60 {
            format!("{secs} s")
        } else if secs < 3600 {
            format!("{} min", secs.div_ceil(60))
        } else {
            format!("{} h", secs.div_ceil(3600))
        };
        let what = match self.reason {
            Reason::LoginPair => "Too many failed logins for this user name",
            Reason::LoginName => {
                "Too many failed logins for this user name (from where you usually log in, you need not wait)"
            }
            Reason::LoginAddress => "Too many failed logins from this network",
            Reason::Signup => "Too many sign-ups from this network",
            Reason::JoinUser => "Too many wrong join codes",
            Reason::JoinAddress => "Too many wrong join codes from this network",
        };
        format!("{what}. Please try again in about {t}.")
    }
}

/// "5 秒", "3 分", "2 時間": rounded up, so the visitor never comes back too early.
pub fn wait_text(secs: u64) -> String {
    if secs < 60 {
        format!("{secs} 秒")
    } else if secs < 3600 {
        format!("{} 分", secs.div_ceil(60))
    } else {
        format!("{} 時間", secs.div_ceil(3600))
    }
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The key an address is throttled under: IPv4 as is, IPv6 by its /64 (one customer's block), an IPv4
/// address mapped into IPv6 as IPv4. Anything unparsable (tests without a socket say "unknown") as given.
pub fn address_key(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => address.to_string(),
    }
}

/// The key of a (name, address) lane. The address key has no space, so this is unambiguous.
fn pair_key(name: &str, address: &str) -> String {
    format!("{} {name}", address_key(address))
}

/// One lane an attempt is checked against and counted in.
struct Lane {
    kind: &'static str,
    key: String,
    policy: Policy,
    reason: Reason,
}

/// Inside the write lock: the longest wait any active lane asks for; or, if none, the active lanes with this
/// attempt counted.
fn check_and_count(
    lanes: &[Lane],
    rows: &[Option<LaneRow>],
    active: &[bool],
    now: i64,
) -> (Result<(), Wait>, Vec<Write>) {
    let longest = lanes
        .iter()
        .zip(rows)
        .zip(active)
        .filter(|(_, on)| **on)
        .map(|((lane, row), _)| Wait {
            reason: lane.reason,
            ms: lane.policy.wait_ms(*row, now),
        })
        .max_by_key(|w| w.ms);
    if let Some(wait) = longest.filter(|w| w.ms > 0) {
        return (Err(wait), Vec::new());
    }
    let writes = lanes
        .iter()
        .zip(rows)
        .zip(active)
        .map(|((lane, row), on)| {
            if *on {
                Write::Put(lane.policy.counted(*row, now))
            } else {
                Write::Keep
            }
        })
        .collect();
    (Ok(()), writes)
}

/// An attempt counted before it was checked. Wrong: drop it, it stays counted. Right, or never checked (the
/// server was too busy): [`Reservation::release`] takes the count back.
#[derive(Debug)]
#[must_use = "an attempt that turns out right must give its count back"]
pub struct Reservation {
    /// The lanes it was counted in, as (kind, key).
    counted: Vec<(&'static str, String)>,
}

impl Reservation {
    /// Takes this attempt's count back from every lane it was counted in (it was right, or not checked).
    pub async fn release(self, db: &Db) -> Result<(), sqlx::Error> {
        self.settle(db, None, now_ms()).await
    }

    /// Gives the count back, and with `success` — a login's (name, address) — forgets that pair's failures
    /// and remembers the name as known there.
    async fn settle(self, db: &Db, success: Option<&str>, now: i64) -> Result<(), sqlx::Error> {
        let mut keys: Vec<(&str, &str)> = self
            .counted
            .iter()
            .map(|(kind, key)| (*kind, key.as_str()))
            .collect();
        if let Some(pair) = success {
            keys.push((KIND_LOGIN_KNOWN, pair));
        }
        lanes::update(db, &keys, |rows| {
            let writes = keys
                .iter()
                .zip(rows)
                .map(|((kind, _), row)| match (*kind, success) {
                    (KIND_LOGIN_PAIR, Some(_)) => Write::Delete,
                    (KIND_LOGIN_KNOWN, _) => Write::Put(LaneRow {
                        failures: 0,
                        last_at: now,
                    }),
                    _ => row.map_or(Write::Keep, |r| {
                        Write::Put(LaneRow {
                            failures: (r.failures - 1).max(0),
                            last_at: r.last_at,
                        })
                    }),
                })
                .collect();
            ((), writes)
        })
        .await
    }
}

/// Counts a login attempt for `name` from `address` before its password is checked, or says how long it
/// must wait. The (name, address) lane always applies; the per-name and per-address lanes only where the
/// name is not known at this address.
pub async fn reserve_login(
    db: &Db,
    name: &str,
    address: &str,
) -> Result<Result<Reservation, Wait>, sqlx::Error> {
    let pair = pair_key(name, address);
    let lanes = [
        Lane {
            kind: KIND_LOGIN_PAIR,
            key: pair.clone(),
            policy: LOGIN_PAIR,
            reason: Reason::LoginPair,
        },
        Lane {
            kind: KIND_LOGIN_NAME,
            key: name.to_string(),
            policy: LOGIN_NAME,
            reason: Reason::LoginName,
        },
        Lane {
            kind: KIND_LOGIN_ADDRESS,
            key: address_key(address),
            policy: LOGIN_ADDRESS,
            reason: Reason::LoginAddress,
        },
    ];
    let mut keys: Vec<(&str, &str)> = lanes.iter().map(|l| (l.kind, l.key.as_str())).collect();
    keys.push((KIND_LOGIN_KNOWN, &pair));
    let verdict = lanes::update(db, &keys, |rows| {
        // The time is read under the lock, so attempts are counted in the order they happened.
        let now = now_ms();
        let known = rows[3].is_some_and(|r| now - r.last_at < KNOWN_FOR_MS);
        let active = [true, !known, !known];
        let (verdict, mut writes) = check_and_count(&lanes, &rows[..3], &active, now);
        writes.push(Write::Keep);
        (verdict.map(|()| active), writes)
    })
    .await?;
    Ok(verdict.map(|active| Reservation {
        counted: lanes
            .iter()
            .zip(active)
            .filter(|(_, on)| *on)
            .map(|(lane, _)| (lane.kind, lane.key.clone()))
            .collect(),
    }))
}

/// A right password: the attempt's count is given back, the (name, address) lane forgotten, and the name
/// becomes known at this address.
pub async fn login_succeeded(
    db: &Db,
    reservation: Reservation,
    name: &str,
    address: &str,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    reservation
        .settle(db, Some(&pair_key(name, address)), now)
        .await?;
    sweep_now_and_then(db, now).await
}

/// A new account: its name is known at the address it was created from (its first login there).
pub async fn signed_up(db: &Db, name: &str, address: &str) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let pair = pair_key(name, address);
    lanes::update(db, &[(KIND_LOGIN_KNOWN, &pair)], |_| {
        (
            (),
            vec![Write::Put(LaneRow {
                failures: 0,
                last_at: now,
            })],
        )
    })
    .await?;
    sweep_now_and_then(db, now).await
}

/// Counts a sign-up from `address` before the password is hashed, or says how long to wait. Once the
/// account exists the count stays (it counts accounts, not mistakes); release it if none was created.
pub async fn reserve_signup(
    db: &Db,
    address: &str,
) -> Result<Result<Reservation, Wait>, sqlx::Error> {
    reserve(
        db,
        vec![Lane {
            kind: KIND_SIGNUP,
            key: address_key(address),
            policy: SIGNUP,
            reason: Reason::Signup,
        }],
    )
    .await
}

/// Counts a join-code attempt by `user_id` from `address` before the code is looked up, or says how long
/// to wait. Release it when the code was right.
pub async fn reserve_join(
    db: &Db,
    user_id: i64,
    address: &str,
) -> Result<Result<Reservation, Wait>, sqlx::Error> {
    reserve(
        db,
        vec![
            Lane {
                kind: KIND_JOIN_USER,
                key: user_id.to_string(),
                policy: JOIN_USER,
                reason: Reason::JoinUser,
            },
            Lane {
                kind: KIND_JOIN_ADDRESS,
                key: address_key(address),
                policy: JOIN_ADDRESS,
                reason: Reason::JoinAddress,
            },
        ],
    )
    .await
}

/// Checks and counts an attempt in every one of `lanes`.
async fn reserve(db: &Db, lanes: Vec<Lane>) -> Result<Result<Reservation, Wait>, sqlx::Error> {
    let keys: Vec<(&str, &str)> = lanes.iter().map(|l| (l.kind, l.key.as_str())).collect();
    let active = vec![true; lanes.len()];
    let verdict = lanes::update(db, &keys, |rows| {
        check_and_count(&lanes, rows, &active, now_ms())
    })
    .await?;
    Ok(verdict.map(|()| Reservation {
        counted: lanes.into_iter().map(|l| (l.kind, l.key)).collect(),
    }))
}

/// After an account is deleted: its name's lanes (they hold the name and the addresses it came from) and
/// its join-code lane go with it, and a newcomer taking the name starts with none.
pub async fn forget_account(db: &Db, name: &str, user_id: i64) -> Result<(), sqlx::Error> {
    lanes::forget(
        db,
        &[KIND_LOGIN_NAME],
        name,
        &[KIND_LOGIN_PAIR, KIND_LOGIN_KNOWN],
        name,
    )
    .await?;
    lanes::forget(db, &[KIND_JOIN_USER], &user_id.to_string(), &[], "").await
}

/// When this process last swept old lanes (unix ms).
static LAST_SWEEP: AtomicI64 = AtomicI64::new(0);

/// At most once an hour per process, on a success, deletes lanes quiet for longer than their policy
/// remembers: they count as empty anyway, and names an attacker invented should not stay for ever.
async fn sweep_now_and_then(db: &Db, now: i64) -> Result<(), sqlx::Error> {
    let last = LAST_SWEEP.load(Ordering::Relaxed);
    if now - last < HOUR
        || LAST_SWEEP
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return Ok(());
    }
    for (kind, keep_ms) in [
        (KIND_LOGIN_PAIR, LOGIN_PAIR.forget_after_ms),
        (KIND_LOGIN_NAME, LOGIN_NAME.forget_after_ms),
        (KIND_LOGIN_ADDRESS, LOGIN_ADDRESS.forget_after_ms),
        (KIND_LOGIN_KNOWN, KNOWN_FOR_MS),
        (KIND_SIGNUP, SIGNUP.forget_after_ms),
        (KIND_JOIN_USER, JOIN_USER.forget_after_ms),
        (KIND_JOIN_ADDRESS, JOIN_ADDRESS.forget_after_ms),
    ] {
        lanes::sweep(db, kind, now - keep_ms).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(failures: i64, last_at: i64) -> Option<LaneRow> {
        Some(LaneRow { failures, last_at })
    }

    #[test]
    fn waits_start_after_the_free_attempts_and_double_up_to_the_cap() {
        let delays: Vec<i64> = (0..20).map(|f| LOGIN_PAIR.delay_ms(f) / 1000).collect();
        assert_eq!(
            delays,
            [
                0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900, 900
            ]
        );
        assert_eq!(LOGIN_PAIR.delay_ms(i64::MAX), 15 * MINUTE, "no overflow");
        assert_eq!(LOGIN_NAME.delay_ms(99), 0);
        assert_eq!(LOGIN_NAME.delay_ms(100), 36 * SECOND);
        assert_eq!(LOGIN_NAME.delay_ms(5000), 36 * SECOND, "a steady pace");
    }

    #[test]
    fn a_wait_runs_from_the_last_attempt_and_a_quiet_lane_is_forgotten() {
        let now = 1_000_000_000;
        assert_eq!(LOGIN_PAIR.wait_ms(None, now), 0);
        assert_eq!(LOGIN_PAIR.wait_ms(row(4, now), now), 0);
        assert_eq!(LOGIN_PAIR.wait_ms(row(5, now), now), 1000);
        assert_eq!(LOGIN_PAIR.wait_ms(row(7, now - 1500), now), 2500);
        assert_eq!(LOGIN_PAIR.wait_ms(row(7, now - 5000), now), 0);
        assert_eq!(LOGIN_PAIR.wait_ms(row(50, now - DAY), now), 0, "forgotten");
        assert_eq!(LOGIN_PAIR.counted(row(50, now - DAY), now).failures, 1);
        assert_eq!(LOGIN_PAIR.counted(row(6, now - 10), now).failures, 7);
    }

    #[test]
    fn the_longest_wait_wins_and_inactive_lanes_are_neither_checked_nor_counted() {
        let now = 10 * DAY;
        let lanes = [
            Lane {
                kind: KIND_LOGIN_PAIR,
                key: "a".into(),
                policy: LOGIN_PAIR,
                reason: Reason::LoginPair,
            },
            Lane {
                kind: KIND_LOGIN_NAME,
                key: "n".into(),
                policy: LOGIN_NAME,
                reason: Reason::LoginName,
            },
        ];
        let hot_name = [row(0, now), row(500, now)];
        let (verdict, writes) = check_and_count(&lanes, &hot_name, &[true, true], now);
        assert_eq!(
            verdict,
            Err(Wait {
                reason: Reason::LoginName,
                ms: 36_000
            })
        );
        assert!(writes.is_empty(), "a refusal writes nothing");
        let (verdict, writes) = check_and_count(&lanes, &hot_name, &[true, false], now);
        assert_eq!(verdict, Ok(()));
        assert_eq!(
            writes,
            [
                Write::Put(LaneRow {
                    failures: 1,
                    last_at: now
                }),
                Write::Keep
            ]
        );
    }

    #[test]
    fn waits_are_told_in_words_and_rounded_up() {
        assert_eq!(wait_text(1), "1 秒");
        assert_eq!(wait_text(59), "59 秒");
        assert_eq!(wait_text(61), "2 分");
        assert_eq!(wait_text(900), "15 分");
        assert_eq!(wait_text(3601), "2 時間");
        let wait = Wait {
            reason: Reason::LoginPair,
            ms: 1001,
        };
        assert_eq!(wait.secs(), 2);
        assert!(
            wait.message(Language::Ja).contains("あと 2 秒"),
            "{}",
            wait.message(Language::Ja)
        );
        assert_eq!(
            Wait {
                reason: Reason::Signup,
                ms: 0
            }
            .secs(),
            1
        );
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(address_key("192.0.2.7"), "192.0.2.7");
        assert_eq!(
            address_key("2001:db8:1:2:aaaa::1"),
            address_key("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_eq!(address_key("2001:db8:1:2::9"), "2001:db8:1:2::/64");
        assert_ne!(address_key("2001:db8:1:3::1"), "2001:db8:1:2::/64");
        assert_eq!(address_key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(address_key("unknown"), "unknown");
        assert_eq!(
            pair_key("erin", "2001:db8:1:2::9"),
            "2001:db8:1:2::/64 erin"
        );
    }
}
