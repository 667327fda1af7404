//! Offline license certificates: signing a statement of a granted key with the organization's
//! Ed25519 key, publishing the public keys, and rotating the signing key.
//!
//! The key pair is made on first use and kept in the database (PKCS#8). A rotation retires it and
//! makes the next; retired keys are published while certificates they signed may still be valid
//! (their longest life, [`CERTIFICATE_DAYS`]). See `model/license_certificate.rs` for the format.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, TimeDelta, Utc};
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};
use uuid::Uuid;

use super::{KeyUser, OrganizationCaller, ServiceError, Services};
use crate::{
    model::{
        LicenseKeyId, OrganizationId, Scope,
        license_certificate::{
            ALGORITHM, CERTIFICATE_DAYS, CertificatePayload, LicenseCertificate, LicenseKeyCertify,
            LicensePublicKey, LicensePublicKeys,
        },
    },
    server::store::{LicenseKeyRecord, SigningKeyRecord, StoreError},
};

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the raw 32-byte key.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

fn key_failure(what: &str) -> ServiceError {
    ServiceError::Internal(StoreError::Corrupt(format!("license signing key: {what}")))
}

/// A new key pair for `organization_id`.
fn new_signing_key(
    organization_id: OrganizationId,
    now: DateTime<Utc>,
) -> Result<SigningKeyRecord, ServiceError> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| key_failure("generating"))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| key_failure("reading"))?;
    Ok(SigningKeyRecord {
        id: Uuid::now_v7(),
        organization_id,
        created_at: now,
        private_key: pkcs8.as_ref().to_vec(),
        public_key: pair.public_key().as_ref().to_vec(),
        retired_at: None,
    })
}

/// `public_key` (raw 32 bytes) as a PEM `PUBLIC KEY`.
fn public_key_pem(public_key: &[u8]) -> String {
    let mut der = ED25519_SPKI_PREFIX.to_vec();
    der.extend_from_slice(public_key);
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n")
}

fn public_key_wire(key: &SigningKeyRecord) -> LicensePublicKey {
    LicensePublicKey {
        key_id: key.id,
        algorithm: ALGORITHM.to_owned(),
        public_key: URL_SAFE_NO_PAD.encode(&key.public_key),
        public_key_pem: public_key_pem(&key.public_key),
        created_at: key.created_at,
        retired_at: key.retired_at,
    }
}

/// Signs `payload` with `key`: the certificate's text.
fn sign(key: &SigningKeyRecord, payload: &CertificatePayload) -> Result<String, ServiceError> {
    let pair = Ed25519KeyPair::from_pkcs8(&key.private_key).map_err(|_| key_failure("reading"))?;
    let json = serde_json::to_vec(payload).map_err(|_| key_failure("encoding the payload"))?;
    let signature = pair.sign(&json);
    Ok(format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&json),
        URL_SAFE_NO_PAD.encode(signature.as_ref())
    ))
}

impl Services {
    /// The organization's signing key in use, made on first use.
    async fn signing_key(
        &self,
        organization_id: OrganizationId,
    ) -> Result<SigningKeyRecord, ServiceError> {
        if let Some(key) = self.store().live_signing_key(organization_id).await? {
            return Ok(key);
        }
        let key = new_signing_key(organization_id, self.now())?;
        Ok(self.store().insert_signing_key(&key, false).await?)
    }

    /// A certificate of one of the organization's keys (the merchant hands it to its app).
    pub async fn license_key_certificate(
        &self,
        caller: &OrganizationCaller,
        id: LicenseKeyId,
    ) -> Result<LicenseCertificate, ServiceError> {
        caller.require_any(&[Scope::LicenseKeysRead, Scope::LicenseKeysWrite])?;
        let key = self
            .store()
            .license_key(caller.organization_id, id)
            .await?
            .ok_or_else(|| ServiceError::missing("ResourceNotFound", "License key not found."))?;
        self.certificate(&key, None).await
    }

    /// A certificate for the app that holds a key, checked as a validation is, without counting
    /// one. A key limited to some activations is certified only for one of them (the device's), so
    /// its limit holds offline too.
    pub async fn certify_license_key(
        &self,
        user: KeyUser<'_>,
        body: LicenseKeyCertify,
    ) -> Result<LicenseCertificate, ServiceError> {
        let key = self
            .key_for_use(user, body.organization_id, &body.key)
            .await?;
        self.usable_for_validation(&key)?;
        match (body.activation_id, key.limit_activations) {
            (Some(activation), _) => {
                self.store()
                    .activation(key.id, activation)
                    .await?
                    .ok_or_else(|| {
                        ServiceError::missing(
                            "ResourceNotFound",
                            "License key activation not found, or not an activation of this key.",
                        )
                    })?;
            }
            // Else a key limited to N devices would certify any number of them.
            (None, Some(limit)) => {
                return Err(ServiceError::NotPermitted(format!(
                    "this license key may be activated on {limit} devices: ask for a certificate \
                     with the activation_id of this device's activation"
                )));
            }
            (None, None) => {}
        }
        self.certificate(&key, body.activation_id).await
    }

