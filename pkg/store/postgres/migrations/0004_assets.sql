-- Assets, dataset documents and blobs: the PostgreSQL form of
-- pkg/store/sqlite/migrations/0004_assets.sql (see the comments there). Columns that lists
-- sort or page by use COLLATE "C", so order is byte order, as on SQLite.

CREATE TABLE assets (
	id           TEXT COLLATE "C" PRIMARY KEY,
	workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	kind         TEXT COLLATE "C" NOT NULL,
	name         TEXT COLLATE "C" NOT NULL,
	description  TEXT NOT NULL,
	version      BIGINT NOT NULL,
	origin       TEXT COLLATE "C",
	created_by   TEXT NOT NULL,
	updated_by   TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	labels       TEXT NOT NULL, -- JSON object of strings
	spec         TEXT NOT NULL, -- JSON object
	secret       BYTEA,
	UNIQUE (workspace_id, kind, name)
);
CREATE INDEX assets_origin ON assets (origin);
-- Lists across workspaces (a search by kind and name, or everything) in list order.
CREATE INDEX assets_kind_name ON assets (kind, name, id);

CREATE TABLE blobs (
	id         TEXT COLLATE "C" PRIMARY KEY,
	size       BIGINT NOT NULL,
	sha256     TEXT NOT NULL,
	complete   BOOLEAN NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX blobs_created ON blobs (created_at);

CREATE TABLE blob_chunks (
	blob_id TEXT COLLATE "C" NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	data    BYTEA NOT NULL,
	PRIMARY KEY (blob_id, seq)
);

CREATE TABLE documents (
	asset_id   TEXT COLLATE "C" NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	name       TEXT COLLATE "C" NOT NULL,
	blob_id    TEXT COLLATE "C" NOT NULL REFERENCES blobs (id),
	size       BIGINT NOT NULL,
	sha256     TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (asset_id, name)
);
CREATE INDEX documents_blob ON documents (blob_id);
