package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/forjinn/forjctl/pkg/forj"
)

// encoder holds reusable response buffers, so encoding a response allocates little.
type encoder struct {
	pool sync.Pool
}

// maxPooledBuffer keeps a rare large response's buffer from staying in the pool.
const maxPooledBuffer = 256 << 10

func (e *encoder) get() *bytes.Buffer {
	if b, ok := e.pool.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

func (e *encoder) put(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	e.pool.Put(b)
}

// write encodes v as the response body (as json.Marshal would, plus a newline).
func (e *encoder) write(w http.ResponseWriter, status int, v any) error {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return nil
	}
	b := e.get()
	defer e.put(b)
	if err := json.NewEncoder(b).Encode(v); err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	writeBody(w, status, b.Bytes())
	return nil
}

// writeWorkspaces writes a page of workspaces, encoded by hand: encoding/json's reflection
// and time.Time's MarshalJSON (whose output it re-scans) were a fifth of a list request's
// CPU. TestWorkspaceListEncoding keeps the bytes identical to json.Marshal's of
// forj.List[forj.Workspace], field by field.
func (e *encoder) writeWorkspaces(w http.ResponseWriter, ws []forj.Workspace, next string) {
	b := e.get()
	defer e.put(b)
	b.Write(appendWorkspaceList(b.AvailableBuffer(), ws, next))
	writeBody(w, http.StatusOK, b.Bytes())
}

// appendWorkspaceList appends json.Marshal(forj.List[forj.Workspace]{ws, next}) and a newline.
func appendWorkspaceList(dst []byte, ws []forj.Workspace, next string) []byte {
	dst = append(dst, `{"data":[`...)
	for i := range ws {
		if i > 0 {
			dst = append(dst, ',')
		}
		w := &ws[i]
		dst = append(dst, `{"id":`...)
		dst = appendJSONString(dst, w.ID)
		dst = append(dst, `,"name":`...)
		dst = appendJSONString(dst, w.Name)
		dst = append(dst, `,"description":`...)
		dst = appendJSONString(dst, w.Description)
		dst = append(dst, `,"color":`...)
		dst = appendJSONString(dst, w.Color)
		dst = append(dst, `,"icon":`...)
		dst = appendJSONString(dst, w.Icon)
		dst = append(dst, `,"environment":`...)
		dst = appendJSONString(dst, w.Environment)
		dst = append(dst, `,"version":`...)
		dst = strconv.AppendInt(dst, w.Version, 10)
		dst = append(dst, `,"createdBy":`...)
		dst = appendJSONString(dst, w.CreatedBy)
		dst = append(dst, `,"updatedBy":`...)
		dst = appendJSONString(dst, w.UpdatedBy)
		dst = append(dst, `,"createdAt":"`...)
		dst = w.CreatedAt.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, `","updatedAt":"`...)
		dst = w.UpdatedAt.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, `"}`...)
	}
	dst = append(dst, ']')
	if next != "" {
		dst = append(dst, `,"next_cursor":`...)
		dst = appendJSONString(dst, next)
	}
	return append(dst, "}\n"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as encoding/json writes a string (with its default HTML
// escaping): <, >, & and U+2028/U+2029 as \u escapes, invalid UTF-8 as \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
