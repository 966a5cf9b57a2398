// Package bundle reads and writes the export/import bundle of one workspace's assets: a
// deterministic tar.gz (or a directory with the same layout) holding
//
//	manifest.json                        format, version, source workspace, every other file's size and sha256
//	assets/<kind>/<name>.json            one canonical JSON document per asset
//	documents/<dataset>/<document>       the raw bytes of a dataset's documents
//
// docs/bundle-format.md is the format's reference. Everything is streamed: neither a bundle
// nor a document is ever held in memory whole (asset files, the manifest and the per-entry
// bookkeeping are).
//
// Writing: the caller knows every asset and every document's size and sha256 up front (the
// store records them), so the manifest goes first:
//
//	err := bundle.Write(w, &bundle.Export{Workspace: ..., Assets: ..., OpenDocument: ...})
//
// Write checks and encodes every asset before it writes a byte (an invalid asset, or one
// whose canonical file would exceed MaxAssetFileBytes, fails it with nothing written). It
// verifies every streamed document against its DocumentRef and fails when the content
// differs; what it wrote until then is not a valid bundle. A caller that lists its assets
// page by page feeds them to a Preparer (Add each, then Finish), which keeps each asset only as
// its encoded file. EncodeAsset and EncodeManifest give the canonical bytes on their own.
//
// Reading: Read validates everything while it streams and hands each asset and each document
// to a Handler as it arrives. A document's reader checks size and sha256 and returns an
// *Error at EOF when they differ. Read collects every problem it can (it goes on past a bad
// entry whenever the stream allows) and returns them together as Errors; a structural failure
// (a corrupt or truncated gzip stream or tar archive, a bad manifest, a gzip bomb) ends the
// list. Each problem is an *Error naming its entry; Errors.ForjError turns the list into the
// API's invalid error with one detail line per problem. Limits (DefaultLimits; zero fields
// take the default) bound the manifest, each entry, the entry count and the decompressed
// total. The caller must not commit anything before Read returns nil. NopHandler only
// validates.
//
// Directory form: WriteDir unpacks a tar.gz bundle into a directory, validating it as Read
// does, and PackDir packs such a directory back into the identical tar.gz bytes.
//
// Secrets: credential secrets are exported as {"stub":true}, or sealed with a passphrase
// (scrypt → AES-256-GCM, see Sealer) as {"sealed":"<base64>"} with the key's parameters in the
// manifest's encryption block.
package bundle

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Format is the manifest's format name; Version the only version this package reads and writes.
const (
	Format  = "forj-bundle"
	Version = 1
)

// ManifestPath is the path of the manifest, the first entry of every bundle.
const ManifestPath = "manifest.json"

// Top-level directories of the layout.
const (
	AssetsDir    = "assets"
	DocumentsDir = "documents"
)

// Manifest is manifest.json.
type Manifest struct {
	Format     string        `json:"format"`
	Version    int           `json:"version"`
	Workspace  WorkspaceInfo `json:"workspace"`
	Encryption *Encryption   `json:"encryption,omitempty"` // only when secrets are sealed
	Entries    []Entry       `json:"entries"`              // every other file, sorted by path
}

// WorkspaceInfo describes the workspace a bundle was exported from. It is informational: an
// import goes to the workspace the caller names.
type WorkspaceInfo struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Environment string `json:"environment"`
}

// Entry is one file of the bundle.
type Entry struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // lower-case hex
}

