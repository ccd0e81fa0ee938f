-- What a registration learned from its extensions: whether the credential is discoverable
-- (credProps.rk; NULL when the client did not say), the credProtect level (1 to 3) and the
-- minimum PIN length the authenticator reported (NULL when it reported none).
ALTER TABLE credentials ADD COLUMN discoverable INTEGER CHECK (discoverable IN (0, 1));
ALTER TABLE credentials ADD COLUMN credential_protection INTEGER
    CHECK (credential_protection BETWEEN 1 AND 3);
ALTER TABLE credentials ADD COLUMN min_pin_length INTEGER
    CHECK (min_pin_length BETWEEN 0 AND 4294967295);
