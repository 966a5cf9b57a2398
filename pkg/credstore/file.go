package credstore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/forjinn/forjctl/pkg/forj"
	"github.com/forjinn/forjctl/pkg/fsutil"
	"go.yaml.in/yaml/v3"
)

// fileMode is the credentials file's mode: it holds plaintext tokens.
const fileMode fs.FileMode = 0o600

const fileHeader = "# forjctl tokens in plain text, used where no keyring is usable.\n" +
	"# Keep this file private (0600). 'forjctl auth logout' removes entries.\n"

// tokenFile is the credentials file's content.
type tokenFile struct {
	Tokens map[string]string `yaml:"tokens"`
}

func (s *Store) readFile() (tokenFile, error) {
	tf := tokenFile{Tokens: map[string]string{}}
	data, err := os.ReadFile(s.file)
	if errors.Is(err, fs.ErrNotExist) {
		return tf, nil
	}
	if err != nil {
		return tf, fmt.Errorf("read credentials: %w", err)
	}
	if err := yaml.Unmarshal(data, &tf); err != nil {
		return tf, forj.Errorf(forj.EInvalid, "credentials file %s is not valid: %v", s.file, err).
			WithHint("remove the file and run 'forjctl auth login' again")
	}
	if tf.Tokens == nil {
		tf.Tokens = map[string]string{}
	}
	return tf, nil
}

func (s *Store) fileGet(key string) (string, bool, error) {
	tf, err := s.readFile()
	if err != nil {
		return "", false, err
	}
	tok, ok := tf.Tokens[key]
	return tok, ok && tok != "", nil
}

// updateFile re-reads, changes and atomically rewrites the file under its lock, so
// concurrent logins to different contexts keep each other's tokens.
func (s *Store) updateFile(fn func(tokenFile) (changed bool)) error {
	return fsutil.WithLock(s.file, func() error {
		tf, err := s.readFile()
		if err != nil {
			return err
		}
		if !fn(tf) {
			return nil
		}
		var buf bytes.Buffer
		buf.WriteString(fileHeader)
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(tf); err != nil {
			return fmt.Errorf("encode credentials: %w", err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("encode credentials: %w", err)
		}
		return fsutil.WriteFileAtomic(s.file, buf.Bytes(), fileMode)
	})
}

func (s *Store) fileSet(key, token string) error {
	return s.updateFile(func(tf tokenFile) bool {
		tf.Tokens[key] = token
		return true
	})
}

func (s *Store) fileDelete(key string) error {
	if _, err := os.Stat(s.file); errors.Is(err, fs.ErrNotExist) {
		return nil // nothing to delete; do not create the file or its lock
	}
	return s.updateFile(func(tf tokenFile) bool {
		if _, ok := tf.Tokens[key]; !ok {
			return false
		}
		delete(tf.Tokens, key)
		return true
	})
}
