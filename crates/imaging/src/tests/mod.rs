//! Behaviour tests of the public API, on images generated in the tests (no binary fixtures).
//! One file per rule of the contract.

mod colour;
mod facts;
mod formats;
mod jpeg;
mod limits;
mod metadata;
mod orientation;
mod robustness;
mod sizing;
