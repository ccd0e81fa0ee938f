//! Hostile input never panics: random bytes, and real vectors mutated byte by byte or node by
//! node (CBOR, JSON, DER), are fed to every public entry point. Returning `Err` is fine; a panic
//! (including an arithmetic overflow, which debug builds check) is a bug.
//!
//! Each property sets its case count below so the whole file stays well under a minute in a debug
//! build; `PROPTEST_CASES=<n>` runs every property `n` times instead. Failures are not persisted
//! to disk: proptest prints the minimal input, and a regression test belongs in the file that
//! owns the bug.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ciborium::Value as Cbor;
use latchkey_webauthn::{
    Aaguid, AssertionRequest, AttestationFormat, AuthenticationResponse, AuthenticatorData,
    BlobTrust, CborLeniency, CoseAlgorithm, CredentialPublicKey, Error, Metadata, Policy,
    RegistrationResponse, RelyingParty, StoredCredential, TrustAnchors, UnixTime, UserVerification,
    challenge_of, decode_base64url, encode_base64url, verify_assertion, verify_registration,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::Config;
use serde_json::Value as Json;

use crate::common::{Vector, all_vectors, rfc3339, vectors_dir};

// ---------------------------------------------------------------------------------------------
// Configuration

fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        // Shrinking a slow property can take minutes; a few hundred steps find a small input.
        max_shrink_iters: 512,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds: the real inputs that mutations start from, loaded once.

struct RegistrationSeed {
    vector: Vector,
    rp: RelyingParty,
    policy: Policy,
    challenge: Vec<u8>,
    trust: TrustAnchors,
    now: UnixTime,
    json: Vec<u8>,
    response: RegistrationResponse,
    /// The AAGUID of the credential, when the authenticator data parses.
    aaguid: Option<Aaguid>,
}

struct AssertionSeed {
    rp: RelyingParty,
    policy: Policy,
    challenge: Vec<u8>,
    json: Vec<u8>,
    response: AuthenticationResponse,
    key_cose: Vec<u8>,
    user_handle: Vec<u8>,
    stored_sign_count: u32,
}

struct Seeds {
    registrations: Vec<RegistrationSeed>,
    /// The registrations whose client data passes, so a changed attestation object is read.
    deep_registrations: Vec<usize>,
    assertions: Vec<AssertionSeed>,
    auth_data: Vec<Vec<u8>>,
    cose_keys: Vec<Vec<u8>>,
    certificates: Vec<Vec<u8>>,
    pems: Vec<String>,
    /// The FIDO MDS3 specification's example BLOB, its root, and a time its chain is valid at.
    blob: String,
    blob_trust: BlobTrust,
    blob_time: UnixTime,
    /// Its payload JSON.
    payload: Vec<u8>,
    /// A CRL listing two serial numbers.
    crl: Vec<u8>,
}

static SEEDS: LazyLock<Seeds> = LazyLock::new(Seeds::load);

fn field(json: &Json, name: &str) -> Vec<u8> {
    json["response"][name]
        .as_str()
        .map(|s| decode_base64url("seed", s, 1 << 20).unwrap())
        .unwrap_or_default()
}

fn certificates_of(attestation_object: &[u8]) -> Vec<Vec<u8>> {
    let Ok(object) = ciborium::from_reader::<Cbor, _>(attestation_object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(&object, &mut |v| {
        if let Cbor::Array(items) = v {
            for item in items {
                // DER certificates start with a SEQUENCE with a two-byte length.
                if let Cbor::Bytes(b) = item
                    && b.starts_with(&[0x30, 0x82])
                {
                    out.push(b.clone());
                }
            }
        }
    });
    out
}

fn walk(v: &Cbor, f: &mut dyn FnMut(&Cbor)) {
    f(v);
    match v {
        Cbor::Array(items) => items.iter().for_each(|i| walk(i, f)),
        Cbor::Map(entries) => entries.iter().for_each(|(k, v)| {
            walk(k, f);
            walk(v, f);
        }),
        Cbor::Tag(_, inner) => walk(inner, f),
        _ => {}
    }
}

fn auth_data_of(attestation_object: &[u8]) -> Option<Vec<u8>> {
    let object = ciborium::from_reader::<Cbor, _>(attestation_object).ok()?;
    object
        .as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some("authData"))
        .and_then(|(_, v)| v.as_bytes().cloned())
}

/// A CRL from a made-up CA revoking serials 2 and 3.
fn seed_crl() -> Vec<u8> {
    let mut params = rcgen::CertificateParams::default();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    crate::common::crl(&params, &rcgen::KeyPair::generate().unwrap(), &[2, 3])
}

impl Seeds {
    fn load() -> Self {
        let mut seeds = Seeds {
            registrations: Vec::new(),
            deep_registrations: Vec::new(),
            assertions: Vec::new(),
            auth_data: Vec::new(),
            cose_keys: Vec::new(),
            certificates: Vec::new(),
            pems: Vec::new(),
            blob: String::new(),
            blob_trust: BlobTrust::fido(&[]),
            blob_time: rfc3339("2022-01-01T00:00:00Z"),
            payload: Vec::new(),
            crl: seed_crl(),
        };
        for vector in all_vectors() {
            let json = vector.response_json();
            let client_data = field(&vector.response, "clientDataJSON");
            let raw_id = vector.response["rawId"]
                .as_str()
                .map(|s| decode_base64url("seed", s, 1 << 20).unwrap())
                .unwrap_or_default();
            if vector.ceremony == "registration" {
                let attestation_object = field(&vector.response, "attestationObject");
                seeds
                    .certificates
                    .extend(certificates_of(&attestation_object));
                let mut aaguid = None;
                if let Some(auth_data) = auth_data_of(&attestation_object) {
                    if let Ok(parsed) = AuthenticatorData::parse(&auth_data, usize::MAX)
                        && let Some(attested) = parsed.attested
                    {
                        aaguid = Some(attested.aaguid);
                        seeds.cose_keys.push(attested.public_key.cose().to_vec());
                    }
                    seeds.auth_data.push(auth_data);
                }
                let response = RegistrationResponse {
                    raw_id,
                    client_data_json: client_data,
                    attestation_object,
                    transports: Vec::new(),
                    client_extension_results: Default::default(),
                };
                seeds.registrations.push(RegistrationSeed {
                    rp: vector.rp(),
                    policy: vector.policy(),
                    challenge: vector.challenge(),
                    trust: vector.trust(),
                    now: vector.now(),
                    json,
                    response,
                    aaguid,
                    vector,
                });
            } else {
                let authenticator_data = field(&vector.response, "authenticatorData");
                seeds.auth_data.push(authenticator_data.clone());
                let key_cose = vector
                    .public_key
                    .as_deref()
                    .map(|k| decode_base64url("seed", k, 1 << 20).unwrap())
                    .unwrap_or_default();
                seeds.cose_keys.push(key_cose.clone());
                let returned_handle = field(&vector.response, "userHandle");
                let user_handle = match &vector.user_handle {
                    Some(h) => decode_base64url("seed", h, 1 << 20).unwrap(),
                    None => returned_handle.clone(),
                };
                let response = AuthenticationResponse {
                    raw_id,
                    client_data_json: client_data,
                    authenticator_data,
                    signature: field(&vector.response, "signature"),
                    user_handle: (!returned_handle.is_empty()).then_some(returned_handle),
                    client_extension_results: Default::default(),
                };
                seeds.assertions.push(AssertionSeed {
                    rp: vector.rp(),
                    policy: vector.policy(),
                    challenge: vector.challenge(),
                    json,
                    response,
                    key_cose,
                    user_handle,
                    stored_sign_count: vector.stored_sign_count.unwrap_or(0),
                });
            }
        }
        for entry in std::fs::read_dir(vectors_dir().join("roots")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "pem") {
                let pem = std::fs::read_to_string(&path).unwrap();
                let mut anchors = TrustAnchors::none();
                anchors.add_pem(&pem).unwrap();
                seeds.certificates.extend(anchors.roots().iter().cloned());
                seeds.pems.push(pem);
            }
        }
        seeds.blob = std::fs::read_to_string(vectors_dir().join("go-webauthn/mds3-blob.jwt"))
            .unwrap()
            .trim()
            .to_owned();
        let root = std::fs::read_to_string(vectors_dir().join("roots/fido-mds3-example-root.pem"))
            .unwrap();
        let mut anchors = TrustAnchors::none();
        anchors.add_pem(&root).unwrap();
        seeds.blob_trust =
            BlobTrust::signed_by(anchors.roots(), "EXAMPLE MDS3 SIGNING CERTIFICATE");
        let payload = seeds.blob.split('.').nth(1).unwrap();
        seeds.payload = decode_base64url("seed", payload, 1 << 20).unwrap();
        for (i, s) in seeds.registrations.iter().enumerate() {
            let result =
                verify_registration(&s.rp, &s.policy, &s.challenge, &s.response, &s.trust, s.now);
            if !matches!(
                result,
                Err(Error::TypeMismatch { .. }
                    | Error::ChallengeMismatch
                    | Error::OriginMismatch
                    | Error::CrossOriginNotAllowed)
            ) {
                seeds.deep_registrations.push(i);
            }
        }
        assert!(!seeds.deep_registrations.is_empty() && !seeds.assertions.is_empty());
        seeds
    }
}

