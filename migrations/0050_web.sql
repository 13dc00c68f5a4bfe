-- Web console: Sign-In with Ethereum nonces, member sessions, and the session-signing secret.

-- A nonce is issued by GET /v1/auth/nonce and consumed once by POST /v1/auth/siwe.
create table web_siwe_nonces (
  nonce text primary key,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index web_siwe_nonces_expires_at on web_siwe_nonces (expires_at);

-- A member session. The cookie carries the random id (HMAC-signed); only its SHA-256 is stored,
-- so reading this table does not let anyone act as a member.
create table web_sessions (
  id_hash text primary key,
  address text not null,               -- lower-case 0x address
  chain_id integer not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index web_sessions_address on web_sessions (address);
create index web_sessions_expires_at on web_sessions (expires_at);

-- Generated once when CB_SESSION_SECRET is unset, shared by every instance.
create table web_secrets (
  name text primary key,
  value text not null,
  created_at timestamptz not null default now()
);
