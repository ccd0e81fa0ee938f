-- The database schema of Hanko passkey-server, as its migrations leave it, for the import tests.
-- Source: https://github.com/teamhanko/passkey-server, commit 1d194aba6ea8bd1fc4c293da2eaec96e64b301a2
-- (2024-11-27), server/persistence/migrations/*.up.fizz, written out as PostgreSQL the way fizz translates them
-- (string = VARCHAR(255), columns NOT NULL unless "null": true, Timestamps() = created_at and updated_at, an int
-- primary key = SERIAL). Migrations, in order:
--   20231107190551_create_tenants, 20231107190727_create_configs, 20231107190913_create_webauthn_configs,
--   20231107190959_create_relying_parties, 20231107191059_create_webauthn_origins, 20231107191208_create_cors,
--   20231107191230_create_cors_origins, 20231107191346_create_audit_log_configs, 20231107191413_create_secrets,
--   20231107191655_create_webauthn_users, 20231107191924_create_webauthn_session_data,
--   20231107192701_create_webauthn_session_data_allowed_creds, 20231107192813_create_webauthn_credentials,
--   20231107192944_create_webauthn_credential_transports, 20231107193018_create_jwks,
--   20231107193117_create_audit_logs, 20231108143016_change_user_id_to_varchar, 20231123102742_create_transactions,
--   20231123104552_add_transactions_to_audit_log, 20240220140353_add_webauthn_options,
--   20240226103525_add_discoverable_to_sessiondata, 20240322082442_add_is_mfa_to_webauthn_credential,
--   20240322134127_create_mfa_configs.

CREATE TABLE tenants (
  id UUID PRIMARY KEY,
  display_name VARCHAR(255) NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE configs (
  id UUID PRIMARY KEY,
  tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE webauthn_configs (
  id UUID PRIMARY KEY,
  timeout INTEGER NOT NULL DEFAULT 60000,
  user_verification VARCHAR(255) NOT NULL DEFAULT 'preferred',
  config_id UUID NOT NULL REFERENCES configs (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  attachment VARCHAR(255),
  attestation_preference VARCHAR(255) NOT NULL DEFAULT 'none',
  resident_key_requirement VARCHAR(255) NOT NULL DEFAULT 'required'
);

CREATE TABLE relying_parties (
  id UUID PRIMARY KEY,
  rp_id VARCHAR(255) NOT NULL,
  display_name VARCHAR(255) NOT NULL,
  icon VARCHAR(255),
  webauthn_config_id UUID NOT NULL UNIQUE REFERENCES webauthn_configs (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE webauthn_origins (
  id UUID PRIMARY KEY,
  origin VARCHAR(255) NOT NULL,
  relying_party_id UUID NOT NULL REFERENCES relying_parties (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX webauthn_origins_origin_relying_party_id_idx ON webauthn_origins (origin, relying_party_id);

CREATE TABLE cors (
  id UUID PRIMARY KEY,
  allow_unsafe BOOL NOT NULL DEFAULT false,
  config_id UUID NOT NULL REFERENCES configs (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE cors_origins (
  id UUID PRIMARY KEY,
  origin VARCHAR(255) NOT NULL UNIQUE,
  cors_id UUID NOT NULL REFERENCES cors (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE audit_log_configs (
  id UUID PRIMARY KEY,
  enable_storage BOOL NOT NULL DEFAULT false,
  enable_console BOOL NOT NULL DEFAULT true,
  output_stream VARCHAR(255) NOT NULL DEFAULT 'stdout',
  config_id UUID NOT NULL REFERENCES configs (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE secrets (
  id UUID PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  key VARCHAR(200) NOT NULL,
  is_api_secret BOOL NOT NULL DEFAULT true,
  config_id UUID NOT NULL REFERENCES configs (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX secrets_key_config_id_idx ON secrets (key, config_id);
CREATE UNIQUE INDEX secrets_name_config_id_idx ON secrets (name, config_id);

CREATE TABLE webauthn_users (
  id UUID PRIMARY KEY,
  user_id VARCHAR(255) NOT NULL UNIQUE,
  name VARCHAR(255) NOT NULL,
  icon VARCHAR(255) NOT NULL,
  display_name VARCHAR(255) NOT NULL,
  tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX webauthn_users_user_id_tenant_id_idx ON webauthn_users (user_id, tenant_id);

CREATE TABLE webauthn_session_data (
  id UUID PRIMARY KEY,
  challenge VARCHAR(255) NOT NULL,
  user_id VARCHAR(255) NOT NULL,
  user_verification VARCHAR(255) NOT NULL,
  operation VARCHAR(255) NOT NULL,
  expires_at TIMESTAMP,
  tenant_id UUID REFERENCES tenants (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  is_discoverable BOOL NOT NULL DEFAULT true
);
CREATE UNIQUE INDEX webauthn_session_data_challenge_idx ON webauthn_session_data (challenge);

CREATE TABLE webauthn_session_data_allowed_credentials (
  id UUID PRIMARY KEY,
  credential_id VARCHAR(255) NOT NULL,
  webauthn_session_data_id UUID NOT NULL
    REFERENCES webauthn_session_data (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE webauthn_credentials (
  id VARCHAR(255) PRIMARY KEY,
  user_id VARCHAR(255) NOT NULL,
  public_key TEXT NOT NULL,
  attestation_type VARCHAR(255) NOT NULL,
  aaguid UUID NOT NULL,
  sign_count INTEGER NOT NULL,
  name VARCHAR(255),
  last_used_at TIMESTAMP,
  backup_eligible BOOL NOT NULL DEFAULT false,
  backup_state BOOL NOT NULL DEFAULT false,
  webauthn_user_id UUID REFERENCES webauthn_users (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  is_mfa BOOL NOT NULL DEFAULT false
);

CREATE TABLE webauthn_credential_transports (
  id VARCHAR(255) PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  webauthn_credential_id VARCHAR(255) NOT NULL
    REFERENCES webauthn_credentials (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX webauthn_credential_transports_name_webauthn_credential_id_idx
  ON webauthn_credential_transports (name, webauthn_credential_id);

CREATE TABLE jwks (
  id SERIAL PRIMARY KEY,
  key_data TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE audit_logs (
  id UUID PRIMARY KEY,
  type VARCHAR(255) NOT NULL,
  error VARCHAR(255),
  meta_http_request_id VARCHAR(255) NOT NULL,
  meta_source_ip VARCHAR(255) NOT NULL,
  meta_user_agent VARCHAR(255) NOT NULL,
  actor_user_id VARCHAR(255),
  tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  transaction_id VARCHAR(255)
);
CREATE INDEX audit_logs_type_idx ON audit_logs (type);
CREATE INDEX audit_logs_actor_user_id_idx ON audit_logs (actor_user_id);
CREATE INDEX audit_logs_meta_http_request_id_idx ON audit_logs (meta_http_request_id);
CREATE INDEX audit_logs_meta_source_ip_idx ON audit_logs (meta_source_ip);

CREATE TABLE transactions (
  id UUID PRIMARY KEY,
  identifier VARCHAR(255) NOT NULL,
  data TEXT NOT NULL,
  challenge VARCHAR(255) NOT NULL,
  webauthn_user_id UUID NOT NULL REFERENCES webauthn_users (id) ON DELETE CASCADE ON UPDATE CASCADE,
  tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX transactions_identifier_tenant_id_idx ON transactions (identifier, tenant_id);

CREATE TABLE mfa_configs (
  id UUID PRIMARY KEY,
  timeout INTEGER NOT NULL DEFAULT 60000,
  user_verification VARCHAR(255) NOT NULL DEFAULT 'discouraged',
  attachment VARCHAR(255) NOT NULL DEFAULT 'cross-platform',
  attestation_preference VARCHAR(255) NOT NULL DEFAULT 'direct',
  resident_key_requirement VARCHAR(255) NOT NULL DEFAULT 'discouraged',
  config_id UUID NOT NULL REFERENCES configs (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
