package sqlstore

import (
	"github.com/forjinn/forjctl/pkg/forj"
)

func (t *Tx) GetIdempotency(scope, key string) (*forj.IdempotencyRecord, error) {
	var r forj.IdempotencyRecord
	var created int64
	err := t.x.QueryRow(`SELECT scope, key, request, status, body, created_at FROM idempotency
		WHERE scope = ? AND key = ?`, scope, key).Scan(&r.Scope, &r.Key, &r.Request, &r.Status, &r.Body, &created)
	if t.d.NoRows(err) {
		return nil, forj.Errorf(forj.ENotFound, "no response recorded for idempotency key %q", key)
	}
	if err != nil {
		return nil, t.internal("get idempotency", err)
	}
	r.CreatedAt = fromNanos(created)
	return &r, nil
}

func (t *Tx) PutIdempotency(r *forj.IdempotencyRecord) error {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = t.now
	}
	_, err := t.x.ExecGuarded(`INSERT INTO idempotency (scope, key, request, status, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, r.Scope, r.Key, r.Request, r.Status, r.Body, nanos(r.CreatedAt))
	if err != nil {
		if _, ok := t.d.UniqueViolation(err); ok {
			return forj.Errorf(forj.EConflict, "idempotency key %q was already used", r.Key)
		}
		return t.internal("put idempotency", err)
	}
	return nil
}
