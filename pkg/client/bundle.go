package client

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/forjinn/forjctl/pkg/forj"
)

// Export streams a workspace's bundle (a tar.gz, docs/bundle-format.md). The caller must
// close the result; once the headers have arrived the transfer has no deadline. With
// includeSecrets, credential secrets are sealed with passphrase (sent in the
// forj.BundlePassphraseHeader header, which --debug traces redact).
func (c *Client) Export(ctx context.Context, workspaceID string, includeSecrets bool, passphrase string) (io.ReadCloser, error) {
	h := http.Header{}
	h.Set("Accept", "application/gzip")
	var q url.Values
	if includeSecrets {
		q = url.Values{"includeSecrets": {"true"}}
	}
	if passphrase != "" {
		h.Set(forj.BundlePassphraseHeader, passphrase)
	}
	resp, err := c.doStream(ctx, http.MethodGet, workspacePath(workspaceID)+"/export", q, h, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// ImportOptions are the parameters of an import.
type ImportOptions struct {
	OnConflict string // fail (the server's default when empty) | skip | rename | overwrite
	DryRun     bool   // plan only: nothing is applied
	Passphrase string // opens the bundle's sealed credential secrets
	Size       int64  // the body's length when known; 0 or less: unknown (sent chunked)
}

// Import sends a bundle (a tar.gz) to a workspace, streaming body. The server plans the
// whole bundle first and applies it in one transaction, or applies nothing: a bundle with
// problems is an EInvalid error whose Details list every one of them. The request is not
// retried once it may have reached the server, unless body is a file (an io.Seeker), which
// is sent again from the start.
func (c *Client) Import(ctx context.Context, workspaceID string, body io.Reader, opts ImportOptions) (*forj.ImportResponse, error) {
	q := url.Values{}
	if opts.OnConflict != "" {
		q.Set("onConflict", opts.OnConflict)
	}
	if opts.DryRun {
		q.Set("dryRun", "true")
	}
	h := http.Header{}
	h.Set("Content-Type", "application/gzip")
	if opts.Passphrase != "" {
		h.Set(forj.BundlePassphraseHeader, opts.Passphrase)
	}
	size := opts.Size
	if size <= 0 {
		size = -1
	}
	sb, err := newStreamBody(body, size)
	if err != nil {
		return nil, err
	}
	var out forj.ImportResponse
	if err := c.doStreamJSON(ctx, http.MethodPost, workspacePath(workspaceID)+"/import", q, h, sb, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
