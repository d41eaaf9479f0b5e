//! Everything HTTP: the route table ([`router`]), one file per area with its handlers and page structs
//! (a folder per endpoint group where an area has several: [`instructor`]), the guards every page that
//! needs an account takes ([`guards`]), the extractors with Japanese rejections and the CSRF-checked form
//! ([`extract`]), static assets, and the layout every page shares.

pub mod account;
pub mod assets;

pub mod auth;
pub mod chrome;
pub mod error;
pub mod extract;
pub mod fast;
pub mod guards;
pub mod health;
pub mod instructor;

pub mod layout;
pub mod live_reload;
pub mod metrics;
pub mod pages;
pub mod precompressed;
pub mod progress;
pub mod quiz;
pub mod review;
pub mod router;
pub mod search;
pub mod session_store;
pub mod signed_gzip;
pub mod state;
pub mod storage;
pub mod visitor;
pub mod watch;
pub mod widgets;
