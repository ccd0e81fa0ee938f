-- The database schema of Hanko backend v0.12.0, as its migrations leave it, for the import tests.
-- Source: https://github.com/teamhanko/hanko, tag backend/v0.12.0 (commit 0c9e2f5ea9c479650a359644c057f9d3add1e2c7),
-- backend/persistence/migrations/*.up.fizz, written out as PostgreSQL the way fizz translates them (string =
-- VARCHAR(255), columns NOT NULL unless "null": true, create_table adds created_at and updated_at unless
-- DisableTimestamps(), an int primary key = SERIAL); the final columns, not each intermediate step. Migrations:
--   20220405153240_create_users, 20220405153750_create_passcodes, 20220405154240_create_webauthn_credentials,
--   20220405154750_create_webauthn_session_data, 20220405155120_create_webauthn_session_data_allowed_credentials,
--   20220413152500_create_jwk, 20220425122015_create_password_credentials, 20220711121022_create_credential_transports,
--   20220818111000_create_audit_logs, 20221027104800_create_emails, 20221027104900_change_users,
--   20221027123530_change_passcodes, 20221222134900_change_webauthn_credentials, 20230112152816_create_identities,
--   20230206102000_change_webauthn_credentials, 20230222114100_change_webauthn_credentials,
--   20230317114334_create_tokens, 20230801124808_webauthn_session_data_add_expiry, 20230905102601_create_saml_state,
--   20230915111552_create_saml_certs, 20240108094151_create_webhooks, 20240108094210_create_webhook_events.

CREATE TABLE users (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE emails (
  id UUID PRIMARY KEY,
  user_id UUID REFERENCES users (id) ON DELETE CASCADE ON UPDATE CASCADE,
  address VARCHAR(255) NOT NULL,
  verified BOOL NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX emails_address_idx ON emails (address);

CREATE TABLE primary_emails (
  id UUID PRIMARY KEY,
  email_id UUID NOT NULL REFERENCES emails (id) ON DELETE RESTRICT ON UPDATE CASCADE,
  user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE ON UPDATE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX primary_emails_email_id_idx ON primary_emails (email_id);
CREATE UNIQUE INDEX primary_emails_user_id_idx ON primary_emails (user_id);

CREATE TABLE passcodes (
  id UUID PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE ON UPDATE CASCADE,
  ttl INTEGER NOT NULL,
  code VARCHAR(255) NOT NULL,
  try_count INTEGER NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  email_id UUID REFERENCES emails (id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE webauthn_credentials (
  id VARCHAR(255) PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE ON UPDATE CASCADE,
  public_key TEXT NOT NULL,
  attestation_type VARCHAR(255) NOT NULL,
  aaguid UUID NOT NULL,
  sign_count INTEGER NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  name VARCHAR(255),
  backup_eligible BOOL NOT NULL DEFAULT false,
  backup_state BOOL NOT NULL DEFAULT false,
  last_used_at TIMESTAMP
);

CREATE TABLE webauthn_credential_transports (
  id VARCHAR(255) PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  webauthn_credential_id VARCHAR(255) NOT NULL
    REFERENCES webauthn_credentials (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX webauthn_credential_transports_name_webauthn_credential_id_idx
  ON webauthn_credential_transports (name, webauthn_credential_id);

CREATE TABLE webauthn_session_data (
  id UUID PRIMARY KEY,
  challenge VARCHAR(255) NOT NULL,
  user_id UUID NOT NULL,
  user_verification VARCHAR(255) NOT NULL,
  operation VARCHAR(255) NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP
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

CREATE TABLE jwks (
  id SERIAL PRIMARY KEY,
  key_data TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL
);

CREATE TABLE password_credentials (
  id UUID PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE ON UPDATE CASCADE,
  password VARCHAR(255) NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX password_credentials_user_id_idx ON password_credentials (user_id);

CREATE TABLE audit_logs (
  id UUID PRIMARY KEY,
  type VARCHAR(255) NOT NULL,
  error VARCHAR(255),
  meta_http_request_id VARCHAR(255) NOT NULL,
  meta_source_ip VARCHAR(255) NOT NULL,
  meta_user_agent VARCHAR(255) NOT NULL,
  actor_user_id UUID,
  actor_email VARCHAR(255),
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_logs_type_idx ON audit_logs (type);
CREATE INDEX audit_logs_actor_user_id_idx ON audit_logs (actor_user_id);
CREATE INDEX audit_logs_actor_email_idx ON audit_logs (actor_email);
CREATE INDEX audit_logs_meta_http_request_id_idx ON audit_logs (meta_http_request_id);
CREATE INDEX audit_logs_meta_source_ip_idx ON audit_logs (meta_source_ip);

CREATE TABLE identities (
  id UUID PRIMARY KEY,
  provider_id VARCHAR(255) NOT NULL,
  provider_name VARCHAR(255) NOT NULL,
  data TEXT,
  email_id UUID NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX identities_provider_id_provider_name_idx ON identities (provider_id, provider_name);

CREATE TABLE tokens (
  id UUID PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  value VARCHAR(255) NOT NULL,
  expires_at TIMESTAMP NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tokens_value_idx ON tokens (value);

CREATE TABLE saml_states (
  id UUID PRIMARY KEY,
  nonce VARCHAR(255) NOT NULL,
  state VARCHAR(500) NOT NULL,
  expires_at TIMESTAMP NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX saml_states_nonce_idx ON saml_states (nonce);

CREATE TABLE saml_certificates (
  id UUID PRIMARY KEY,
  cert_data TEXT NOT NULL,
  cert_key TEXT NOT NULL,
  encryption_key VARCHAR(255) NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX saml_certificates_cert_data_idx ON saml_certificates (cert_data);

CREATE TABLE webhooks (
  id UUID PRIMARY KEY,
  callback VARCHAR(255) NOT NULL,
  enabled BOOL NOT NULL DEFAULT true,
  failures INTEGER NOT NULL DEFAULT 0,
  expires_at TIMESTAMP NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_events (
  id UUID PRIMARY KEY,
  webhook_id UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE ON UPDATE CASCADE,
  event VARCHAR(255) NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX webhook_events_webhook_id_event_idx ON webhook_events (webhook_id, event);
