//! The committed documents under `docs/openapi/` are the code's: a change to a route or wire
//! type that changes a document fails here until the document is regenerated
//! (`LATCHKEY_WRITE_OPENAPI=1 cargo test -p latchkey-server openapi`) and committed with it.

use std::path::PathBuf;

use super::Document;

fn committed_path(document: Document) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/openapi")
        .join(document.file_name())
}

#[test]
fn committed_documents_match_the_code() {
    let write = std::env::var_os("LATCHKEY_WRITE_OPENAPI").is_some();
    let mut stale = Vec::new();
    for document in Document::ALL {
        let generated = document.render();
        let path = committed_path(document);
        if write {
            std::fs::write(&path, &generated)
                .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != generated {
            stale.push(document.file_name());
        }
    }
    assert!(
        stale.is_empty(),
        "docs/openapi/{stale:?} differ from the code: regenerate with \
         LATCHKEY_WRITE_OPENAPI=1 cargo test -p latchkey-server openapi, review, commit"
    );
}

#[test]
fn every_document_is_openapi_3_1_with_a_description_on_every_response() {
    for document in Document::ALL {
        let value: serde_json::Value = serde_json::from_str(&document.render())
            .unwrap_or_else(|error| panic!("{}: {error}", document.file_name()));
        assert_eq!(value["openapi"], "3.1.0", "{}", document.file_name());
        let paths = value["paths"].as_object().cloned().unwrap_or_default();
        for (path, operations) in paths {
            for (method, operation) in operations.as_object().cloned().unwrap_or_default() {
                let responses = operation["responses"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                assert!(!responses.is_empty(), "{method} {path} lists no response");
                for (status, response) in responses {
                    assert!(
                        response["description"]
                            .as_str()
                            .is_some_and(|d| !d.is_empty()),
                        "{} {method} {path} {status}: OpenAPI requires a description",
                        document.file_name()
                    );
                }
            }
        }
    }
}
