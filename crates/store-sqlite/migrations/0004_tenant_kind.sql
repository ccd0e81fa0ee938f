-- A tenant's kind is a column: an organisation, or the realm of one community. The realm names its
-- community, and its organisation is the community's; that link is stored once, here, with a
-- foreign key. It used to be stored twice, as `communities.realm_id` and as `community_of` inside
-- the realm's configuration, which this migration moves here and removes.
--
-- Deleting an organisation deletes its communities, and deleting a community deletes its realm.
--
-- SQLite cannot drop a UNIQUE or foreign-key column, so `communities` is rebuilt without
-- `realm_id`. `tenants.community_id` refers to the new table from the start: dropping the old one
-- would otherwise cascade to the realms. Renaming the new table updates that reference.

CREATE TABLE communities_next (
    -- 24 lowercase hex digits, like the original's ObjectIds.
    id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 24 AND id NOT GLOB '*[^0-9a-f]*'),
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

INSERT INTO communities_next (id, tenant_id, name, created_at)
SELECT id, tenant_id, name, created_at FROM communities;

ALTER TABLE tenants ADD COLUMN kind TEXT NOT NULL DEFAULT 'organisation'
    CHECK (kind IN ('organisation', 'realm'));

-- Set exactly for a realm.
ALTER TABLE tenants ADD COLUMN community_id TEXT
    REFERENCES communities_next (id) ON DELETE CASCADE
    CHECK ((kind = 'realm') = (community_id IS NOT NULL));

UPDATE tenants
SET kind = 'realm',
    community_id = (SELECT id FROM communities WHERE realm_id = tenants.id)
WHERE id IN (SELECT realm_id FROM communities);

UPDATE tenants SET config = json_remove(config, '$.community_of');

DROP TABLE communities;
ALTER TABLE communities_next RENAME TO communities;

CREATE INDEX communities_tenant ON communities (tenant_id, created_at);
-- One realm per community; also serves the cascade from `communities`.
CREATE UNIQUE INDEX tenants_community ON tenants (community_id);
-- Listing the organisations.
CREATE INDEX tenants_kind ON tenants (kind, created_at);
