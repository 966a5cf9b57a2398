//go:build !unix

package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// staleAfter is how old a lock file may get before it is taken to belong to a process that
// died holding it. Our critical sections last milliseconds, so this is generous.
const staleAfter = 30 * time.Second

// lockFile, without flock, owns the lock by creating the lock file exclusively and releases
// it by removing the file; waiters retry. A lock file left by a crashed process is broken
// once it is older than staleAfter.
func lockFile(name string) (func() error, error) {
	delay := time.Millisecond
	for {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_ = f.Close()
			return func() error { return os.Remove(name) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		if fi, serr := os.Stat(name); serr == nil && time.Since(fi.ModTime()) > staleAfter {
			_ = os.Remove(name)
			continue
		}
		time.Sleep(delay)
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}

func syncDir(string) {}