#[test]
fn the_seeds_reach_deep_code() {
    let seeds = &*SEEDS;
    // Unmutated, the seeds verify: mutations start from inputs that pass every parser.
    let verified = seeds
        .registrations
        .iter()
        .filter(|s| s.vector.expect.valid)
        .filter(|s| {
            verify_registration(&s.rp, &s.policy, &s.challenge, &s.response, &s.trust, s.now)
                .is_ok()
        })
        .count();
    assert!(verified >= 40, "only {verified} registrations verify");
    Metadata::from_blob(&seeds.blob, &seeds.blob_trust, seeds.blob_time).unwrap();
    assert!(seeds.certificates.len() > 20 && seeds.cose_keys.len() > 40);
}

// ---------------------------------------------------------------------------------------------
// Byte mutations

#[derive(Debug, Clone)]
enum Mutation {
    /// XOR one byte with a non-zero mask.
    Flip(Index, u8),
    /// Overwrite one byte.
    Set(Index, u8),
    /// Insert bytes.
    Insert(Index, Vec<u8>),
    /// Delete up to `n` bytes.
    Delete(Index, usize),
    /// Keep only a prefix.
    Truncate(Index),
    /// Copy a chunk of the input to another place.
    Duplicate(Index, usize, Index),
    /// Insert (or overwrite with) a hostile fragment: a huge length, deep nesting, ...
    Splice(Index, bool, Vec<u8>),
}

/// Length headers that claim far more than follows, indefinite lengths and deep nesting, in the
/// encodings the crate parses (CBOR, DER, JSON).
fn hostile_fragment() -> impl Strategy<Value = Vec<u8>> {
    let fill = select(vec![0xffu8, 0x7f, 0x80, 0x00, 0x01]);
    prop_oneof![
        // CBOR: major type 0-7 with a 1/2/4/8-byte argument.
        (0u8..8, 0u8..4, fill.clone()).prop_map(|(major, width, fill)| {
            let mut out = vec![(major << 5) | (24 + width)];
            out.extend(std::iter::repeat_n(fill, 1 << width));
            out
        }),
        // CBOR: indefinite lengths, reserved additional info, a lone break.
        (0u8..8, 27u8..32).prop_map(|(major, info)| vec![(major << 5) | info]),
        Just(vec![0xff]),
        // DER: long-form lengths, indefinite length, non-minimal length.
        (
            select(vec![
                0x30u8, 0x31, 0x02, 0x03, 0x04, 0x06, 0x0c, 0x17, 0x18, 0xa0, 0xa3
            ]),
            fill
        )
            .prop_map(|(tag, fill)| {
                vec![tag, 0x88, fill, fill, fill, fill, fill, fill, fill, fill]
            }),
        select(vec![0x30u8, 0x04, 0x03]).prop_map(|tag| vec![tag, 0x84, 0xff, 0xff, 0xff, 0xff]),
        select(vec![0x30u8, 0x04, 0x03]).prop_map(|tag| vec![tag, 0x80]),
        select(vec![0x30u8, 0x04, 0x02]).prop_map(|tag| vec![tag, 0x81, 0x01]),
        // Deep nesting.
        (
            select(vec![
                &[0x81u8][..],
                &[0xa1],
                &[0x9f],
                &[0xbf],
                &[0xd8, 0x18],
                &[0xc6],
                &[0x30, 0x80],
                &[0x30, 0x82, 0xff, 0xff],
                b"[",
                b"{\"a\":",
                b"{\"x5c\":[",
            ]),
            1usize..400,
        )
            .prop_map(|(unit, depth)| unit.repeat(depth)),
        // JSON and text edge cases.
        select(vec![
            &b"\"\\ud800\""[..],
            b"1e999999",
            b"-0",
            b"18446744073709551616",
            b"-9223372036854775809",
            b"null",
            b"\"\"",
            b",",
            b"\\u0000",
            b"\xf0\x9f\x92",
            b"\xc3\x28",
            b"=",
            b"==",
            b"-----END CERTIFICATE-----",
            b"-----BEGIN CERTIFICATE-----",
        ])
        .prop_map(<[u8]>::to_vec),
        vec(any::<u8>(), 0..16),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Mutation::Flip(i, m)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        2 => (any::<Index>(), vec(any::<u8>(), 1..8)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        2 => (any::<Index>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), 1usize..256, any::<Index>())
            .prop_map(|(from, n, to)| Mutation::Duplicate(from, n, to)),
        3 => (any::<Index>(), any::<bool>(), hostile_fragment())
            .prop_map(|(i, overwrite, f)| Mutation::Splice(i, overwrite, f)),
    ]
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    vec(mutation(), 1..6)
}

