//go:build linux

package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/forjinn/forjctl/pkg/bundle"
	"github.com/forjinn/forjctl/pkg/client"
	"github.com/forjinn/forjctl/pkg/forj"
)

// Document contents: random bytes (incompressible, the worst case for the bundle's gzip) or
// JSON log lines (compressible, about 5:1 with gzip's fastest level).
const (
	contentRandom = "random"
	contentText   = "text"
)

// docsPerDataset spreads the documents over several datasets, as a real workspace would.
const docsPerDataset = 4

// phaseRun is one measured forjctl run against a forjd started for it alone.
type phaseRun struct {
	CLI       cliRun
	ServerRSS int64         // forjd's VmHWM after the run, KiB (the process started just before)
	StartRSS  int64         // forjd's VmHWM once listening, before the run, KiB
	ServerCPU time.Duration // forjd's CPU time during the run
	Load      float64       // 1-minute load average after the run
}

// bundleRound is one export and one import of its bundle.
type bundleRound struct {
	Export, Import phaseRun
	BundleBytes    int64 // the tar.gz file
	PayloadBytes   int64 // what it holds: the manifest and every entry's content (asset files, documents)
}

// bundleResult is the export/import benchmark's runs for one kind of content.
type bundleResult struct {
	Content  string
	DocBytes int64 // document bytes in the workspace
	Rounds   []bundleRound
}

// benchBundle seeds workspace src-<content> with cfg.flows flows and cfg.docs documents
// totalling cfg.docMiB MiB, then, rounds times: exports it with forjctl to a file, and
// imports that file into a new workspace with forjctl. forjd is restarted before each
// phase, so that its VmHWM afterwards is that phase's peak.
func benchBundle(ctx context.Context, cfg *config, env []string, content string, rounds int) (*bundleResult, error) {
	dir := filepath.Join(cfg.work, "bundle")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	src := "src-" + content
	res := &bundleResult{Content: content, DocBytes: int64(cfg.docMiB) << 20}
	if err := seed(ctx, cfg, dir, env, src, content, res.DocBytes); err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "bundle.forj.tar.gz")
	defer os.Remove(file)
	for round := 1; round <= rounds; round++ {
		fmt.Printf(" round %d/%d (load %.2f)\n", round, rounds, loadavg())
		var r bundleRound
		os.Remove(file)
		var err error
		r.Export, err = phase(ctx, cfg, dir, env, func(s *forjd) (cliRun, error) {
			return forjctl(ctx, cfg.forjctl, cliEnv(env, s.URL), "export", "-w", src, "-f", file)
		}, nil)
		if err != nil {
			return nil, err
		}
		if r.BundleBytes, r.PayloadBytes, err = bundleSize(file, cfg.flows, res.DocBytes); err != nil {
			return nil, err
		}
		report("export", r.Export, r.PayloadBytes, r.BundleBytes)
		dst := fmt.Sprintf("dst-%s-%d", content, round)
		r.Import, err = phase(ctx, cfg, dir, env, func(s *forjd) (cliRun, error) {
			return forjctl(ctx, cfg.forjctl, cliEnv(env, s.URL), "import", file, "--create-workspace", dst)
		}, func(s *forjd) error { return expectImported(ctx, s, dst, cfg.flows, res.DocBytes) })
		if err != nil {
			return nil, err
		}
		report("import", r.Import, r.PayloadBytes, r.BundleBytes)
		res.Rounds = append(res.Rounds, r)
	}
	return res, nil
}

// report prints one phase of a round.
func report(name string, p phaseRun, payload, bundle int64) {
	fmt.Printf("  %s %8.3f s  %6.1f MB/s payload, %6.1f MB/s bundle  CLI: peak RSS %3d MiB (floor %d), CPU %5.2f s  forjd: peak RSS %3d MiB (%d at start), CPU %5.2f s\n",
		name, p.CLI.Wall.Seconds(), mbps(payload, p.CLI.Wall), mbps(bundle, p.CLI.Wall),
		p.CLI.MaxRSS>>10, p.CLI.Floor>>10, p.CLI.CPU.Seconds(), p.ServerRSS>>10, p.StartRSS>>10, p.ServerCPU.Seconds())
}

