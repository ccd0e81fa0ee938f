-- What a registration learned from its extensions: whether the credential is discoverable
-- (credProps.rk; NULL when the client did not say), the credProtect level (1 to 3) and the
-- minimum PIN length the authenticator reported (NULL when it reported none).
ALTER TABLE credentials
    ADD COLUMN discoverable boolean,
    ADD COLUMN credential_protection smallint CHECK (credential_protection BETWEEN 1 AND 3),
    ADD COLUMN min_pin_length bigint CHECK (min_pin_length BETWEEN 0 AND 4294967295);
