-- Initial schema. Times are unix nanoseconds (UTC) in INTEGER columns: sortable, exact.
-- Lists of strings (scopes, permissions) and audit changes are JSON text.

CREATE TABLE users (
	id                TEXT PRIMARY KEY,
	email             TEXT NOT NULL UNIQUE, -- normalized (lower-case) by the store
	name              TEXT NOT NULL,
	status            TEXT NOT NULL,
	global_role       TEXT NOT NULL,
	password_hash     TEXT NOT NULL DEFAULT '',
	invite_hash       TEXT NOT NULL DEFAULT '',
	invite_expires_at INTEGER,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL
) STRICT;

CREATE TABLE workspaces (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	description TEXT NOT NULL,
	color       TEXT NOT NULL,
	icon        TEXT NOT NULL,
	environment TEXT NOT NULL,
	version     INTEGER NOT NULL,
	created_by  TEXT NOT NULL,
	updated_by  TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;

-- role names a built-in role (pkg/authz) or a row of roles, so it is not a foreign key;
-- DeleteRole checks for use itself.
CREATE TABLE members (
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role         TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX members_user ON members (user_id);
CREATE INDEX members_role ON members (role);

CREATE TABLE roles (
	name        TEXT PRIMARY KEY,
	description TEXT NOT NULL,
	permissions TEXT NOT NULL, -- JSON array of permission names
	created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	kind         TEXT NOT NULL,
	name         TEXT NOT NULL,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	workspace_id TEXT REFERENCES workspaces (id) ON DELETE CASCADE, -- NULL for personal tokens
	scopes       TEXT NOT NULL, -- JSON array
	prefix       TEXT NOT NULL,
	secret_hash  TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	last_used_at INTEGER,
	revoked_at   INTEGER
) STRICT;
CREATE INDEX tokens_user ON tokens (user_id, created_at);
CREATE INDEX tokens_workspace ON tokens (workspace_id, created_at);

-- The audit trail is append-only. workspace_id is plain text, not a foreign key, so that
-- deleting a workspace keeps its history; the triggers refuse any change to a written row.
CREATE TABLE audit (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	time         INTEGER NOT NULL,
	actor_type   TEXT NOT NULL,
	actor_id     TEXT NOT NULL,
	actor_email  TEXT NOT NULL,
	workspace_id TEXT NOT NULL,
	action       TEXT NOT NULL,
	target_type  TEXT NOT NULL,
	target_id    TEXT NOT NULL,
	result       TEXT NOT NULL,
	request_id   TEXT NOT NULL,
	remote_addr  TEXT NOT NULL,
	changes      TEXT -- JSON, NULL when none
) STRICT;
CREATE INDEX audit_workspace ON audit (workspace_id, seq);
CREATE INDEX audit_actor ON audit (actor_id, seq);
CREATE INDEX audit_time ON audit (time);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TABLE idempotency (
	scope      TEXT NOT NULL,
	key        TEXT NOT NULL,
	request    TEXT NOT NULL,
	status     INTEGER NOT NULL,
	body       BLOB,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (scope, key)
) STRICT, WITHOUT ROWID;