fn mutate(bytes: &mut Vec<u8>, mutations: &[Mutation]) {
    for m in mutations {
        let len = bytes.len();
        match m {
            Mutation::Flip(i, mask) if len > 0 => bytes[i.index(len)] ^= mask,
            Mutation::Set(i, b) if len > 0 => bytes[i.index(len)] = *b,
            Mutation::Insert(i, b) => {
                let at = i.index(len + 1);
                bytes.splice(at..at, b.iter().copied());
            }
            Mutation::Delete(i, n) if len > 0 => {
                let at = i.index(len);
                bytes.drain(at..(at + n).min(len));
            }
            Mutation::Truncate(i) => bytes.truncate(i.index(len + 1)),
            Mutation::Duplicate(from, n, to) if len > 0 => {
                let start = from.index(len);
                let chunk = bytes[start..(start + n).min(len)].to_vec();
                let at = to.index(len + 1);
                bytes.splice(at..at, chunk);
            }
            Mutation::Splice(i, overwrite, fragment) => {
                let at = i.index(len + 1);
                let end = if *overwrite {
                    (at + fragment.len()).min(len)
                } else {
                    at
                };
                bytes.splice(at..end, fragment.iter().copied());
            }
            _ => {}
        }
    }
}

fn mutated(bytes: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    mutate(&mut out, mutations);
    out
}

fn mutated_text(text: &str, mutations: &[Mutation]) -> String {
    String::from_utf8_lossy(&mutated(text.as_bytes(), mutations)).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Structured mutations: decode, change one node, encode again, so the result still parses as
// CBOR or JSON and the code behind the parser runs.

#[derive(Debug, Clone)]
enum Edit<V> {
    /// Mutate the bytes of the n-th byte string (CBOR) or string (JSON; base64 is decoded first).
    Leaf(Index, Vec<Mutation>),
    /// Replace the n-th node.
    Replace(Index, V),
    /// Remove one entry of the n-th array or map.
    Remove(Index, Index),
    /// Duplicate one entry of the n-th array or map (duplicate map keys included).
    Duplicate(Index, Index),
}

fn edits<V: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = V> + Clone,
) -> impl Strategy<Value = Vec<Edit<V>>> {
    let edit = prop_oneof![
        6 => (any::<Index>(), mutations()).prop_map(|(i, m)| Edit::Leaf(i, m)),
        2 => (any::<Index>(), value).prop_map(|(i, v)| Edit::Replace(i, v)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(i, j)| Edit::Remove(i, j)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(i, j)| Edit::Duplicate(i, j)),
    ];
    vec(edit, 1..4)
}

/// A tree that edits can address node by node, in pre-order.
trait Tree: Clone + Sized {
    fn children(&mut self) -> Vec<&mut Self>;
    fn is_leaf_string(&self) -> bool;
    fn mutate_leaf(&mut self, mutations: &[Mutation]);
    fn entries(&self) -> Option<usize>;
    fn remove_entry(&mut self, i: usize);
    fn duplicate_entry(&mut self, i: usize);
}

fn count<T: Tree>(t: &mut T, pred: &dyn Fn(&T) -> bool) -> usize {
    usize::from(pred(t))
        + t.children()
            .into_iter()
            .map(|c| count(c, pred))
            .sum::<usize>()
}

fn nth<'a, T: Tree>(t: &'a mut T, n: &mut usize, pred: &dyn Fn(&T) -> bool) -> Option<&'a mut T> {
    if pred(t) {
        if *n == 0 {
            return Some(t);
        }
        *n -= 1;
    }
    t.children().into_iter().find_map(|c| nth(c, n, pred))
}

fn select_node<'a, T: Tree>(
    t: &'a mut T,
    i: &Index,
    pred: &dyn Fn(&T) -> bool,
) -> Option<&'a mut T> {
    let total = count(t, pred);
    if total == 0 {
        return None;
    }
    nth(t, &mut i.index(total), pred)
}

fn apply<T: Tree>(t: &mut T, edits: &[Edit<T>]) {
    for edit in edits {
        match edit {
            Edit::Leaf(i, m) => {
                if let Some(node) = select_node(t, i, &T::is_leaf_string) {
                    node.mutate_leaf(m);
                }
            }
            Edit::Replace(i, v) => {
                if let Some(node) = select_node(t, i, &|_| true) {
                    *node = v.clone();
                }
            }
            Edit::Remove(i, j) | Edit::Duplicate(i, j) => {
                let has_entries = |n: &T| n.entries().is_some_and(|len| len > 0);
                if let Some(node) = select_node(t, i, &has_entries) {
                    let at = j.index(node.entries().unwrap_or(1));
                    if matches!(edit, Edit::Remove(..)) {
                        node.remove_entry(at);
                    } else {
                        node.duplicate_entry(at);
                    }
                }
            }
        }
    }
}

