use time::macros::datetime;

use super::*;

fn rows() -> ConfigRows {
    ConfigRows {
        rp_id: "example.com".into(),
        rp_name: "Example".into(),
        rp_icon: Some(String::new()),
        origins: vec![
            "https://example.com".into(),
            "android:apk-key-hash:abc".into(),
        ],
        passkey: SettingsRow {
            timeout: 60_000,
            user_verification: "preferred".into(),
            attachment: None,
            attestation: "none".into(),
            resident_key: "required".into(),
        },
        mfa: Some(SettingsRow {
            timeout: 90_000,
            user_verification: "discouraged".into(),
            attachment: Some("cross-platform".into()),
            attestation: "direct".into(),
            resident_key: "discouraged".into(),
        }),
        cors_origins: vec!["https://*.example.com".into()],
        cors_allow_unsafe: true,
        audit_store: true,
        audit_console: false,
    }
}

#[test]
fn the_relying_party_ceremonies_cors_and_audit_carry_over() {
    let config = tenant_config(rows()).unwrap();

    assert_eq!(config.relying_party.id, "example.com");
    assert_eq!(config.relying_party.display_name, "Example");
    assert_eq!(config.relying_party.icon, None);
    assert_eq!(
        config.relying_party.origins,
        ["https://example.com", "android:apk-key-hash:abc"]
    );
    assert_eq!(
        config.passkey,
        AuthenticatorSettings {
            timeout_ms: 60_000,
            user_verification: UserVerification::Preferred,
            attachment: None,
            attestation: AttestationPreference::None,
            resident_key: ResidentKey::Required,
            extensions: ExtensionSettings::default(),
        }
    );
    assert_eq!(
        config.mfa,
        AuthenticatorSettings {
            timeout_ms: 90_000,
            user_verification: UserVerification::Discouraged,
            attachment: Some(Attachment::CrossPlatform),
            attestation: AttestationPreference::Direct,
            resident_key: ResidentKey::Discouraged,
            extensions: ExtensionSettings::default(),
        }
    );
    assert_eq!(config.cors.allowed_origins, ["https://*.example.com"]);
    assert!(config.cors.allow_unsafe_wildcard);
    assert!(config.audit.store);
    assert!(!config.audit.console);
}

#[test]
fn a_tenant_without_mfa_settings_gets_the_originals_mfa_defaults() {
    let config = tenant_config(ConfigRows {
        mfa: None,
        ..rows()
    })
    .unwrap();
    assert_eq!(config.mfa, AuthenticatorSettings::mfa_defaults(60_000));
}

#[test]
fn an_unknown_setting_is_refused_by_name() {
    let mut rows = rows();
    rows.passkey.user_verification = "sometimes".into();
    let error = tenant_config(rows).unwrap_err();
    assert!(error.contains("user_verification \"sometimes\""), "{error}");
}

#[test]
fn a_credential_row_decodes_its_id_and_cose_key_and_keeps_its_state() {
    let created = datetime!(2024-03-01 12:00);
    let used = datetime!(2024-06-01 08:30);
    let credential = credential_of(
        TenantId(Uuid::nil()),
        CredentialRow {
            id: "AQIDBA".into(),
            user: Uuid::from_u128(7),
            public_key: "pQECAyYgASFYIA".into(),
            attestation_type: String::new(),
            aaguid: Uuid::from_u128(0xadce_0002_35bc_c60a_648b_0b25_f1f0_5503),
            sign_count: 42,
            name: Some(String::new()),
            last_used_at: Some(used),
            backup_eligible: true,
            backup_state: true,
            is_mfa: true,
            transports: vec!["internal".into(), "hybrid".into()],
            created_at: created,
        },
    )
    .unwrap();

    assert_eq!(credential.id, [1, 2, 3, 4]);
    assert_eq!(
        credential.public_key,
        [0xa5, 1, 2, 3, 0x26, 0x20, 1, 0x21, 0x58, 0x20]
    );
    assert_eq!(credential.user, UserId(Uuid::from_u128(7)));
    assert_eq!(credential.attestation_format, "none");
    assert_eq!(
        credential.aaguid,
        Uuid::from_u128(0xadce_0002_35bc_c60a_648b_0b25_f1f0_5503).into_bytes()
    );
    assert_eq!(credential.sign_count, 42);
    assert_eq!(credential.name, None);
    assert_eq!(credential.transports, ["internal", "hybrid"]);
    assert!(credential.backup_eligible && credential.backup_state && credential.is_mfa);
    assert_eq!(credential.created_at, created.assume_utc());
    assert_eq!(credential.last_used_at, Some(used.assume_utc()));
}

#[test]
fn a_negative_counter_or_a_key_that_is_no_base64url_is_refused() {
    let row = CredentialRow {
        id: "AQIDBA".into(),
        user: Uuid::nil(),
        public_key: "pQECAyYgASFYIA".into(),
        attestation_type: "packed".into(),
        aaguid: Uuid::nil(),
        sign_count: -1,
        name: None,
        last_used_at: None,
        backup_eligible: false,
        backup_state: false,
        is_mfa: false,
        transports: Vec::new(),
        created_at: datetime!(2024-03-01 12:00),
    };
    assert!(credential_of(TenantId(Uuid::nil()), row.clone()).is_err());
    let row = CredentialRow {
        sign_count: 0,
        public_key: "not base64!".into(),
        ..row
    };
    assert!(credential_of(TenantId(Uuid::nil()), row).is_err());
}

#[test]
fn a_user_keeps_the_tenants_user_id_and_drops_an_empty_icon() {
    let user = user(
        TenantId(Uuid::nil()),
        Uuid::from_u128(9),
        "customer-17".into(),
        "ada@example.com".into(),
        "Ada".into(),
        String::new(),
        datetime!(2024-03-01 12:00),
    );
    assert_eq!(user.id, UserId(Uuid::from_u128(9)));
    assert_eq!(user.external_id, "customer-17");
    assert_eq!(user.icon, None);
}
