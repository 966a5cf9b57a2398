-- Usage events, ingested with workspace API keys and reported in aggregate. They belong to
-- their workspace (deleted with it); key_id is plain text so a key's deletion or rotation
-- keeps its history. Reports filter on workspace and time range.
CREATE TABLE usage (
	seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workspace_id  TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	key_id        TEXT NOT NULL,
	assistant     TEXT COLLATE "C" NOT NULL,
	environment   TEXT NOT NULL,
	tokens_in     BIGINT NOT NULL,
	tokens_out    BIGINT NOT NULL,
	compute_ms    BIGINT NOT NULL,
	api_calls     BIGINT NOT NULL,
	voice_minutes DOUBLE PRECISION NOT NULL,
	time          BIGINT NOT NULL
);
CREATE INDEX usage_workspace_time ON usage (workspace_id, time);
CREATE INDEX usage_time ON usage (time);
