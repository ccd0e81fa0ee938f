//! What each store's migrations must do with data of an earlier schema.

use latchkey_engine::model::{
    LicenseScope, Operation, SigningAlgorithm, TenantConfig, TenantId, TenantKind, UserVerification,
};
use latchkey_engine::{ReadTx, Store};
use serde_json::{Value, json};
use uuid::Uuid;

use super::records::tenant_record;

/// Every text the stores keep for an enum of the model, which their migrations' `CHECK`s must
/// list.
pub fn enum_texts() -> impl Iterator<Item = &'static str> {
    Operation::ALL
        .iter()
        .map(|o| o.as_str())
        .chain(UserVerification::ALL.iter().map(|uv| uv.as_str()))
        .chain(SigningAlgorithm::ALL.iter().map(|a| a.as_str()))
        .chain([
            LicenseScope::System.kind(),
            LicenseScope::AllCommunities.kind(),
            TenantKind::ORGANISATION,
            TenantKind::REALM,
        ])
}

/// A community's realm as the schema before migration 0004 kept it: the link in
/// `communities.realm_id` and in the realm's configuration (`community_of`).
#[derive(Debug)]
pub struct PreviousRealm {
    pub organisation: TenantId,
    pub realm: TenantId,
    pub community: String,
    pub config: TenantConfig,
}

impl PreviousRealm {
    pub fn new() -> Self {
        Self {
            organisation: TenantId(Uuid::new_v4()),
            realm: TenantId(Uuid::new_v4()),
            community: "0123456789abcdef01234567".to_owned(),
            config: tenant_record().config,
        }
    }

    /// The rows of `tenants` to insert: id, display name, configuration document.
    pub fn tenants(&self) -> [(TenantId, &'static str, Value); 2] {
        let mut realm_config = self.config_json();
        if let Value::Object(fields) = &mut realm_config {
            fields.insert(
                "community_of".to_owned(),
                json!({"tenant": self.organisation, "community": self.community}),
            );
        }
        [
            (self.organisation, "Org", self.config_json()),
            (self.realm, "Staff", realm_config),
        ]
    }

    fn config_json(&self) -> Value {
        serde_json::to_value(&self.config).unwrap()
    }

    /// Checks the migrated store: the realm is a realm of the community, with the link gone from
    /// its configuration, and no organisation.
    pub async fn check<S: Store>(&self, store: &S) {
        let mut tx = store.read().await.unwrap();
        let migrated = tx.tenant(self.realm).await.unwrap().unwrap();
        assert_eq!(
            migrated.kind,
            TenantKind::Realm {
                organisation: self.organisation,
                community: self.community.clone(),
            }
        );
        assert_eq!(migrated.config, self.config);
        assert_eq!(tx.organisation(self.realm).await.unwrap(), None);
        let organisations = tx.organisations().await.unwrap();
        assert!(organisations.iter().any(|t| t.id == self.organisation));
        assert!(!organisations.iter().any(|t| t.id == self.realm));
        let community = tx.community(&self.community).await.unwrap().unwrap();
        assert_eq!(community.realm, self.realm);
    }
}

impl Default for PreviousRealm {
    fn default() -> Self {
        Self::new()
    }
}
