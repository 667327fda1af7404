//! The server's own state, for the home page and the readiness probe.

use crate::model::{DemoInfo, SystemStatus};

use super::{ServiceError, Services};

impl Services {
    /// Whether the database answers: the readiness check.
    pub async fn database_ready(&self) -> Result<(), ServiceError> {
        self.store().ping().await.map_err(ServiceError::from)
    }

    /// Which database this server runs on ("SQLite", "PostgreSQL").
    pub fn database_name(&self) -> &'static str {
        self.store().backend().display_name()
    }

    /// How many organizations the database holds.
    pub async fn organization_count(&self) -> Result<u64, ServiceError> {
        Ok(self.store().count_organizations().await?)
    }

    /// What the home page reports: version, database, organizations and the demo, if any.
    pub async fn system_status(&self) -> Result<SystemStatus, ServiceError> {
        let database = self.database_name().to_owned();
        let version = env!("CARGO_PKG_VERSION").to_owned();
        if self.database_ready().await.is_err() {
            return Ok(SystemStatus {
                version,
                database,
                database_reachable: false,
                organizations: 0,
                demo: None,
            });
        }
        let organizations = self.organization_count().await?;
        let demo = match &self.demo_slug {
            Some(slug) => self.organization_by_slug(slug).await?.map(|org| DemoInfo {
                organization_id: org.summary.id,
                name: org.summary.name,
                slug: org.summary.slug,
                public_url: self.public_url().to_owned(),
            }),
            None => None,
        };
        Ok(SystemStatus {
            version,
            database,
            database_reachable: true,
            organizations,
            demo,
        })
    }
}
