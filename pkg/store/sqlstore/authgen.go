package sqlstore

func (t *Tx) AuthGeneration() (int64, error) {
	var n int64
	if err := t.x.QueryRow(`SELECT n FROM auth_generation WHERE id = 1`).Scan(&n); err != nil {
		return 0, t.internal("auth generation", err)
	}
	return n, nil
}

// bumpAuth increments the auth generation inside the current write transaction; called by
// every method that changes who may do what, so it commits or rolls back with the change.
func (t *Tx) bumpAuth() error {
	if _, err := t.x.Exec(`UPDATE auth_generation SET n = n + 1 WHERE id = 1`); err != nil {
		return t.internal("bump auth generation", err)
	}
	return nil
}
