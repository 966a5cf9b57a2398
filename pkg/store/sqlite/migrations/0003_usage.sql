-- Usage events, ingested with workspace API keys and reported in aggregate. They belong to
-- their workspace (deleted with it); key_id is plain text so a key's deletion or rotation
-- keeps its history. Reports filter on workspace and time range.
CREATE TABLE usage (
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	key_id        TEXT NOT NULL,
	assistant     TEXT NOT NULL,
	environment   TEXT NOT NULL,
	tokens_in     INTEGER NOT NULL,
	tokens_out    INTEGER NOT NULL,
	compute_ms    INTEGER NOT NULL,
	api_calls     INTEGER NOT NULL,
	voice_minutes REAL NOT NULL,
	time          INTEGER NOT NULL
) STRICT;
CREATE INDEX usage_workspace_time ON usage (workspace_id, time);
CREATE INDEX usage_time ON usage (time);
