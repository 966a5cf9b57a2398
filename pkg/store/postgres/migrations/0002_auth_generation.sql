-- One row counting changes to who may do what (tokens revoked, users changed, memberships,
-- roles, workspaces deleted), so servers can cache authentication and still see every
-- change at once.
CREATE TABLE auth_generation (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n  BIGINT NOT NULL
);
INSERT INTO auth_generation (id, n) VALUES (1, 0);