// mbps is n bytes over d in MB/s (10^6 bytes, as the budget says).
func mbps(n int64, d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }

// phase starts a fresh forjd on dir's database, runs one CLI command against it, reads the
// server's peak RSS and CPU, checks the result with verify (outside the timing) and stops
// the server.
func phase(ctx context.Context, cfg *config, dir string, env []string, run func(*forjd) (cliRun, error), verify func(*forjd) error) (phaseRun, error) {
	var p phaseRun
	srv, err := startForjd(ctx, cfg.forjd, dir, env)
	if err != nil {
		return p, err
	}
	defer srv.stop()
	if p.StartRSS, err = srv.peakRSS(); err != nil {
		return p, err
	}
	cpu0, err := srv.cpu()
	if err != nil {
		return p, err
	}
	if p.CLI, err = run(srv); err != nil {
		return p, err
	}
	if p.ServerRSS, err = srv.peakRSS(); err != nil {
		return p, err
	}
	cpu1, err := srv.cpu()
	if err != nil {
		return p, err
	}
	p.ServerCPU, p.Load = cpu1-cpu0, loadavg()
	if verify != nil {
		if err := verify(srv); err != nil {
			return p, err
		}
	}
	return p, srv.stop()
}

// seed creates workspace name with cfg.flows flows (one import) and cfg.docs documents of
// the given content, uploaded one by one (never held in memory), on a forjd of its own.
func seed(ctx context.Context, cfg *config, dir string, env []string, name, content string, total int64) error {
	srv, err := startForjd(ctx, cfg.forjd, dir, env)
	if err != nil {
		return err
	}
	defer srv.stop()
	c, err := client.New(client.Options{BaseURL: srv.URL, Token: ownerToken, Timeout: 5 * time.Minute})
	if err != nil {
		return err
	}
	ws, err := c.CreateWorkspace(ctx, forj.CreateWorkspaceRequest{Name: name})
	if err != nil {
		return err
	}
	start := time.Now()
	if err := importFlows(ctx, c, ws.ID, cfg.flows); err != nil {
		return err
	}
	fmt.Printf("seed %s: %d flows in %.1f s\n", name, cfg.flows, time.Since(start).Seconds())
	start = time.Now()
	var ds *forj.Asset
	for i := range cfg.docs {
		if i%docsPerDataset == 0 {
			ds, err = c.CreateAsset(ctx, ws.ID, forj.CreateAssetRequest{Kind: forj.KindDataset,
				Name: fmt.Sprintf("corpus-%d", i/docsPerDataset), Spec: json.RawMessage(`{}`)})
			if err != nil {
				return err
			}
		}
		size := total / int64(cfg.docs)
		if i == cfg.docs-1 {
			size = total - size*int64(cfg.docs-1)
		}
		r := io.LimitReader(newContent(content, uint64(i)), size)
		if _, err := c.UploadDocument(ctx, ws.ID, ds.ID, fmt.Sprintf("doc-%02d.%s", i, map[string]string{contentRandom: "bin", contentText: "jsonl"}[content]), r, size, client.UploadOptions{}); err != nil {
			return fmt.Errorf("uploading document %d: %w", i, err)
		}
	}
	d := time.Since(start)
	fmt.Printf("seed %s: %d documents, %d MiB of %s content in %.1f s (%.0f MB/s)\n", name, cfg.docs, total>>20, content, d.Seconds(), mbps(total, d))
	return srv.stop()
}