impl Tree for Cbor {
    fn children(&mut self) -> Vec<&mut Self> {
        match self {
            Cbor::Array(items) => items.iter_mut().collect(),
            // Keys stay as they are: a changed key only ever fails as an unknown field, and byte
            // mutations already produce those.
            Cbor::Map(entries) => entries.iter_mut().map(|(_, v)| v).collect(),
            Cbor::Tag(_, inner) => vec![&mut **inner],
            _ => Vec::new(),
        }
    }
    fn is_leaf_string(&self) -> bool {
        // Byte strings carry the nested formats (authenticator data, certificates, TPM
        // structures, signatures); text values are replaced whole instead.
        matches!(self, Cbor::Bytes(_))
    }
    fn mutate_leaf(&mut self, mutations: &[Mutation]) {
        match self {
            Cbor::Bytes(b) => mutate(b, mutations),
            Cbor::Text(t) => *t = mutated_text(t, mutations),
            _ => {}
        }
    }
    fn entries(&self) -> Option<usize> {
        match self {
            Cbor::Array(items) => Some(items.len()),
            Cbor::Map(entries) => Some(entries.len()),
            _ => None,
        }
    }
    fn remove_entry(&mut self, i: usize) {
        match self {
            Cbor::Array(items) => drop(items.remove(i)),
            Cbor::Map(entries) => drop(entries.remove(i)),
            _ => {}
        }
    }
    fn duplicate_entry(&mut self, i: usize) {
        match self {
            Cbor::Array(items) => items.insert(i, items[i].clone()),
            Cbor::Map(entries) => entries.insert(i, entries[i].clone()),
            _ => {}
        }
    }
}

impl Tree for Json {
    fn children(&mut self) -> Vec<&mut Self> {
        match self {
            Json::Array(items) => items.iter_mut().collect(),
            Json::Object(map) => map.values_mut().collect(),
            _ => Vec::new(),
        }
    }
    fn is_leaf_string(&self) -> bool {
        matches!(self, Json::String(_))
    }
    fn mutate_leaf(&mut self, mutations: &[Mutation]) {
        let Json::String(s) = self else { return };
        // Mutate what base64 carries (certificates, signatures, authenticator data), not the
        // base64 itself, which would only ever fail to decode.
        if let Ok(bytes) = URL_SAFE_NO_PAD.decode(&*s) {
            *s = URL_SAFE_NO_PAD.encode(mutated(&bytes, mutations));
        } else if let Ok(bytes) = STANDARD.decode(&*s) {
            *s = STANDARD.encode(mutated(&bytes, mutations));
        } else {
            *s = mutated_text(s, mutations);
        }
    }
    fn entries(&self) -> Option<usize> {
        match self {
            Json::Array(items) => Some(items.len()),
            Json::Object(map) => Some(map.len()),
            _ => None,
        }
    }
    fn remove_entry(&mut self, i: usize) {
        match self {
            Json::Array(items) => drop(items.remove(i)),
            Json::Object(map) => {
                if let Some(key) = map.keys().nth(i).cloned() {
                    map.remove(&key);
                }
            }
            _ => {}
        }
    }
    fn duplicate_entry(&mut self, i: usize) {
        // JSON objects cannot hold a key twice once parsed; duplicate keys come from byte edits.
        if let Json::Array(items) = self {
            items.insert(i, items[i].clone());
        }
    }
}

/// Values that mean something to the parsers: COSE labels and algorithms, statement keys,
/// format names, and extremes.
fn cbor_value() -> impl Strategy<Value = Cbor> + Clone {
    let leaf = prop_oneof![
        select(vec![
            -7i64,
            -8,
            -35,
            -36,
            -37,
            -38,
            -39,
            -257,
            -258,
            -259,
            -65535,
            -1,
            -2,
            -3,
            1,
            2,
            3,
            4,
            6,
            0,
            -4,
            24,
            256,
            i64::MIN,
            i64::MAX,
        ])
        .prop_map(|i| Cbor::Integer(i.into())),
        any::<i64>().prop_map(|i| Cbor::Integer(i.into())),
        any::<u64>().prop_map(|i| Cbor::Integer(i.into())),
        select(vec![
            "fmt",
            "attStmt",
            "authData",
            "alg",
            "sig",
            "x5c",
            "ver",
            "certInfo",
            "pubArea",
            "response",
            "ecdaaKeyId",
            "none",
            "packed",
            "tpm",
            "android-key",
            "android-safetynet",
            "fido-u2f",
            "apple",
            "2.0",
            "",
        ])
        .prop_map(|s| Cbor::Text(s.to_owned())),
        ".{0,12}".prop_map(Cbor::Text),
        vec(any::<u8>(), 0..40).prop_map(Cbor::Bytes),
        select(vec![
            0usize, 1, 16, 20, 31, 32, 33, 48, 65, 66, 97, 133, 256, 512
        ])
        .prop_map(|n| Cbor::Bytes(vec![0x04; n])),
        any::<bool>().prop_map(Cbor::Bool),
        Just(Cbor::Null),
        any::<f64>().prop_map(Cbor::Float),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Cbor::Array),
            vec((inner.clone(), inner.clone()), 0..4).prop_map(Cbor::Map),
            (any::<u64>(), inner).prop_map(|(tag, v)| Cbor::Tag(tag, Box::new(v))),
        ]
    })
}

fn json_value() -> impl Strategy<Value = Json> + Clone {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        select(vec![
            "webauthn.create",
            "webauthn.get",
            "public-key",
            "https://example.org",
            "android:apk-key-hash:AAAA",
            "REVOKED",
            "ATTESTATION_KEY_COMPROMISE",
            "USER_VERIFICATION_BYPASS",
            "FIDO_CERTIFIED",
            "0000-01-01",
            "9999-12-31",
            "2022-02-29",
            "2020-02-29",
            "-001-01-01",
            "00000000-0000-0000-0000-000000000000",
            "+a+a+a+a-+a+a-+a+a-+a+a-+a+a+a+a+a+a",
            "0123456789abcdef0123456789abcdef01234567",
            "fido2",
            "u2f",
            "ES256",
            "RS256",
            "EdDSA",
            "none",
            "",
        ])
        .prop_map(Json::from),
        ".{0,16}".prop_map(Json::from),
        vec(any::<u8>(), 0..48).prop_map(|b| Json::from(URL_SAFE_NO_PAD.encode(b))),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Json::Array),
            vec(("[a-zA-Z]{1,8}", inner), 0..4)
                .prop_map(|entries| Json::Object(entries.into_iter().collect())),
        ]
    })
}

