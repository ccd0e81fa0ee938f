//! Names of authenticator models by AAGUID, from the bundled community list
//! (`data/aaguid-names.tsv`, source in its header). A new credential is named after its model.

use std::sync::OnceLock;

use uuid::Uuid;

const TABLE: &str = include_str!("../data/aaguid-names.tsv");

/// The table parsed once, sorted by AAGUID. Lines that do not parse are skipped; a unit test
/// holds the bundled file to having none.
fn table() -> &'static [([u8; 16], &'static str)] {
    static PARSED: OnceLock<Vec<([u8; 16], &'static str)>> = OnceLock::new();
    PARSED.get_or_init(|| {
        let mut entries: Vec<_> = TABLE.lines().filter_map(parse_line).collect();
        entries.sort_unstable_by_key(|(aaguid, _)| *aaguid);
        entries
    })
}

fn parse_line(line: &'static str) -> Option<([u8; 16], &'static str)> {
    if line.starts_with('#') {
        return None;
    }
    let (aaguid, name) = line.split_once('\t')?;
    let aaguid = Uuid::parse_str(aaguid).ok()?;
    Some((*aaguid.as_bytes(), name))
}

/// The model name of an AAGUID, if the table knows it. The all-zero AAGUID (no attestation) is
/// in no table.
pub fn name(aaguid: &[u8; 16]) -> Option<&'static str> {
    let table = table();
    let index = table.binary_search_by_key(aaguid, |(id, _)| *id).ok()?;
    table.get(index).map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_bundled_table_parses() {
        let data_lines = TABLE.lines().filter(|line| !line.starts_with('#')).count();
        assert_eq!(table().len(), data_lines);
        assert!(data_lines > 40);
    }

    #[test]
    fn well_known_models_are_named() {
        let google = Uuid::parse_str("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4").unwrap();
        assert_eq!(name(google.as_bytes()), Some("Google Password Manager"));
        assert_eq!(name(&[0; 16]), None);
    }
}
