//! Everything HTTP: the route table ([`router`]), one file per area with its handlers and page structs,
//! static assets, and the layout every page shares.

pub mod analysis;
pub mod assets;

pub mod auth;
pub mod chrome;
pub mod extract;
pub mod health;
pub mod instructor;

pub mod layout;
pub mod live_reload;
pub mod pages;
pub mod progress;
pub mod quiz;
pub mod router;
pub mod search;
pub mod storage;
pub mod widgets;