fn edit_cbor(bytes: &[u8], edits: &[Edit<Cbor>]) -> Vec<u8> {
    let Ok(mut value) = ciborium::from_reader::<Cbor, _>(bytes) else {
        return bytes.to_vec();
    };
    apply(&mut value, edits);
    let mut out = Vec::new();
    ciborium::into_writer(&value, &mut out).unwrap();
    out
}

fn edit_json(bytes: &[u8], edits: &[Edit<Json>]) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_slice::<Json>(bytes) else {
        return bytes.to_vec();
    };
    apply(&mut value, edits);
    serde_json::to_vec(&value).unwrap()
}

/// How an input is changed: bytes, or nodes of its CBOR/JSON structure.
#[derive(Debug, Clone)]
enum Change<V> {
    Bytes(Vec<Mutation>),
    Nodes(Vec<Edit<V>>),
}

fn cbor_change() -> impl Strategy<Value = Change<Cbor>> {
    prop_oneof![
        1 => mutations().prop_map(Change::Bytes),
        3 => edits(cbor_value()).prop_map(Change::Nodes),
    ]
}

fn json_change() -> impl Strategy<Value = Change<Json>> {
    prop_oneof![
        1 => mutations().prop_map(Change::Bytes),
        3 => edits(json_value()).prop_map(Change::Nodes),
    ]
}

fn changed_cbor(bytes: &[u8], change: &Change<Cbor>) -> Vec<u8> {
    match change {
        Change::Bytes(m) => mutated(bytes, m),
        Change::Nodes(e) => edit_cbor(bytes, e),
    }
}

fn changed_json(bytes: &[u8], change: &Change<Json>) -> Vec<u8> {
    match change {
        Change::Bytes(m) => mutated(bytes, m),
        Change::Nodes(e) => edit_json(bytes, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Policy and time knobs: mostly the vector's own, sometimes extremes.

#[derive(Debug, Clone)]
struct Knobs {
    user_verification: Option<UserVerification>,
    max_credential_id_len: Option<usize>,
    allow_sha1: Option<bool>,
    require_trusted: Option<bool>,
    allow_missing_up: bool,
    now: Option<i64>,
}

fn knobs() -> impl Strategy<Value = Knobs> {
    let rare = 0.05;
    (
        proptest::option::weighted(
            rare,
            select(vec![
                UserVerification::Required,
                UserVerification::Preferred,
                UserVerification::Discouraged,
            ]),
        ),
        proptest::option::weighted(
            rare,
            prop_oneof![Just(0usize), 0..2048usize, Just(usize::MAX)],
        ),
        proptest::option::weighted(rare, any::<bool>()),
        proptest::option::weighted(rare, any::<bool>()),
        proptest::bool::weighted(rare),
        proptest::option::weighted(
            rare,
            prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0i64), any::<i64>()],
        ),
    )
        .prop_map(
            |(user_verification, max_credential_id_len, allow_sha1, require_trusted, up, now)| {
                Knobs {
                    user_verification,
                    max_credential_id_len,
                    allow_sha1,
                    require_trusted,
                    allow_missing_up: up,
                    now,
                }
            },
        )
}

impl Knobs {
    fn policy(&self, base: &Policy) -> Policy {
        let mut policy = base.clone();
        if let Some(uv) = self.user_verification {
            policy.user_verification = uv;
        }
        if let Some(len) = self.max_credential_id_len {
            policy.max_credential_id_len = len;
        }
        if let Some(sha1) = self.allow_sha1 {
            policy.allow_sha1_attestation = sha1;
        }
        if let Some(trusted) = self.require_trusted {
            policy.require_trusted_attestation = trusted;
        }
        if self.allow_missing_up {
            policy = policy.danger_allow_missing_user_presence();
        }
        policy
    }

    fn now(&self, base: UnixTime) -> UnixTime {
        self.now.map_or(base, UnixTime)
    }
}

fn register(seed: &RegistrationSeed, knobs: &Knobs, response: &RegistrationResponse) {
    register_with(seed, knobs, response, &seed.trust);
}

fn register_with(
    seed: &RegistrationSeed,
    knobs: &Knobs,
    response: &RegistrationResponse,
    trust: &TrustAnchors,
) {
    if let Ok(verified) = verify_registration(
        &seed.rp,
        &knobs.policy(&seed.policy),
        &seed.challenge,
        response,
        trust,
        knobs.now(seed.now),
    ) {
        // The summary is what callers log; building it must not panic either.
        let _ = serde_json::to_string(&verified.summary()).unwrap();
    }
}

#[derive(Debug, Clone)]
struct AssertionKnobs {
    knobs: Knobs,
    allow_credentials: u8,
    identified_user: bool,
    stored_sign_count: Option<u32>,
    backup_eligible: Option<bool>,
}

fn assertion_knobs() -> impl Strategy<Value = AssertionKnobs> {
    (
        knobs(),
        0u8..3,
        proptest::bool::weighted(0.8),
        proptest::option::weighted(0.2, any::<u32>()),
        proptest::option::weighted(0.2, any::<bool>()),
    )
        .prop_map(
            |(knobs, allow_credentials, identified_user, stored_sign_count, backup_eligible)| {
                AssertionKnobs {
                    knobs,
                    allow_credentials,
                    identified_user,
                    stored_sign_count,
                    backup_eligible,
                }
            },
        )
}

fn assert_with(
    seed: &AssertionSeed,
    knobs: &AssertionKnobs,
    response: &AuthenticationResponse,
    key: &CredentialPublicKey,
) {
    let allow = match knobs.allow_credentials {
        0 => Vec::new(),
        1 => vec![response.raw_id.clone()],
        _ => vec![b"another credential".to_vec(), response.raw_id.clone()],
    };
    let backup_eligible = knobs.backup_eligible.unwrap_or_else(|| {
        AuthenticatorData::parse(&seed.response.authenticator_data, usize::MAX)
            .is_ok_and(|d| d.flags.backup_eligible())
    });
    let credential = StoredCredential {
        id: &response.raw_id,
        public_key: key,
        sign_count: knobs.stored_sign_count.unwrap_or(seed.stored_sign_count),
        backup_eligible,
        user_handle: &seed.user_handle,
    };
    let request = AssertionRequest {
        challenge: &seed.challenge,
        allow_credentials: &allow,
        user_handle: knobs.identified_user.then_some(seed.user_handle.as_slice()),
    };
    let _ = verify_assertion(
        &seed.rp,
        &knobs.knobs.policy(&seed.policy),
        &request,
        response,
        &credential,
    );
}

fn seed_key(seed: &AssertionSeed) -> Option<CredentialPublicKey> {
    CredentialPublicKey::from_cose(&seed.key_cose).ok()
}

fn registration(i: &Index) -> &'static RegistrationSeed {
    pick(&SEEDS.registrations, i)
}

