//! Every algorithm latchkey implements, end to end with freshly made keys: registration with packed
//! self attestation, then assertions, then a changed signature and a reused counter. Recorded
//! vectors cover the algorithms real authenticators use (see tests/vectors); this covers the rest
//! (RS384, RS512, PS512) and keeps every one exercised on every run, post-quantum ML-DSA included.

use latchkey_testkit::SoftAuthenticator;
use latchkey_webauthn::{
    AssertionRequest, AttestationType, AuthenticationResponse, BackupEligibilityPolicy,
    CoseAlgorithm, Error, Policy, RegistrationResponse, RelyingParty, StoredCredential,
    TrustAnchors, UnixTime, VerifiedRegistration, verify_assertion, verify_registration,
};

const RP_ID: &str = "login.example.com";
const ORIGIN: &str = "https://login.example.com";

fn all_policy() -> Policy {
    let mut policy = Policy::default();
    policy.algorithms = CoseAlgorithm::ALL.to_vec();
    policy
}

/// `authenticator`'s registration for the challenge `c`, verified.
fn registered(
    rp: &RelyingParty,
    policy: &Policy,
    authenticator: &SoftAuthenticator,
) -> VerifiedRegistration {
    let json = serde_json::to_vec(&authenticator.register(RP_ID, ORIGIN, b"c")).unwrap();
    verify_registration(
        rp,
        policy,
        b"c",
        &RegistrationResponse::from_json(&json).unwrap(),
        &TrustAnchors::none(),
        UnixTime(0),
    )
    .unwrap()
}

