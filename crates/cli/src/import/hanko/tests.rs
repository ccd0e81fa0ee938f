use time::macros::datetime;

use super::*;

#[test]
fn a_user_is_known_by_their_uuid_and_named_by_their_primary_address() {
    let id = Uuid::from_u128(0x1234);
    let user = user(
        TenantId(Uuid::nil()),
        id,
        Some("Ada@Example.com"),
        datetime!(2023-01-01 0:00),
    );
    assert_eq!(user.id, UserId(id));
    assert_eq!(user.external_id, "00000000-0000-0000-0000-000000001234");
    assert_eq!(user.name, "ada@example.com");
    assert_eq!(user.display_name, "ada@example.com");
}

#[test]
fn an_email_is_lower_cased_and_keeps_its_id_holder_and_flags() {
    let email = email(
        TenantId(Uuid::nil()),
        EmailRow {
            id: Uuid::from_u128(1),
            user: Some(Uuid::from_u128(2)),
            address: "Ada@Example.COM".into(),
            verified: true,
            primary: true,
            created_at: datetime!(2023-01-01 0:00),
            updated_at: datetime!(2023-02-01 0:00),
        },
    );
    assert_eq!(email.id, Uuid::from_u128(1));
    assert_eq!(email.user, Some(UserId(Uuid::from_u128(2))));
    assert_eq!(email.address, "ada@example.com");
    assert!(email.verified && email.primary);
    assert_eq!(email.updated_at, datetime!(2023-02-01 0:00 UTC));
}

#[test]
fn only_bcrypt_password_hashes_are_taken() {
    let go_bcrypt = "$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW".to_owned();
    assert_eq!(bcrypt_hash(go_bcrypt.clone()), Ok(go_bcrypt));
    assert!(bcrypt_hash("plain text".into()).is_err());
}