/// A registration whose client data passes.
fn deep_registration(i: &Index) -> &'static RegistrationSeed {
    &SEEDS.registrations[*pick(&SEEDS.deep_registrations, i)]
}

fn assertion(i: &Index) -> &'static AssertionSeed {
    pick(&SEEDS.assertions, i)
}

fn pick<'a, T>(items: &'a [T], i: &Index) -> &'a T {
    &items[i.index(items.len())]
}

/// Inputs up to a few kilobytes of arbitrary bytes.
fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![vec(any::<u8>(), 0..64), vec(any::<u8>(), 0..4096)]
}

/// Text drawn from the characters the parsers look for, and arbitrary text.
fn any_text(alphabet: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::string::string_regex(&format!("[{alphabet}]{{0,256}}")).unwrap(),
        ".{0,256}",
    ]
}

fn leniency() -> impl Strategy<Value = CborLeniency> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(indefinite, unsorted, long)| {
        CborLeniency {
            indefinite_lengths: indefinite,
            unsorted_keys: unsorted,
            long_heads: long,
        }
    })
}

fn limit() -> impl Strategy<Value = usize> {
    prop_oneof![
        0usize..2048,
        Just(usize::MAX),
        Just(usize::MAX - 3),
        any::<usize>()
    ]
}

// ---------------------------------------------------------------------------------------------
// Credential JSON

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_bytes_as_registration_json_never_panic(bytes in any_bytes()) {
        let _ = RegistrationResponse::from_json(&bytes);
    }

    #[test]
    fn any_bytes_as_authentication_json_never_panic(bytes in any_bytes()) {
        let _ = AuthenticationResponse::from_json(&bytes);
    }

    #[test]
    fn json_shaped_text_as_credential_json_never_panics(
        text in any_text(r#"\[\]{}":,.a-zA-Z0-9_\-\\ "#),
    ) {
        let _ = RegistrationResponse::from_json(text.as_bytes());
        let _ = AuthenticationResponse::from_json(text.as_bytes());
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn mutated_registration_json_never_panics(
        seed in any::<Index>(),
        change in json_change(),
        knobs in knobs(),
    ) {
        let seed = registration(&seed);
        let json = changed_json(&seed.json, &change);
        if let Ok(response) = RegistrationResponse::from_json(&json) {
            register(seed, &knobs, &response);
        }
    }

    #[test]
    fn mutated_authentication_json_never_panics(
        seed in any::<Index>(),
        change in json_change(),
        knobs in assertion_knobs(),
    ) {
        let seed = assertion(&seed);
        let json = changed_json(&seed.json, &change);
        if let (Ok(response), Some(key)) = (AuthenticationResponse::from_json(&json), seed_key(seed)) {
            assert_with(seed, &knobs, &response, &key);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Registration: every attestation format, with a valid clientDataJSON so the object is reached

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn mutated_attestation_objects_never_panic(
        seed in any::<Index>(),
        change in cbor_change(),
        knobs in knobs(),
    ) {
        let seed = deep_registration(&seed);
        let mut response = seed.response.clone();
        response.attestation_object = changed_cbor(&response.attestation_object, &change);
        register(seed, &knobs, &response);
    }

    /// The authenticator data inside the attestation object, changed byte by byte: the flags,
    /// lengths and COSE key the statement formats then read.
    #[test]
    fn mutated_authenticator_data_in_registrations_never_panics(
        seed in any::<Index>(),
        mutations in mutations(),
        knobs in knobs(),
    ) {
        let seed = deep_registration(&seed);
        let mut response = seed.response.clone();
        // A few negative vectors carry an attestation object that is not CBOR at all.
        let Ok(mut object) = ciborium::from_reader::<Cbor, _>(response.attestation_object.as_slice())
        else {
            return Ok(());
        };
        if let Some((_, Cbor::Bytes(auth_data))) = object
            .as_map_mut()
            .and_then(|m| m.iter_mut().find(|(k, _)| k.as_text() == Some("authData")))
        {
            mutate(auth_data, &mutations);
        }
        response.attestation_object.clear();
        ciborium::into_writer(&object, &mut response.attestation_object).unwrap();
        register(seed, &knobs, &response);
    }

    #[test]
    fn any_bytes_as_attestation_object_never_panic(
        seed in any::<Index>(),
        bytes in any_bytes(),
    ) {
        let seed = deep_registration(&seed);
        let mut response = seed.response.clone();
        response.attestation_object = bytes;
        let _ = verify_registration(&seed.rp, &seed.policy, &seed.challenge, &response, &seed.trust, seed.now);
    }
}

// ---------------------------------------------------------------------------------------------
// Client data

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_bytes_as_client_data_never_panic(seed in any::<Index>(), bytes in any_bytes()) {
        let _ = challenge_of(&bytes);
        let seed = registration(&seed);
        let mut response = seed.response.clone();
        response.client_data_json = bytes;
        let _ = verify_registration(&seed.rp, &seed.policy, &seed.challenge, &response, &seed.trust, seed.now);
    }

    /// Each seed's own client data, changed, so the challenge still matches unless the change
    /// hits it and the origin and cross-origin checks run.
    #[test]
    fn mutated_client_data_never_panics(
        registration_seed in any::<Index>(),
        assertion_seed in any::<Index>(),
        change in json_change(),
        top_origins in any::<bool>(),
        knobs in assertion_knobs(),
    ) {
        let seed = registration(&registration_seed);
        let mut response = seed.response.clone();
        response.client_data_json = changed_json(&response.client_data_json, &change);
        let _ = challenge_of(&response.client_data_json);
        let rp = if top_origins {
            seed.rp.clone().with_top_origins(seed.vector.origins.clone())
        } else {
            seed.rp.clone()
        };
        let _ = verify_registration(&rp, &seed.policy, &seed.challenge, &response, &seed.trust, seed.now);

        let seed = assertion(&assertion_seed);
        let mut response = seed.response.clone();
        response.client_data_json = changed_json(&response.client_data_json, &change);
        let _ = challenge_of(&response.client_data_json);
        if let Some(key) = seed_key(seed) {
            assert_with(seed, &knobs, &response, &key);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Assertions

#[derive(Debug, Clone)]
enum AssertionChange {
    AuthenticatorData(Vec<Mutation>),
    Signature(Vec<Mutation>),
    UserHandle(Option<Vec<u8>>),
    RawId(Vec<Mutation>),
    Key(Change<Cbor>),
}

fn assertion_change() -> impl Strategy<Value = AssertionChange> {
    prop_oneof![
        3 => mutations().prop_map(AssertionChange::AuthenticatorData),
        2 => mutations().prop_map(AssertionChange::Signature),
        1 => proptest::option::of(vec(any::<u8>(), 0..80)).prop_map(AssertionChange::UserHandle),
        1 => mutations().prop_map(AssertionChange::RawId),
        2 => cbor_change().prop_map(AssertionChange::Key),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn mutated_assertions_never_panic(
        seed in any::<Index>(),
        changes in vec(assertion_change(), 1..3),
        knobs in assertion_knobs(),
    ) {
        let seed = assertion(&seed);
        let mut response = seed.response.clone();
        let mut key_cose = seed.key_cose.clone();
        for change in &changes {
            match change {
                AssertionChange::AuthenticatorData(m) => mutate(&mut response.authenticator_data, m),
                AssertionChange::Signature(m) => mutate(&mut response.signature, m),
                AssertionChange::UserHandle(h) => response.user_handle.clone_from(h),
                AssertionChange::RawId(m) => mutate(&mut response.raw_id, m),
                AssertionChange::Key(c) => key_cose = changed_cbor(&key_cose, c),
            }
        }
        if let Ok(key) = CredentialPublicKey::from_cose(&key_cose) {
            assert_with(seed, &knobs, &response, &key);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Authenticator data and COSE keys on their own

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn any_bytes_as_authenticator_data_never_panic(
        bytes in any_bytes(),
        max_id in limit(),
        leniency in leniency(),
    ) {
        let _ = AuthenticatorData::parse(&bytes, max_id);
        let _ = AuthenticatorData::parse_with(&bytes, max_id, leniency);
    }

    #[test]
    fn authenticator_data_shaped_bytes_never_panic(
        flags in any::<u8>(),
        aaguid_and_len in vec(any::<u8>(), 0..20),
        tail in any_bytes(),
        max_id in limit(),
    ) {
        // A valid 37-byte prefix with any flags, so the attested data and extensions are read.
        let mut bytes = vec![0u8; 32];
        bytes.push(flags);
        bytes.extend([0, 0, 0, 1]);
        bytes.extend(aaguid_and_len);
        bytes.extend(tail);
        let _ = AuthenticatorData::parse(&bytes, max_id);
    }

    #[test]
    fn mutated_authenticator_data_never_panics(
        seed in any::<Index>(),
        mutations in mutations(),
        max_id in limit(),
    ) {
        let bytes = mutated(pick(&SEEDS.auth_data, &seed).as_slice(), &mutations);
        let _ = AuthenticatorData::parse(&bytes, max_id);
        let _ = AuthenticatorData::parse_with(&bytes, max_id, CborLeniency::ANY_ENCODING);
        let _ = AuthenticatorData::parse_with(&bytes, max_id, CborLeniency::STRICT);
    }

    #[test]
    fn any_bytes_as_cose_key_never_panic(bytes in any_bytes()) {
        let _ = CredentialPublicKey::from_cose(&bytes);
    }

    #[test]
    fn mutated_cose_keys_never_panic(
        seed in any::<Index>(),
        change in cbor_change(),
        message in vec(any::<u8>(), 0..64),
        signature in any_bytes(),
    ) {
        let cose = changed_cbor(pick(&SEEDS.cose_keys, &seed).as_slice(), &change);
        if let Ok(key) = CredentialPublicKey::from_cose(&cose) {
            let _ = format!("{key:?} {:?} {}", key.material(), key.alg().name());
            let _ = key.verify(&message, &signature, "fuzz");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Trust anchors, base64url, identifiers

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_text_as_pem_never_panics(
        text in any_text(r"A-Za-z0-9+/=\-\n "),
        wrapped in any::<bool>(),
    ) {
        let pem = if wrapped {
            format!("-----BEGIN CERTIFICATE-----\n{text}\n-----END CERTIFICATE-----\n")
        } else {
            text
        };
        let _ = TrustAnchors::none().add_pem(&pem);
    }

    #[test]
    fn mutated_pem_never_panics(seed in any::<Index>(), mutations in mutations()) {
        let _ = TrustAnchors::none().add_pem(&mutated_text(pick(&SEEDS.pems, &seed).as_str(), &mutations));
    }

    #[test]
    fn any_bytes_as_crl_never_panic(bytes in any_bytes()) {
        let _ = TrustAnchors::none().add_crl_der(bytes.clone());
        if let Ok(trust) = SEEDS.blob_trust.clone().with_crl_der(bytes) {
            let _ = Metadata::from_blob(&SEEDS.blob, &trust, SEEDS.blob_time);
        }
    }

    #[test]
    fn mutated_crls_never_panic(mutations in mutations()) {
        let crl = mutated(&SEEDS.crl, &mutations);
        let mut anchors = TrustAnchors::none();
        if anchors.add_crl_der(crl.clone()).is_ok() {
            let trust = SEEDS.blob_trust.clone().with_crl_der(crl).unwrap();
            let _ = Metadata::from_blob(&SEEDS.blob, &trust, SEEDS.blob_time);
        }
    }

    #[test]
    fn any_bytes_as_der_certificate_never_panic(bytes in any_bytes()) {
        let _ = TrustAnchors::none().add_der(bytes);
    }

    #[test]
    fn mutated_certificates_never_panic(seed in any::<Index>(), mutations in mutations()) {
        let der = mutated(pick(&SEEDS.certificates, &seed).as_slice(), &mutations);
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            STANDARD.encode(&der)
        );
        let _ = TrustAnchors::none().add_pem(&pem);
        let _ = TrustAnchors::none().add_der(der);
    }

    #[test]
    fn any_text_as_base64url_never_panics(
        text in any_text(r"A-Za-z0-9_\-+/="),
        limit in limit(),
    ) {
        if let Ok(bytes) = decode_base64url("fuzz", &text, limit) {
            prop_assert!(bytes.len() <= limit);
            prop_assert_eq!(encode_base64url(&bytes), text);
        }
    }

    #[test]
    fn any_text_as_identifiers_never_panics(
        text in any_text(r"0-9a-fA-F\-+"),
        id in any::<i64>(),
    ) {
        let _ = Aaguid::parse(&text);
        let _ = AttestationFormat::from_name(&text);
        let _ = CoseAlgorithm::from_id(id);
    }
}

// ---------------------------------------------------------------------------------------------
// FIDO MDS3

/// A change to one part of a compact JWS: the header JSON, a certificate of its `x5c`, the
/// payload JSON or the signature (each base64url-decoded first), or the token text itself.
#[derive(Debug, Clone)]
enum BlobChange {
    Header(Change<Json>),
    Certificate(Index, Vec<Mutation>),
    Payload(Change<Json>),
    Signature(Vec<Mutation>),
    Token(Vec<Mutation>),
}

fn blob_change() -> impl Strategy<Value = BlobChange> {
    prop_oneof![
        2 => json_change().prop_map(BlobChange::Header),
        3 => (any::<Index>(), mutations()).prop_map(|(i, m)| BlobChange::Certificate(i, m)),
        1 => json_change().prop_map(BlobChange::Payload),
        1 => mutations().prop_map(BlobChange::Signature),
        1 => mutations().prop_map(BlobChange::Token),
    ]
}

fn changed_blob(blob: &str, change: &BlobChange) -> String {
    let parts: Vec<Vec<u8>> = blob
        .split('.')
        .map(|p| decode_base64url("seed", p, 1 << 24).unwrap())
        .collect();
    let [header, payload, signature] = <[Vec<u8>; 3]>::try_from(parts).unwrap();
    let (header, payload, signature) = match change {
        BlobChange::Header(c) => (changed_json(&header, c), payload, signature),
        BlobChange::Certificate(i, m) => {
            let mut json: Json = serde_json::from_slice(&header).unwrap();
            if let Some(x5c) = json["x5c"].as_array_mut() {
                let cert = pick(x5c, i).as_str().unwrap();
                let der = mutated(&STANDARD.decode(cert).unwrap(), m);
                let at = i.index(x5c.len());
                x5c[at] = Json::from(STANDARD.encode(der));
            }
            (serde_json::to_vec(&json).unwrap(), payload, signature)
        }
        BlobChange::Payload(c) => (header, changed_json(&payload, c), signature),
        BlobChange::Signature(m) => (header, payload, mutated(&signature, m)),
        BlobChange::Token(m) => return mutated_text(blob, m),
    };
    [header, payload, signature]
        .map(|p| encode_base64url(&p))
        .join(".")
}

/// Every accessor, so lazily computed answers are exercised too.
fn read_all(metadata: &Metadata) {
    let _ = format!(
        "{metadata:?} {} {:?}",
        metadata.legal_header(),
        metadata.next_update()
    );
    for entry in metadata.entries() {
        let _ = (
            entry.aaid(),
            entry.key_identifiers(),
            entry.root_certificates(),
        );
        let _ = (
            entry.status(),
            entry.compromised_status(),
            entry.time_of_last_status_change(),
        );
        let _ = entry.status().map(ToString::to_string);
        if let Some(statement) = entry.statement() {
            let _ = statement.raw();
        }
        if let Some(aaguid) = entry.aaguid() {
            let _ = metadata.by_aaguid(&aaguid);
        }
        for key_id in entry.key_identifiers() {
            let _ = metadata.by_key_identifier(key_id);
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_text_as_metadata_blob_never_panics(
        text in any_text(r"A-Za-z0-9_\-."),
        now in any::<i64>(),
    ) {
        let _ = Metadata::from_blob(&text, &SEEDS.blob_trust, UnixTime(now));
    }

    #[test]
    fn mutated_metadata_blobs_never_panic(change in blob_change()) {
        let seeds = &*SEEDS;
        let blob = changed_blob(&seeds.blob, &change);
        if let Ok(metadata) = Metadata::from_blob(&blob, &seeds.blob_trust, seeds.blob_time) {
            read_all(&metadata);
        }
    }

    #[test]
    fn any_bytes_as_metadata_payload_never_panic(bytes in any_bytes()) {
        let _ = Metadata::from_unsigned_payload_json(&bytes);
    }

    #[test]
    fn mutated_metadata_payloads_never_panic(change in json_change()) {
        let json = changed_json(&SEEDS.payload, &change);
        if let Ok(metadata) = Metadata::from_unsigned_payload_json(&json) {
            read_all(&metadata);
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Metadata as trust anchors: the example BLOB's entries are pointed at the vector's
    /// authenticator so that its (mutated) roots and status reports decide the registration.
    #[test]
    fn mutated_metadata_as_trust_anchors_never_panics(
        seed in any::<Index>(),
        change in json_change(),
        knobs in knobs(),
    ) {
        let seed = deep_registration(&seed);
        let mut payload: Json = serde_json::from_slice(&SEEDS.payload).unwrap();
        if let (Some(aaguid), Some(entries)) = (seed.aaguid, payload["entries"].as_array_mut()) {
            for entry in entries {
                if entry.get("aaguid").is_some() {
                    entry["aaguid"] = Json::from(aaguid.to_string());
                }
            }
        }
        let payload = changed_json(&serde_json::to_vec(&payload).unwrap(), &change);
        if let Ok(metadata) = Metadata::from_unsigned_payload_json(&payload) {
            let mut trust = seed.trust.clone();
            trust.add_metadata(metadata);
            register_with(seed, &knobs, &seed.response, &trust);
        }
    }
}