// newContent is an endless, deterministic stream of one kind of content.
func newContent(kind string, seed uint64) io.Reader {
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	cc := rand.NewChaCha8(key)
	if kind == contentRandom {
		return cc
	}
	return &logLines{rng: rand.New(cc), ts: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
}

// logLines produces JSON access-log lines with varying ids, paths and timings: text that
// compresses about as well as real logs.
type logLines struct {
	rng *rand.Rand
	ts  time.Time
	buf []byte
}

var (
	methods  = []string{"GET", "GET", "GET", "POST", "PATCH", "DELETE"}
	paths    = []string{"/api/v1/workspaces", "/api/v1/workspace/%s/assets", "/api/v1/workspace/%s/assets/%s", "/api/v1/assets/transfer", "/api/v1/workspace/%s/export"}
	statuses = []int{200, 200, 200, 200, 201, 204, 404, 409}
)

func (l *logLines) Read(p []byte) (int, error) {
	for len(l.buf) < len(p) {
		l.buf = l.line(l.buf)
	}
	n := copy(p, l.buf)
	l.buf = l.buf[:copy(l.buf, l.buf[n:])]
	return n, nil
}

func (l *logLines) line(b []byte) []byte {
	l.ts = l.ts.Add(time.Duration(l.rng.IntN(50)) * time.Millisecond)
	id := func() string { return strconv.FormatUint(l.rng.Uint64()>>20, 36) }
	b = append(b, `{"time":"`...)
	b = l.ts.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"request","method":"`...)
	b = append(b, methods[l.rng.IntN(len(methods))]...)
	b = append(b, `","path":"`...)
	b = fmt.Appendf(b, paths[l.rng.IntN(len(paths))], "ws_"+id(), "ast_"+id())
	b = append(b, `","status":`...)
	b = strconv.AppendInt(b, int64(statuses[l.rng.IntN(len(statuses))]), 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, l.rng.ExpFloat64()*3, 'f', 3, 64)
	b = append(b, `,"request_id":"req_`...)
	b = append(b, id()...)
	b = append(b, `","user":"usr_`...)
	b = strconv.AppendInt(b, int64(l.rng.IntN(200)), 10)
	return append(b, "\"}\n"...)
}

// bundleSize returns a bundle file's size and its payload — the manifest's size plus every
// entry's it lists — after checking the manifest lists flows asset files and docBytes of
// documents. Only the manifest, the first entry, is decompressed.
func bundleSize(file string, flows int, docBytes int64) (size, payload int64, err error) {
	fh, err := os.Open(file)
	if err != nil {
		return 0, 0, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return 0, 0, err
	}
	zr, err := gzip.NewReader(fh)
	if err != nil {
		return 0, 0, err
	}
	tr := tar.NewReader(zr)
	h, err := tr.Next()
	if err != nil || h.Name != bundle.ManifestPath {
		return 0, 0, fmt.Errorf("%s: no manifest first (%v)", file, err)
	}
	var m bundle.Manifest
	if err := json.NewDecoder(tr).Decode(&m); err != nil {
		return 0, 0, fmt.Errorf("%s: manifest: %w", file, err)
	}
	payload = h.Size
	var assets int
	var docs int64
	for _, e := range m.Entries {
		payload += e.Size
		switch {
		case strings.HasPrefix(e.Path, bundle.AssetsDir+"/"+forj.KindFlow+"/"):
			assets++
		case strings.HasPrefix(e.Path, bundle.DocumentsDir+"/"):
			docs += e.Size
		}
	}
	if assets != flows || docs != docBytes {
		return 0, 0, fmt.Errorf("%s lists %d flows and %d document bytes, want %d and %d", file, assets, docs, flows, docBytes)
	}
	return st.Size(), payload, nil
}

// expectImported checks, outside any timing, that workspace name holds the flows and the
// documents' bytes.
func expectImported(ctx context.Context, s *forjd, name string, flows int, docBytes int64) error {
	c, err := client.New(client.Options{BaseURL: s.URL, Token: ownerToken})
	if err != nil {
		return err
	}
	ws, err := c.WorkspaceByName(ctx, name)
	if err != nil {
		return err
	}
	var n int
	var bytes int64
	for a, err := range c.AllAssets(ctx, ws.ID, client.AssetListOptions{ListOptions: client.ListOptions{Limit: forj.MaxLimit}}) {
		if err != nil {
			return err
		}
		switch a.Kind {
		case forj.KindFlow:
			n++
		case forj.KindDataset:
			docs, err := c.ListDocuments(ctx, ws.ID, a.ID)
			if err != nil {
				return err
			}
			for _, d := range docs {
				bytes += d.Size
			}
		}
	}
	if n != flows || bytes != docBytes {
		return fmt.Errorf("workspace %s holds %d flows and %d document bytes after the import, want %d and %d", name, n, bytes, flows, docBytes)
	}
	return nil
}
