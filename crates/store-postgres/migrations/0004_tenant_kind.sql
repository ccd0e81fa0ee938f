-- A tenant's kind is a column: an organisation, or the realm of one community. The realm names its
-- community, and its organisation is the community's; that link is stored once, here, with a
-- foreign key. It used to be stored twice, as `communities.realm_id` and as `community_of` inside
-- the realm's configuration, which this migration moves here and removes.
--
-- Deleting an organisation deletes its communities, and deleting a community deletes its realm.

ALTER TABLE tenants
    ADD COLUMN kind text NOT NULL DEFAULT 'organisation'
        CHECK (kind IN ('organisation', 'realm')),
    -- Set exactly for a realm.
    ADD COLUMN community_id text REFERENCES communities (id) ON DELETE CASCADE,
    -- One realm per community; also serves the cascade from `communities`.
    ADD CONSTRAINT tenants_community_key UNIQUE (community_id);

UPDATE tenants
SET kind = 'realm', community_id = communities.id
FROM communities
WHERE communities.realm_id = tenants.id;

ALTER TABLE tenants
    ADD CONSTRAINT tenants_kind_community_check
        CHECK ((kind = 'realm') = (community_id IS NOT NULL));

UPDATE tenants SET config = config - 'community_of' WHERE config ? 'community_of';

ALTER TABLE communities DROP COLUMN realm_id;

-- Listing the organisations.
CREATE INDEX tenants_kind_idx ON tenants (kind, created_at);
