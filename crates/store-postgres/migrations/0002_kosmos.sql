-- What the 1Kosmos dialect keeps besides the tenants' own records: communities, licenses, vendor
-- metadata, DID links, process-wide secrets and request nonces. Constraint names are mapped to
-- conflicts in src/error.rs, as in 0001.

-- A community's users live in a tenant of their own, its realm; the community row ties that realm
-- to its organisation. Deleting either tenant deletes the community.
CREATE TABLE communities (
    -- 24 lowercase hex digits, like the original's ObjectIds.
    id text NOT NULL CHECK (id ~ '^[0-9a-f]{24}$'),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    realm_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT communities_pkey PRIMARY KEY (id),
    CONSTRAINT communities_realm_key UNIQUE (realm_id),
    CHECK (realm_id <> tenant_id)
);

CREATE INDEX communities_tenant_idx ON communities (tenant_id, created_at);

-- Looked up by hash alone: the key names its tenant. No foreign key to the community a license
-- names: the license is the tenant's, and a community that is gone simply matches no request.
CREATE TABLE licenses (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    scope text NOT NULL CHECK (scope IN ('community', 'all_communities', 'system')),
    -- Set exactly when the scope is one community.
    community_id text CHECK ((scope = 'community') = (community_id IS NOT NULL)),
    key_hash bytea NOT NULL CHECK (octet_length(key_hash) = 32),
    created_at timestamptz NOT NULL,
    CONSTRAINT licenses_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT licenses_key_hash_key UNIQUE (key_hash)
);

-- A NULL realm holds the global records; NULLS NOT DISTINCT keeps those unique per AAGUID too.
CREATE TABLE vendor_metadata (
    id uuid NOT NULL,
    realm_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
    aaguid uuid NOT NULL,
    name text NOT NULL,
    -- The MDS3 metadata statement as given (jsonb would reorder and reformat it).
    metadata text NOT NULL,
    disabled boolean NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT vendor_metadata_pkey PRIMARY KEY (id),
    CONSTRAINT vendor_metadata_realm_aaguid_key UNIQUE NULLS NOT DISTINCT (realm_id, aaguid)
);

-- Through the composite keys of 0001, so a link names a user and a credential of its own realm,
-- and deleting either (or the realm) deletes the link.
CREATE TABLE links (
    realm_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    did text NOT NULL,
    credential_id bytea NOT NULL,
    linked_at timestamptz NOT NULL,
    CONSTRAINT links_pkey PRIMARY KEY (realm_id, user_id, did, credential_id),
    CONSTRAINT links_user_fkey FOREIGN KEY (realm_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT links_credential_fkey FOREIGN KEY (realm_id, credential_id)
        REFERENCES credentials (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX links_did_idx ON links (realm_id, did);
CREATE INDEX links_credential_idx ON links (realm_id, credential_id);

CREATE TABLE service_secrets (
    name text NOT NULL,
    -- AES-256-GCM under the master key, nonce first.
    sealed bytea NOT NULL,
    public bytea NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT service_secrets_pkey PRIMARY KEY (name)
);

-- Request nonces seen, per scope, until they expire; claiming one sweeps the expired.
CREATE TABLE nonces (
    scope text NOT NULL,
    nonce text NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT nonces_pkey PRIMARY KEY (scope, nonce)
);

CREATE INDEX nonces_expires_at_idx ON nonces (expires_at);
