-- Initial schema, the PostgreSQL form of pkg/store/sqlite/migrations/0001_init.sql. Times are
-- unix nanoseconds (UTC) in BIGINT columns: sortable and exact, as on SQLite. Lists of
-- strings (scopes, permissions) and audit changes are JSON text, kept byte for byte.
-- Columns that lists sort or page by use COLLATE "C", so order is byte order (as on
-- SQLite) whatever the database's default collation.

CREATE TABLE users (
	id                TEXT COLLATE "C" PRIMARY KEY,
	email             TEXT COLLATE "C" NOT NULL UNIQUE, -- normalized (lower-case) by the store
	name              TEXT NOT NULL,
	status            TEXT NOT NULL,
	global_role       TEXT NOT NULL,
	password_hash     TEXT NOT NULL DEFAULT '',
	invite_hash       TEXT NOT NULL DEFAULT '',
	invite_expires_at BIGINT,
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL
);

CREATE TABLE workspaces (
	id          TEXT COLLATE "C" PRIMARY KEY,
	name        TEXT COLLATE "C" NOT NULL UNIQUE,
	description TEXT NOT NULL,
	color       TEXT NOT NULL,
	icon        TEXT NOT NULL,
	environment TEXT NOT NULL,
	version     BIGINT NOT NULL,
	created_by  TEXT NOT NULL,
	updated_by  TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);

-- role names a built-in role (pkg/authz) or a row of roles, so it is not a foreign key;
-- DeleteRole checks for use itself.
CREATE TABLE members (
	workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role         TEXT COLLATE "C" NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX members_user ON members (user_id);
CREATE INDEX members_role ON members (role);

CREATE TABLE roles (
	name        TEXT COLLATE "C" PRIMARY KEY,
	description TEXT NOT NULL,
	permissions TEXT NOT NULL, -- JSON array of permission names
	created_at  BIGINT NOT NULL
);

CREATE TABLE tokens (
	id           TEXT COLLATE "C" PRIMARY KEY,
	kind         TEXT NOT NULL,
	name         TEXT NOT NULL,
	user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	workspace_id TEXT COLLATE "C" REFERENCES workspaces (id) ON DELETE CASCADE, -- NULL for personal tokens
	scopes       TEXT NOT NULL, -- JSON array
	prefix       TEXT NOT NULL,
	secret_hash  TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT,
	last_used_at BIGINT,
	revoked_at   BIGINT
);
CREATE INDEX tokens_user ON tokens (user_id, created_at);
CREATE INDEX tokens_workspace ON tokens (workspace_id, created_at);

-- The audit trail is append-only. workspace_id is plain text, not a foreign key, so that
-- deleting a workspace keeps its history; the triggers refuse any change to a written row.
-- seq comes from a sequence; writers take the store's write lock (store.go) before any
-- statement, so seq follows commit order.
CREATE TABLE audit (
	seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	time         BIGINT NOT NULL,
	actor_type   TEXT NOT NULL,
	actor_id     TEXT COLLATE "C" NOT NULL,
	actor_email  TEXT NOT NULL,
	workspace_id TEXT COLLATE "C" NOT NULL,
	action       TEXT COLLATE "C" NOT NULL,
	target_type  TEXT NOT NULL,
	target_id    TEXT NOT NULL,
	result       TEXT NOT NULL,
	request_id   TEXT NOT NULL,
	remote_addr  TEXT NOT NULL,
	changes      TEXT -- JSON, NULL when none
);
CREATE INDEX audit_workspace ON audit (workspace_id, seq);
CREATE INDEX audit_actor ON audit (actor_id, seq);
CREATE INDEX audit_time ON audit (time);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit events are append-only';
END
$$;

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
	FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
	FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
	FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

CREATE TABLE idempotency (
	scope      TEXT COLLATE "C" NOT NULL,
	key        TEXT COLLATE "C" NOT NULL,
	request    TEXT NOT NULL,
	status     INTEGER NOT NULL,
	body       BYTEA,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (scope, key)
);
