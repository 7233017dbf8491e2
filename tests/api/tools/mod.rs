//! Upload tools, unmodified: PicList (Lsky Pro V1 and V2, its delete, the PicList server
//! uploader), PicGo (SM.MS with a `backupDomain`), picgo-plugin-web-uploader, each replayed
//! from the bytes it really sent (`clients/captures/`, with `replay_raw.py`'s rules), and
//! ShareX driven from the `.sxcu` picgate hands out. Each test asserts what the tool reads
//! from the answer, so a pass means the user gets their link (or sees why not).
//!
//! - [`captures`]: the captured requests, replayed byte for byte, succeeding;
//! - [`refusals`]: the same clients refused (bad token, wrong type, too large; delete scope
//!   and owner), each told why;
//! - [`lsky`]: Lsky's login for a token and its strategies;
//! - [`sharex`]: the `.sxcu` flow and its deletion links;
//! - [`keys`]: the `{hash}` key template;
//! - [`wire`] and [`client`], [`sharex_client`]: the helpers that play the clients.

mod captures;
mod client;
mod keys;
mod lsky;
mod refusals;
mod sharex;
mod sharex_client;
mod wire;
