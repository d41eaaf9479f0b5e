//! Quizzes, without HTTP: the question banks and their validation ([`bank`]), generated questions whose
//! numbers come from the widget models ([`generate`]), what a learner is shown for an attempt ([`present`]),
//! grading ([`grade`]) and the review schedule ([`schedule`]).

pub mod bank;
pub mod generate;
pub mod grade;
pub mod present;
pub mod schedule;