    async fn certificate(
        &self,
        key: &LicenseKeyRecord,
        activation_id: Option<crate::model::LicenseKeyActivationId>,
    ) -> Result<LicenseCertificate, ServiceError> {
        self.usable_for_validation(key)?;
        let signing = self.signing_key(key.organization_id).await?;
        let issued_at = self.now();
        let longest = issued_at + TimeDelta::days(CERTIFICATE_DAYS);
        let payload = CertificatePayload {
            version: 1,
            key_id: signing.id,
            organization_id: key.organization_id,
            license_key_id: key.id,
            key: key.key.clone(),
            benefit_id: key.benefit_id,
            customer_id: key.customer_id,
            member_id: key.member_id,
            activation_id,
            limit_activations: key.limit_activations,
            limit_usage: key.limit_usage,
            expires_at: key.expires_at,
            issued_at,
            valid_until: key.expires_at.map_or(longest, |at| at.min(longest)),
        };
        Ok(LicenseCertificate {
            certificate: sign(&signing, &payload)?,
            algorithm: ALGORITHM.to_owned(),
            key_id: signing.id,
            payload,
        })
    }

    /// The public key that verifies the organization's certificates, and the retired ones whose
    /// certificates may still be valid. Public: apps fetch or embed it.
    pub async fn license_public_keys(
        &self,
        organization_id: OrganizationId,
    ) -> Result<LicensePublicKeys, ServiceError> {
        self.store()
            .organization(organization_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Organization"))?;
        let current = self.signing_key(organization_id).await?;
        self.public_keys_with(current).await
    }

    /// Retires the signing key in use and makes the next (the merchant's app must then trust the
    /// new public key; certificates signed before stay verifiable with the old one until they
    /// run out).
    pub async fn rotate_license_signing_key(
        &self,
        caller: &OrganizationCaller,
        organization_id: OrganizationId,
    ) -> Result<LicensePublicKeys, ServiceError> {
        caller.require_any(&[Scope::LicenseKeysWrite])?;
        if caller.organization_id != organization_id {
            return Err(ServiceError::not_found("Organization"));
        }
        let key = new_signing_key(organization_id, self.now())?;
        let current = self.store().insert_signing_key(&key, true).await?;
        self.public_keys_with(current).await
    }

    async fn public_keys_with(
        &self,
        current: SigningKeyRecord,
    ) -> Result<LicensePublicKeys, ServiceError> {
        let oldest_useful = self.now() - TimeDelta::days(CERTIFICATE_DAYS);
        let previous_keys = self
            .store()
            .signing_keys(current.organization_id)
            .await?
            .iter()
            .filter(|k| k.retired_at.is_some_and(|at| at > oldest_useful))
            .map(public_key_wire)
            .collect();
        Ok(LicensePublicKeys {
            organization_id: current.organization_id,
            current: public_key_wire(&current),
            previous_keys,
        })
    }
}

#[cfg(test)]
mod tests {
    use ring::signature::{ED25519, UnparsedPublicKey};

    use super::*;

    #[test]
    fn a_certificate_verifies_with_its_public_key_and_not_once_altered() {
        let organization = OrganizationId::from_uuid(Uuid::now_v7());
        let key = new_signing_key(organization, Utc::now()).unwrap();
        let payload = CertificatePayload {
            version: 1,
            key_id: key.id,
            organization_id: organization,
            license_key_id: LicenseKeyId::from_uuid(Uuid::now_v7()),
            key: "ACME-0000".into(),
            benefit_id: crate::model::BenefitId::from_uuid(Uuid::now_v7()),
            customer_id: crate::model::CustomerId::from_uuid(Uuid::now_v7()),
            member_id: crate::model::MemberId::from_uuid(Uuid::now_v7()),
            activation_id: None,
            limit_activations: Some(2),
            limit_usage: None,
            expires_at: None,
            issued_at: Utc::now(),
            valid_until: Utc::now(),
        };
        let certificate = sign(&key, &payload).unwrap();
        let (body, signature) = certificate.split_once('.').unwrap();
        let body = URL_SAFE_NO_PAD.decode(body).unwrap();
        let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
        let public = UnparsedPublicKey::new(&ED25519, &key.public_key);
        assert!(public.verify(&body, &signature).is_ok());
        let decoded: CertificatePayload = serde_json::from_slice(&body).unwrap();
        assert_eq!(decoded, payload);
        let mut altered = body.clone();
        altered[10] ^= 1;
        assert!(public.verify(&altered, &signature).is_err());
        let other = new_signing_key(organization, Utc::now()).unwrap();
        assert!(
            UnparsedPublicKey::new(&ED25519, &other.public_key)
                .verify(&body, &signature)
                .is_err()
        );
    }

    #[test]
    fn the_pem_is_the_ed25519_subject_public_key_info() {
        let pem = public_key_pem(&[7; 32]);
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"));
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
    }
}
