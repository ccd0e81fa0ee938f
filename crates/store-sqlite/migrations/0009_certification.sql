-- The FIDO certification level the metadata service reported for a model at the last
-- `latchkey mds import` (L1 ... L3plus); NULL when it reported none, and for a scope's records.
ALTER TABLE vendor_metadata ADD COLUMN certification TEXT
    CHECK (certification IN ('L1', 'L1plus', 'L2', 'L2plus', 'L3', 'L3plus'));