#[test]
fn every_algorithm_registers_and_authenticates() {
    let rp = RelyingParty::new(RP_ID, [ORIGIN]);
    let policy = all_policy();
    for alg in CoseAlgorithm::ALL
        .into_iter()
        .filter(|a| *a != CoseAlgorithm::Rs1)
    {
        let mut authenticator = SoftAuthenticator::new(alg);
        let challenge = [alg.id().unsigned_abs() as u8; 32];
        let json = serde_json::to_vec(&authenticator.register(RP_ID, ORIGIN, &challenge)).unwrap();
        let response = RegistrationResponse::from_json(&json).unwrap();
        let registered = verify_registration(
            &rp,
            &policy,
            &challenge,
            &response,
            &TrustAnchors::none(),
            UnixTime(1_800_000_000),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", alg.name()));
        assert_eq!(registered.public_key.alg(), alg);
        assert_eq!(
            registered.attestation_type,
            AttestationType::SelfAttestation
        );
        assert_eq!(registered.credential_id, authenticator.credential_id);

        let user = b"user-1234";
        let mut stored_count = registered.sign_count;
        for round in 0..2u8 {
            let challenge = [round; 32];
            let json =
                serde_json::to_vec(&authenticator.assert(RP_ID, ORIGIN, &challenge, user)).unwrap();
            let response = AuthenticationResponse::from_json(&json).unwrap();
            let credential = StoredCredential {
                id: &registered.credential_id,
                public_key: &registered.public_key,
                sign_count: stored_count,
                backup_eligible: false,
                user_handle: user,
            };
            let request = AssertionRequest {
                challenge: &challenge,
                allow_credentials: &[],
                user_handle: None,
            };
            let verified = verify_assertion(&rp, &policy, &request, &response, &credential)
                .unwrap_or_else(|e| panic!("{}: {e}", alg.name()));
            assert_eq!(verified.sign_count, stored_count + 1);

            let mut tampered = response.clone();
            *tampered.signature.last_mut().unwrap() ^= 0x01;
            assert_eq!(
                verify_assertion(&rp, &policy, &request, &tampered, &credential),
                Err(Error::BadSignature("assertion")),
                "{}",
                alg.name()
            );
            let replayed = StoredCredential {
                sign_count: verified.sign_count,
                ..credential
            };
            assert!(matches!(
                verify_assertion(&rp, &policy, &request, &response, &replayed),
                Err(Error::CounterRegression { .. })
            ));
            stored_count = verified.sign_count;
        }
    }
}

#[test]
fn policy_decides_which_algorithms_may_register() {
    let rp = RelyingParty::new(RP_ID, [ORIGIN]);
    let authenticator = SoftAuthenticator::new(CoseAlgorithm::Ps256);
    let json = serde_json::to_vec(&authenticator.register(RP_ID, ORIGIN, b"c")).unwrap();
    let response = RegistrationResponse::from_json(&json).unwrap();
    let mut only_es256 = Policy::default();
    only_es256.algorithms = vec![CoseAlgorithm::Es256];
    assert_eq!(
        verify_registration(
            &rp,
            &only_es256,
            b"c",
            &response,
            &TrustAnchors::none(),
            UnixTime(0)
        )
        .unwrap_err(),
        Error::AlgorithmNotAllowed(-37)
    );
}

#[test]
fn a_discoverable_login_needs_the_owners_user_handle() {
    let rp = RelyingParty::new(RP_ID, [ORIGIN]);
    let policy = all_policy();
    let mut authenticator = SoftAuthenticator::new(CoseAlgorithm::Es256);
    let registered = registered(&rp, &policy, &authenticator);
    let json = serde_json::to_vec(&authenticator.assert(RP_ID, ORIGIN, b"c", b"mallory")).unwrap();
    let response = AuthenticationResponse::from_json(&json).unwrap();
    let credential = StoredCredential {
        id: &registered.credential_id,
        public_key: &registered.public_key,
        sign_count: 0,
        backup_eligible: false,
        user_handle: b"alice",
    };
    let discoverable = AssertionRequest {
        challenge: b"c",
        allow_credentials: &[],
        user_handle: None,
    };
    assert_eq!(
        verify_assertion(&rp, &policy, &discoverable, &response, &credential),
        Err(Error::UserHandleMismatch)
    );
    let identified = AssertionRequest {
        user_handle: Some(b"bob"),
        ..discoverable
    };
    assert_eq!(
        verify_assertion(&rp, &policy, &identified, &response, &credential),
        Err(Error::UserHandleMismatch)
    );
    let other_allowed = [b"other".to_vec()];
    let restricted = AssertionRequest {
        allow_credentials: &other_allowed,
        ..discoverable
    };
    assert_eq!(
        verify_assertion(&rp, &policy, &restricted, &response, &credential),
        Err(Error::CredentialNotAllowed)
    );
}

#[test]
fn backup_eligibility_cannot_change_after_registration_unless_policy_reports_it() {
    let rp = RelyingParty::new(RP_ID, [ORIGIN]);
    let policy = all_policy();
    let mut authenticator = SoftAuthenticator::new(CoseAlgorithm::EdDsa);
    let registered = registered(&rp, &policy, &authenticator);
    authenticator.flags |= 0x18; // BE and BS: it became a synced passkey
    let json = serde_json::to_vec(&authenticator.assert(RP_ID, ORIGIN, b"c", b"alice")).unwrap();
    let response = AuthenticationResponse::from_json(&json).unwrap();
    let credential = StoredCredential {
        id: &registered.credential_id,
        public_key: &registered.public_key,
        sign_count: 0,
        backup_eligible: false,
        user_handle: b"alice",
    };
    let request = AssertionRequest {
        challenge: b"c",
        allow_credentials: &[],
        user_handle: None,
    };
    assert!(matches!(
        verify_assertion(&rp, &policy, &request, &response, &credential),
        Err(Error::BackupFlags(_))
    ));
    let mut reporting = all_policy();
    reporting.backup_eligibility = BackupEligibilityPolicy::Report;
    let verified = verify_assertion(&rp, &reporting, &request, &response, &credential).unwrap();
    assert!(verified.backup_eligibility_changed);
    let eligible = StoredCredential {
        backup_eligible: true,
        ..credential
    };
    let verified = verify_assertion(&rp, &policy, &request, &response, &eligible).unwrap();
    assert!(verified.backup_state);
    assert!(!verified.backup_eligibility_changed);
}
