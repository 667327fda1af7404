//! What the home page shows about the running server.

use serde::{Deserialize, Serialize};

use super::{OrganizationId, Slug};

/// The live state of this Seatkeeper server, as the home page reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SystemStatus {
    pub version: String,
    /// `SQLite` or `PostgreSQL`.
    pub database: String,
    pub database_reachable: bool,
    pub organizations: u64,
    /// Set when the server runs with `--demo`.
    pub demo: Option<DemoInfo>,
}

/// The demo organization created by `seatkeeper serve --demo`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DemoInfo {
    pub organization_id: OrganizationId,
    pub name: String,
    pub slug: Slug,
    /// Where this server is reached, e.g. `http://127.0.0.1:3000`.
    pub public_url: String,
}
