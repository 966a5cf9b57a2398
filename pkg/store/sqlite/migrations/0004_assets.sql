-- Assets (flows, agents, tools, datasets, credentials, integrations) of a workspace, the
-- documents of datasets, and the blobs that hold documents' contents.
--
-- An asset's name is unique per workspace and kind. The UNIQUE constraint's index
-- (workspace_id, kind, name) serves lookups by name, a workspace's list in (kind, name)
-- order and the cascade from workspaces. origin is the id of the asset this one was copied
-- from (NULL when none); not a foreign key, as the source may be deleted. The large columns
-- come last, so reading the others never walks past them: labels and spec are JSON text,
-- secret a credential's secret data sealed by the server (NULL when none).
CREATE TABLE assets (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	kind         TEXT NOT NULL,
	name         TEXT NOT NULL,
	description  TEXT NOT NULL,
	version      INTEGER NOT NULL,
	origin       TEXT,
	created_by   TEXT NOT NULL,
	updated_by   TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	labels       TEXT NOT NULL, -- JSON object of strings
	spec         TEXT NOT NULL, -- JSON object
	secret       BLOB,
	UNIQUE (workspace_id, kind, name)
) STRICT;
CREATE INDEX assets_origin ON assets (origin);
-- Lists across workspaces (a search by kind and name, or everything) in list order.
CREATE INDEX assets_kind_name ON assets (kind, name, id);

-- A blob is written chunk by chunk (chunks of forj.BlobChunkSize bytes, seq from 0), then
-- completed with its size and sha256. Documents of several datasets may share one; a blob
-- no document references is removed by DeleteOrphanBlobs once old enough.
CREATE TABLE blobs (
	id         TEXT PRIMARY KEY,
	size       INTEGER NOT NULL,
	sha256     TEXT NOT NULL,
	complete   INTEGER NOT NULL, -- boolean
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX blobs_created ON blobs (created_at);

CREATE TABLE blob_chunks (
	blob_id TEXT NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	data    BLOB NOT NULL,
	PRIMARY KEY (blob_id, seq)
) STRICT;

-- A dataset's documents go with it; their blobs stay until no document references them
-- (blob_id is a plain foreign key: a referenced blob cannot be deleted).
CREATE TABLE documents (
	asset_id   TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	blob_id    TEXT NOT NULL REFERENCES blobs (id),
	size       INTEGER NOT NULL,
	sha256     TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (asset_id, name)
) STRICT, WITHOUT ROWID;
CREATE INDEX documents_blob ON documents (blob_id);
