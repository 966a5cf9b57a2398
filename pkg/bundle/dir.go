package bundle

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
)

// Modes of what WriteDir creates.
const (
	dirMode  fs.FileMode = 0o755
	fileMode fs.FileMode = 0o644
)

// WriteDir unpacks the tar.gz bundle read from r into dir, which must be empty or absent. It
// validates the bundle as Read does while it writes; on any problem it removes what it
// wrote (and dir, if it created it) and returns the problems. The files hold the archive's
// exact bytes, so PackDir gives back the identical tar.gz.
func WriteDir(r io.Reader, dir string, lim Limits) (err error) {
	created := false
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, dirMode); err != nil {
			return err
		}
		created = true
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	default:
		f, err := os.Open(dir)
		if err != nil {
			return err
		}
		names, _ := f.Readdirnames(1)
		f.Close()
		if len(names) > 0 {
			return fmt.Errorf("%s is not empty: a bundle is unpacked into an empty or new directory", dir)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	dw := &dirWriter{root: root}
	defer func() {
		if err != nil {
			if created {
				root.Close()
				os.RemoveAll(dir)
				return
			}
			for _, name := range []string{ManifestPath, AssetsDir, DocumentsDir} {
				if dw.made[name] {
					root.RemoveAll(name)
				}
			}
		}
		root.Close()
	}()
	_, err = Read(r, lim, dw)
	return err
}

// dirWriter is WriteDir's handler.
type dirWriter struct {
	root *os.Root
	made map[string]bool // top-level names it created
}

func (d *dirWriter) Manifest(*Manifest) error { return nil }
func (d *dirWriter) Asset(*AssetFile) error   { return nil }

func (d *dirWriter) rawManifest(raw []byte) error { return d.write(ManifestPath, raw) }

func (d *dirWriter) rawAsset(p string, raw []byte) error { return d.write(p, raw) }

func (d *dirWriter) Document(dataset string, ref DocumentRef, r io.Reader) error {
	p := DocumentPath(dataset, ref.Name)
	f, err := d.create(p)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (d *dirWriter) write(p string, data []byte) error {
	f, err := d.create(p)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// create makes p's directories and p itself, which must not exist yet.
func (d *dirWriter) create(p string) (*os.File, error) {
	if d.made == nil {
		d.made = map[string]bool{}
	}
	top, _, _ := cutFirst(p)
	d.made[top] = true
	if dir := path.Dir(p); dir != "." {
		if err := d.root.MkdirAll(dir, dirMode); err != nil {
			return nil, err
		}
	}
	f, err := d.root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if errors.Is(err, fs.ErrExist) {
		return nil, Errorf(p, "cannot be written: a file of that name exists already (a file system that ignores case or normalizes names?)")
	}
	return f, err
}

func cutFirst(p string) (string, string, bool) {
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			return p[:i], p[i+1:], true
		}
	}
	return p, "", false
}

// PackDir packs a bundle directory (as WriteDir writes it, or as edited and reviewed in git
// with its manifest kept current) into a tar.gz bundle on w: the same bytes Write gives for
// the same contents. It first validates the whole directory as Read would validate the
// archive — symbolic links, files and directories outside the layout or not listed in the
// manifest, missing files, sizes and checksums, asset files — and writes nothing when it
// finds a problem. A file that changes while it is being packed makes it fail; the bytes
// written until then are not a valid bundle.
func PackDir(dir string, w io.Writer, lim Limits) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	v := newValidator(lim, NopHandler{})

	fi, err := root.Lstat(ManifestPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Errors{{Entry: ManifestPath, Problem: "missing: a bundle directory holds manifest.json"}}
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return Errors{{Entry: ManifestPath, Problem: "not a regular file"}}
	case fi.Size() > v.lim.MaxManifestBytes:
		return Errors{{Entry: ManifestPath, Problem: fmt.Sprintf("manifest.json is %d bytes; the limit is %d", fi.Size(), v.lim.MaxManifestBytes)}}
	}
	manifest, err := root.ReadFile(ManifestPath)
	if err != nil {
		return err
	}
	if fatal, err := v.manifest(manifest); err != nil || fatal != nil {
		if err != nil && err != errTooMany {
			return err
		}
		return v.problems
	}

	// Every file and directory must belong.
	found := map[string]fs.FileInfo{}
	walkErr := fs.WalkDir(root.FS(), ".", func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." || p == ManifestPath {
			return nil
		}
		switch t := de.Type(); {
		case t&fs.ModeSymlink != 0:
			return v.problem(p, "symbolic link not allowed: a bundle holds regular files only")
		case de.IsDir():
			if !layoutDir(p) {
				if err := v.problem(p, "directory that is not part of the bundle layout"); err != nil {
					return err
				}
				return fs.SkipDir
			}
			return nil
		case !t.IsRegular():
			return v.problem(p, "not a regular file: a bundle holds regular files only")
		}
		x := v.expected[p]
		if x == nil {
			if _, problem := parsePath(p); problem != "" {
				return v.problem(p, "%s", problem)
			}
			return v.problem(p, "not listed in manifest.json")
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		found[p] = info
		return nil
	})
	if walkErr != nil {
		if walkErr == errTooMany {
			return v.problems
		}
		return walkErr
	}

	// Validate every listed file in the manifest's order, as Read validates the archive.
	for _, e := range v.m.Entries {
		info := found[e.Path]
		if info == nil || v.expected[e.Path] == nil {
			continue // missing (finish reports it) or reported already
		}
		if err := packCheck(root, e.Path, info, func(f io.Reader) error { return v.file(e.Path, info.Size(), f) }); err != nil {
			if err == errTooMany {
				return v.problems
			}
			var se *streamErr
			if errors.As(err, &se) {
				return fmt.Errorf("read %s: %w", e.Path, se.err)
			}
			return err
		}
	}
	if err := v.finish(); err != nil && err != errTooMany {
		return err
	}
	if len(v.problems) > 0 {
		return v.problems
	}

	tg := newTarGz(w)
	if err := tg.addBytes(ManifestPath, manifest); err != nil {
		return err
	}
	for _, e := range v.m.Entries {
		err := packCheck(root, e.Path, found[e.Path], func(f io.Reader) error { return tg.addStream(e.Path, e.Size, e.SHA256, f) })
		if err != nil {
			return err
		}
	}
	return tg.close()
}

// packCheck opens a file found by the walk, checks that it is still that regular file, and
// hands it to fn.
func packCheck(root *os.Root, p string, walked fs.FileInfo, fn func(io.Reader) error) error {
	f, err := root.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || !os.SameFile(fi, walked) {
		return fmt.Errorf("bundle: %s changed while being packed", p)
	}
	return fn(f)
}
