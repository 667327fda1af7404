//! What the hosted checkout page needs to know, derived from a [`Checkout`]: enough to show the
//! tiers and compute the total in the browser with the same pricing code the server charges with.

use serde::{Deserialize, Serialize};

use super::{
    Currency, Email, MinorUnits,
    billing::{Checkout, CheckoutStatus},
    product::{ProductPrice, RecurringInterval},
};
use crate::domain::pricing::{ProductPricing, SeatTier, SeatTierType, SeatTiers, TierError};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckoutView {
    pub status: CheckoutStatus,
    pub organization_name: String,
    pub product_name: String,
    pub product_description: Option<String>,
    pub recurring_interval: Option<RecurringInterval>,
    pub currency: Currency,
    pub tier_type: SeatTierType,
    pub tiers: Vec<SeatTier>,
    pub fixed: Option<MinorUnits>,
    pub min_seats: u32,
    pub max_seats: u32,
    pub seats: u32,
    pub customer_email: Option<Email>,
    pub amount: MinorUnits,
}

impl From<&Checkout> for CheckoutView {
    fn from(c: &Checkout) -> Self {
        let seat_price = c.product.prices.iter().find_map(|p| match p {
            ProductPrice::SeatBased(s) => Some(s),
            ProductPrice::Fixed(_) => None,
        });
        let fixed = c.product.prices.iter().find_map(|p| match p {
            ProductPrice::Fixed(f) => Some(f.price_amount),
            ProductPrice::SeatBased(_) => None,
        });
        Self {
            status: c.status,
            organization_name: c.organization.name.clone(),
            product_name: c.product.name.clone(),
            product_description: c.product.description.clone(),
            recurring_interval: c.product.recurring_interval,
            currency: c.currency.clone(),
            tier_type: seat_price
                .map(|s| s.seat_tiers.seat_tier_type)
                .unwrap_or_default(),
            tiers: seat_price
                .map(|s| s.seat_tiers.tiers.clone())
                .unwrap_or_default(),
            fixed,
            min_seats: c.min_seats.unwrap_or(1),
            max_seats: c.max_seats.unwrap_or(1),
            seats: c.seats,
            customer_email: c.customer_email.clone(),
            amount: c.amount,
        }
    }
}

impl CheckoutView {
    /// The pricing the server charges with, rebuilt from the tiers.
    pub fn pricing(&self) -> Result<ProductPricing, TierError> {
        Ok(ProductPricing {
            tiers: SeatTiers::new(self.tier_type, self.tiers.clone())?,
            fixed: self.fixed,
        })
    }

    /// "/ month", "/ year" or "" (one-time).
    pub fn per_period(&self) -> &'static str {
        match self.recurring_interval {
            Some(RecurringInterval::Month) => " / month",
            Some(RecurringInterval::Year) => " / year",
            None => "",
        }
    }
}

/// The result of paying on the hosted page: where the buyer goes next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckoutPaid {
    /// Whether the purchase opened a portal session for the buyer (kept in an HttpOnly cookie; see
    /// the checkout identity rule in the README's Security section).
    pub signed_in: bool,
}
