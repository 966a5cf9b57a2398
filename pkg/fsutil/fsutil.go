// Package fsutil holds the two file primitives that pkg/config and pkg/credstore share: an
// exclusive lock between processes (and goroutines) on a sibling lock file, and an atomic
// replace of a file's contents. Both files they protect hold user state that a concurrent
// invocation must never corrupt.
package fsutil

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DirPerm is the mode of directories created for protected files: they sit beside secrets.
const DirPerm fs.FileMode = 0o700

// LockPath is the sibling file locked on behalf of path. With flock it is never removed:
// removing a lock file while another process waits on it would let two holders in at once.
func LockPath(path string) string { return path + ".lock" }

// Lock takes an exclusive lock for path, waiting for any other holder in this or another
// process, and returns the function that releases it. The lock is advisory: it only
// excludes other callers of Lock.
func Lock(path string) (unlock func() error, err error) {
	if err := os.MkdirAll(filepath.Dir(path), DirPerm); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return lockFile(LockPath(path))
}

// WithLock runs fn while holding the lock for path.
func WithLock(path string, fn func() error) (err error) {
	unlock, err := Lock(path)
	if err != nil {
		return err
	}
	defer func() {
		if uerr := unlock(); err == nil && uerr != nil {
			err = fmt.Errorf("unlock %s: %w", path, uerr)
		}
	}()
	return fn()
}

// WriteFileAtomic replaces path with data so that a reader, or a crash, sees either the old
// contents or the new ones, never a mix: it writes a temporary file in the same directory,
// syncs it, and renames it over path. The directory is created with DirPerm if missing.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, DirPerm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file 0600; set perm explicitly so the caller's mode wins and a
	// looser umask never applies.
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}
