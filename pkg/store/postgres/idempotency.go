package postgres

import (
	"errors"
	"github.com/jackc/pgx/v5"

	"github.com/forjinn/forjctl/pkg/forj"
)

func (t *tx) GetIdempotency(scope, key string) (*forj.IdempotencyRecord, error) {
	var r forj.IdempotencyRecord
	var created int64
	err := t.queryRow(`SELECT scope, key, request, status, body, created_at FROM idempotency
		WHERE scope = ? AND key = ?`, scope, key).Scan(&r.Scope, &r.Key, &r.Request, &r.Status, &r.Body, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, forj.Errorf(forj.ENotFound, "no response recorded for idempotency key %q", key)
	}
	if err != nil {
		return nil, internal("get idempotency", err)
	}
	r.CreatedAt = fromNanos(created)
	return &r, nil
}

func (t *tx) PutIdempotency(r *forj.IdempotencyRecord) error {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = t.now
	}
	_, err := t.execSP(`INSERT INTO idempotency (scope, key, request, status, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, r.Scope, r.Key, r.Request, r.Status, r.Body, nanos(r.CreatedAt))
	if err != nil {
		if _, ok := uniqueViolation(err); ok {
			return forj.Errorf(forj.EConflict, "idempotency key %q was already used", r.Key)
		}
		return internal("put idempotency", err)
	}
	return nil
}
