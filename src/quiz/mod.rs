//! Quizzes, without HTTP: the question banks and their validation ([`bank`]), generated questions whose
//! numbers come from the widget models ([`generate`]), what a learner is shown for an attempt ([`present`]), the sealed form that keeps what
//! the server chose for an attempt and the opaque tokens that stand for options ([`form`]),
//! grading ([`grade`]) and the review schedule ([`schedule`]).

pub mod bank;
pub mod form;
pub mod generate;
pub mod grade;
pub mod present;
pub mod schedule;
