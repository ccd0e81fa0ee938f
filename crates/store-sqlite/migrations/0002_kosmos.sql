-- What the 1Kosmos dialect keeps besides the tenants' own records: communities, licenses, vendor
-- metadata, DID links, process-wide secrets and request nonces. Encodings as in 0001.

-- A community's users live in a tenant of their own, its realm; the community row ties that realm
-- to its organisation. Deleting either tenant deletes the community.
CREATE TABLE communities (
    -- 24 lowercase hex digits, like the original's ObjectIds.
    id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 24 AND id NOT GLOB '*[^0-9a-f]*'),
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    realm_id BLOB NOT NULL UNIQUE REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CHECK (realm_id <> tenant_id)
) STRICT;

CREATE INDEX communities_tenant ON communities (tenant_id, created_at);

-- Looked up by hash alone: the key names its tenant. No foreign key to the community a license
-- names: the license is the tenant's, and a community that is gone simply matches no request.
CREATE TABLE licenses (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('community', 'all_communities', 'system')),
    -- Set exactly when the scope is one community.
    community_id TEXT CHECK ((scope = 'community') = (community_id IS NOT NULL)),
    key_hash BLOB NOT NULL CHECK (length(key_hash) = 32),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE UNIQUE INDEX licenses_key_hash ON licenses (key_hash);

-- A NULL realm holds the global records. SQLite's UNIQUE treats NULLs as distinct, so uniqueness
-- of (realm, aaguid) is on an expression that maps NULL to an empty blob (no tenant id is empty);
-- upserts name the same expression as their conflict target.
CREATE TABLE vendor_metadata (
    id BLOB NOT NULL PRIMARY KEY,
    realm_id BLOB REFERENCES tenants (id) ON DELETE CASCADE,
    aaguid BLOB NOT NULL CHECK (length(aaguid) = 16),
    name TEXT NOT NULL,
    -- The MDS3 metadata statement as given.
    metadata TEXT NOT NULL,
    disabled INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX vendor_metadata_realm_aaguid ON vendor_metadata (coalesce(realm_id, x''), aaguid);
-- The expression index cannot serve the cascade from `tenants`.
CREATE INDEX vendor_metadata_realm ON vendor_metadata (realm_id);

-- Through the composite keys of 0001, so a link names a user and a credential of its own realm,
-- and deleting either (or the realm) deletes the link.
CREATE TABLE links (
    realm_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL,
    did TEXT NOT NULL,
    credential_id BLOB NOT NULL,
    linked_at INTEGER NOT NULL,
    PRIMARY KEY (realm_id, user_id, did, credential_id),
    FOREIGN KEY (realm_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (realm_id, credential_id) REFERENCES credentials (tenant_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX links_did ON links (realm_id, did);
CREATE INDEX links_credential ON links (realm_id, credential_id);

CREATE TABLE service_secrets (
    name TEXT NOT NULL PRIMARY KEY,
    -- AES-256-GCM under the master key, nonce first.
    sealed BLOB NOT NULL,
    public BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- Request nonces seen, per scope, until they expire; claiming one sweeps the expired.
CREATE TABLE nonces (
    scope TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (scope, nonce)
) STRICT;

CREATE INDEX nonces_expires_at ON nonces (expires_at);
