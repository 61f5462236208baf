//! Orders in the database. Every state change is one write transaction, guarded on
//! the state it leaves (and, while fulfilling, on holding the order's lease), so two
//! processes can never both move one order.
//!
//! One module for each thing done to an order: [`row`] reads one, [`list`] finds
//! them, [`insert`] opens one, [`transition`] moves one along the state machine,
//! [`payment`] and [`refund`] record money, [`reveal`] reads codes back, and
//! [`delivered`] is the batch that delivers a sale.

mod claim;
mod delivered;
mod insert;
mod list;
mod payment;
mod refund;
mod reveal;
mod row;
mod transition;

pub use claim::{CLAIM_EXPIRED, claim_taken_before, expire_claims, insert_paid_claim, mark_claim};
pub(crate) use delivered::{Delivered, deliver};
pub use insert::{
    BasketUnit, NewBasket, NewOrder, insert_basket_paid_sending, insert_paid_sending, insert_quoted,
};
pub(crate) use list::stale_quote_ids;
pub use list::{OrderFilter, find, get, list, open_order_ids};
pub use payment::record_payment;
pub(crate) use payment::record_payment_in;
pub use refund::record_refund;
pub(crate) use reveal::read_codes;
pub use reveal::reveal;
pub use transition::cancel;
pub(crate) use transition::{
    FailOver, fail_over, mark_pending, mark_sending, mark_unknown, mark_unsent, refuse,
};