// AssetFile is assets/<kind>/<name>.json. It carries no id, version, timestamp or workspace
// id, so that the same assets always give the same bytes.
type AssetFile struct {
	Kind        string            `json:"kind"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Labels      map[string]string `json:"labels"`
	Spec        json.RawMessage   `json:"spec"`                // a JSON object
	Documents   []DocumentRef     `json:"documents,omitempty"` // datasets only (always present in a dataset's file)
	Secret      *SecretField      `json:"secret,omitempty"`    // credentials with secret data only
}

// DocumentRef is one document of a dataset: documents/<dataset>/<Name>.
type DocumentRef struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // lower-case hex
}

// SecretField is a credential's secret data in a bundle: either a stub (the secret exists but
// was not exported; an import keeps the target's secret, if any) or the secret sealed with the
// bundle's passphrase. Its JSON form is {"stub":true} or {"sealed":"<base64>"}.
type SecretField struct {
	Stub   bool
	Sealed []byte
}

// AssetPath returns the bundle path of an asset file: assets/<kind>/<name>.json.
func AssetPath(kind, name string) string { return AssetsDir + "/" + kind + "/" + name + ".json" }

// DocumentPath returns the bundle path of a document: documents/<dataset>/<name>.
func DocumentPath(dataset, name string) string { return DocumentsDir + "/" + dataset + "/" + name }

// SecretAAD is the additional data a credential's secret is sealed with ("kind/name"): a sealed
// secret moved to another asset file does not open.
func SecretAAD(kind, name string) []byte { return []byte(kind + "/" + name) }

// Limits bound what Read accepts.
type Limits struct {
	MaxManifestBytes int64 // manifest.json
	MaxAssetBytes    int64 // one asset file
	MaxEntries       int64 // entries listed in the manifest
	MaxTotalBytes    int64 // the decompressed archive: every entry, headers and padding
	MaxDocumentBytes int64 // one document
}

// DefaultLimits returns limits fit for a server: 32 MiB manifest, 8 MiB asset files, 100,000
// entries, 4 GiB documents, 64 GiB in all.
func DefaultLimits() Limits {
	return Limits{
		MaxManifestBytes: 32 << 20,
		MaxAssetBytes:    MaxAssetFileBytes,
		MaxEntries:       100_000,
		MaxTotalBytes:    64 << 30,
		MaxDocumentBytes: forj.MaxDocumentBytes,
	}
}

// withDefaults replaces zero (or negative) limits with the defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxManifestBytes <= 0 {
		l.MaxManifestBytes = d.MaxManifestBytes
	}
	if l.MaxAssetBytes <= 0 {
		l.MaxAssetBytes = d.MaxAssetBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	if l.MaxDocumentBytes <= 0 {
		l.MaxDocumentBytes = d.MaxDocumentBytes
	}
	return l
}

// Error is one problem of a bundle. Entry is the path of the entry at fault, or "" for a
// problem of the whole archive.
type Error struct {
	Entry   string
	Problem string
}

func (e *Error) Error() string {
	if e.Entry == "" {
		return "bundle: " + e.Problem
	}
	return fmt.Sprintf("bundle entry %q: %s", e.Entry, e.Problem)
}

// Errorf returns an *Error for entry. A Handler returns one to report a problem of the entry it
// was given; Read records it and reads on.
func Errorf(entry, format string, args ...any) *Error {
	return &Error{Entry: entry, Problem: fmt.Sprintf(format, args...)}
}

// Errors is every problem Read (or PackDir, or WriteDir) found, in the order found.
type Errors []*Error

func (es Errors) Error() string {
	switch len(es) {
	case 0:
		return "bundle: no problems"
	case 1:
		return es[0].Error()
	}
	lines := make([]string, 0, len(es)+1)
	lines = append(lines, fmt.Sprintf("bundle: %d problems:", len(es)))
	for _, e := range es {
		lines = append(lines, "  "+e.Error())
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find the individual *Error values.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// ForjError turns the problems into the API's error: code invalid, one line per problem in
// Details.
func (es Errors) ForjError() *forj.Error {
	e := forj.Errorf(forj.EInvalid, "the bundle has %d problem(s)", len(es))
	if len(es) == 1 {
		e = forj.Errorf(forj.EInvalid, "%s", es[0].Error())
	}
	for _, p := range es {
		e.Details = append(e.Details, p.Error())
	}
	return e
}

// --- paths ---

// pathKind says what a bundle path names.
type pathInfo struct {
	asset    bool   // assets/<kind>/<name>.json
	kind     string // the asset's kind
	name     string // the asset's name, or the document's dataset
	document string // the document's name
}

// parsePath checks a bundle path against the layout. The problem it returns is the
// complete sentence for an Error.
func parsePath(p string) (pathInfo, string) {
	if p == "" {
		return pathInfo{}, "empty path"
	}
	if !utf8.ValidString(p) {
		return pathInfo{}, "path is not valid UTF-8"
	}
	if strings.HasPrefix(p, "/") {
		return pathInfo{}, "absolute path not allowed"
	}
	if strings.Contains(p, `\`) {
		return pathInfo{}, "backslash in path not allowed"
	}
	if strings.ContainsRune(p, 0) {
		return pathInfo{}, "NUL byte in path not allowed"
	}
	segs := strings.Split(p, "/")
	for _, s := range segs {
		switch s {
		case "..":
			return pathInfo{}, `".." in path not allowed (path traversal)`
		case ".":
			return pathInfo{}, `"." segment in path not allowed`
		case "":
			return pathInfo{}, "empty path segment not allowed"
		}
	}
	const layout = "want manifest.json, assets/<kind>/<name>.json or documents/<dataset>/<document>"
	switch segs[0] {
	case AssetsDir:
		if len(segs) != 3 {
			return pathInfo{}, "not part of the bundle layout (" + layout + ")"
		}
		if _, ok := forj.LookupKind(segs[1]); !ok {
			return pathInfo{}, fmt.Sprintf("unknown asset kind %q (want one of %s)", segs[1], kindList())
		}
		name, ok := strings.CutSuffix(segs[2], ".json")
		if !ok {
			return pathInfo{}, "asset file name must end in .json"
		}
		if err := validateName("asset", name); err != nil {
			return pathInfo{}, err.Error()
		}
		return pathInfo{asset: true, kind: segs[1], name: name}, ""
	case DocumentsDir:
		if len(segs) != 3 {
			return pathInfo{}, "not part of the bundle layout (" + layout + ")"
		}
		if err := validateName("dataset", segs[1]); err != nil {
			return pathInfo{}, err.Error()
		}
		if err := validateName("document", segs[2]); err != nil {
			return pathInfo{}, err.Error()
		}
		return pathInfo{kind: forj.KindDataset, name: segs[1], document: segs[2]}, ""
	}
	return pathInfo{}, "not part of the bundle layout (" + layout + ")"
}

// layoutDir reports whether p (without a trailing slash) is a directory of the layout:
// assets, assets/<kind>, documents or documents/<dataset>.
func layoutDir(p string) bool {
	segs := strings.Split(p, "/")
	switch {
	case len(segs) == 1:
		return segs[0] == AssetsDir || segs[0] == DocumentsDir
	case len(segs) == 2 && segs[0] == AssetsDir:
		_, ok := forj.LookupKind(segs[1])
		return ok
	case len(segs) == 2 && segs[0] == DocumentsDir:
		return utf8.ValidString(segs[1]) && validateName("dataset", segs[1]) == nil
	}
	return false
}

func kindList() string {
	var ks []string
	for _, k := range forj.Kinds() {
		ks = append(ks, k.Name)
	}
	return strings.Join(ks, ", ")
}

// validateName checks an asset, dataset or document name: forj's rules and valid UTF-8 (a
// name is both a path segment and a JSON string, which cannot hold invalid UTF-8).
func validateName(what, name string) error {
	if !utf8.ValidString(name) {
		return fmt.Errorf("%s name %q is not valid UTF-8", what, name)
	}
	if what == "document" {
		return forj.ValidateDocumentName(name)
	}
	if err := forj.ValidateAssetName(name); err != nil {
		if what == "dataset" {
			return fmt.Errorf("dataset %s", forj.ErrorMessage(err))
		}
		return err
	}
	return nil
}

func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func hexSum(sum []byte) string { return hex.EncodeToString(sum) }

// MarshalJSON encodes {"stub":true} or {"sealed":"<base64>"}.
func (s *SecretField) MarshalJSON() ([]byte, error) {
	switch {
	case s.Stub && s.Sealed == nil:
		return []byte(`{"stub":true}`), nil
	case !s.Stub && len(s.Sealed) > 0:
		return json.Marshal(map[string][]byte{"sealed": s.Sealed})
	}
	return nil, errors.New(`secret must be {"stub":true} or {"sealed":"<base64>"}`)
}

// UnmarshalJSON accepts exactly {"stub":true} or {"sealed":"<non-empty base64>"}.
func (s *SecretField) UnmarshalJSON(b []byte) error {
	*s = SecretField{}
	var stub bool
	var sealed []byte
	seen := map[string]bool{}
	err := decodeObject(json.NewDecoder(bytes.NewReader(b)), "secret", map[string]func(*json.Decoder) error{
		"stub":   func(d *json.Decoder) error { seen["stub"] = true; return d.Decode(&stub) },
		"sealed": func(d *json.Decoder) error { seen["sealed"] = true; return d.Decode(&sealed) },
	})
	if err != nil {
		return err
	}
	switch {
	case seen["stub"] && !seen["sealed"] && stub:
		s.Stub = true
	case seen["sealed"] && !seen["stub"] && len(sealed) > 0:
		s.Sealed = sealed
	default:
		return errors.New(`secret must be {"stub":true} or {"sealed":"<base64>"}`)
	}
	return nil
}

// decodeObject decodes one JSON object from dec strictly: exact (case-sensitive) keys, no
// unknown or repeated keys. Each field's function decodes its value from dec.
func decodeObject(dec *json.Decoder, what string, fields map[string]func(*json.Decoder) error) error {
	t, err := dec.Token()
	if err != nil {
		return jsonErr(dec, err)
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("%s must be a JSON object", what)
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return jsonErr(dec, err)
		}
		key, _ := t.(string)
		f, ok := fields[key]
		if !ok {
			return fmt.Errorf("unknown field %q in %s", key, what)
		}
		if seen[key] {
			return fmt.Errorf("field %q repeated in %s", key, what)
		}
		seen[key] = true
		if err := f(dec); err != nil {
			var ue *json.UnmarshalTypeError
			if errors.As(err, &ue) {
				return fmt.Errorf("field %q of %s: %s is not a valid %s", key, what, ue.Value, ue.Type)
			}
			return jsonErr(dec, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return jsonErr(dec, err)
	}
	return nil
}

// jsonErr words a JSON decoding error with its position.
func jsonErr(dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("malformed JSON at byte %d: %v", se.Offset, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("malformed JSON: unexpected end at byte %d", dec.InputOffset())
	}
	return err
}

// endOfJSON checks that nothing but white space follows the decoded value.
func endOfJSON(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("malformed JSON: trailing data after the object at byte %d", dec.InputOffset())
	}
	return nil
}
