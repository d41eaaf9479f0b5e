//! Quizzes, without HTTP: the question banks and their validation ([`bank`]), generated questions whose
//! numbers come from the widget models ([`generate`]), what a learner is shown for an attempt ([`present`]), the sealed form that keeps what
//! the server chose for an attempt and the opaque tokens that stand for options ([`form`]),
//! grading ([`grade`]), the review schedule ([`schedule`]) and mastery, the one rule every progress figure
//! follows ([`mastery`]).

pub mod bank;
pub mod form;
pub mod generate;
pub mod grade;
pub mod mastery;
pub mod present;
pub mod schedule;
