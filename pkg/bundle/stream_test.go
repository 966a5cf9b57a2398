package bundle_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/forjinn/forjctl/pkg/bundle"
	"github.com/forjinn/forjctl/pkg/forj"
)

const bigSize = 64 << 20

// bigDocument generates the same 64 MiB of incompressible bytes on every call.
func bigDocument() io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{'f', 'o', 'r', 'j'}), bigSize)
}

func bigExport(t *testing.T) *bundle.Export {
	h := sha256.New()
	if _, err := io.Copy(h, bigDocument()); err != nil {
		t.Fatal(err)
	}
	ref := bundle.DocumentRef{Name: "big.bin", Size: bigSize, SHA256: hex.EncodeToString(h.Sum(nil))}
	return &bundle.Export{
		Assets: []bundle.AssetFile{
			{Kind: forj.KindDataset, Name: "big", Spec: json.RawMessage(`{}`), Documents: []bundle.DocumentRef{ref}},
			{Kind: forj.KindFlow, Name: "f", Spec: json.RawMessage(`{}`)},
		},
		OpenDocument: func(string, string) (io.ReadCloser, error) { return io.NopCloser(bigDocument()), nil },
	}
}

// memWatch samples the heap while fn runs and returns the peak growth over the heap before
// and the bytes allocated in all.
func memWatch(fn func()) (peak, allocated uint64) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	var wg sync.WaitGroup
	var max uint64
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > max {
				max = m.HeapAlloc
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if max < before.HeapAlloc {
		max = before.HeapAlloc
	}
	return max - before.HeapAlloc, after.TotalAlloc - before.TotalAlloc
}

type bigHandler struct {
	bundle.NopHandler
	n   int64
	sum string
}

func (b *bigHandler) Document(_ string, _ bundle.DocumentRef, r io.Reader) error {
	h := sha256.New()
	n, err := io.Copy(h, r)
	b.n, b.sum = n, hex.EncodeToString(h.Sum(nil))
	return err
}

func TestLargeDocumentStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 64 MiB several times")
	}
	e := bigExport(t)
	want := e.Assets[0].Documents[0].SHA256

	// Write → Read through a pipe: neither side holds the document.
	var h bigHandler
	peak, alloc := memWatch(func() {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(bundle.Write(pw, e)) }()
		if _, err := bundle.Read(pr, bundle.DefaultLimits(), &h); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("write+read of %d MiB: peak heap growth %.1f MiB, allocated %.1f MiB", bigSize>>20, mib(peak), mib(alloc))
	if h.n != bigSize || h.sum != want {
		t.Fatalf("read %d bytes with sha256 %s", h.n, h.sum)
	}
	if peak > bigSize/8 || alloc > bigSize/4 {
		t.Errorf("peak heap growth %d, allocated %d: not streaming", peak, alloc)
	}

	// The directory form streams too: WriteDir then PackDir.
	dir := filepath.Join(t.TempDir(), "b")
	peak, alloc = memWatch(func() {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(bundle.Write(pw, e)) }()
		if err := bundle.WriteDir(pr, dir, bundle.DefaultLimits()); err != nil {
			t.Fatal(err)
		}
		if err := bundle.PackDir(dir, io.Discard, bundle.DefaultLimits()); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("write+WriteDir+PackDir: peak heap growth %.1f MiB, allocated %.1f MiB", mib(peak), mib(alloc))
	if peak > bigSize/8 || alloc > bigSize/4 {
		t.Errorf("peak heap growth %d, allocated %d: not streaming", peak, alloc)
	}
	if fi, err := os.Stat(filepath.Join(dir, "documents/big/big.bin")); err != nil || fi.Size() != bigSize {
		t.Errorf("documents/big/big.bin: %v", err)
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

func BenchmarkWriteRead(b *testing.B) {
	e := bigExport(&testing.T{})
	b.SetBytes(bigSize)
	for b.Loop() {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(bundle.Write(pw, e)) }()
		if _, err := bundle.Read(pr, bundle.DefaultLimits(), &bigHandler{}); err != nil {
			b.Fatal(err)
		}
	}
}
