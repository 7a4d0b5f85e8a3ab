package handoff

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// WriteFile writes b to path as pretty JSON, atomically: the bundle goes to a
// temporary file in the same directory, is synced, and is renamed over path,
// so a reader never sees half a bundle and a crash never leaves one. The file
// has mode 0600: it names accounts and principals. Errors name the path.
func WriteFile(path string, b Bundle) error {
	data, err := EncodeJSON(b)
	if err != nil {
		return fmt.Errorf("write %s: %w", displayPath(path), err)
	}
	if err := writeAtomic(path, data); err != nil {
		var pe *fs.PathError
		var le *os.LinkError
		switch {
		case errors.As(err, &pe):
			err = pe.Err
		case errors.As(err, &le):
			err = le.Err
		}
		return fmt.Errorf("write %s: %w", displayPath(path), err)
	}
	return nil
}

func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp makes 0600 files already; say so explicitly rather than
	// rely on it.
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	// Sync the directory so the rename itself survives a crash. Some
	// systems cannot sync a directory; the file is written either way.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// ReadFile reads and decodes the bundle at path, in either encoding (a file
// may hold a saved token). now is as for Decode. A file larger than MaxSize
// is refused without being read. Errors name the path.
func ReadFile(path string, now time.Time) (Bundle, error) {
	data, err := readCapped(path)
	if err != nil {
		// The path is named once, made safe to print, rather than again
		// inside the os package's error.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("read %s: %w", displayPath(path), err)
	}
	b, err := Decode(data, now)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", displayPath(path), err)
	}
	return b, nil
}

func readCapped(path string) ([]byte, error) {
	// Stat before opening, so a FIFO or device is refused rather than
	// blocked on.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkFileInfo(fi); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := checkFileInfo(fi); err != nil {
		return nil, err
	}
	// The file may grow after the stat: never read more than the cap allows.
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, tooLarge(int64(len(data)))
	}
	return data, nil
}

func checkFileInfo(fi os.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return errors.New("not a regular file")
	}
	if fi.Size() > MaxSize {
		return tooLarge(fi.Size())
	}
	return nil
}

func tooLarge(n int64) error {
	return &ValidationError{Problems: []Problem{{
		Expected: fmt.Sprintf("at most %d bytes", MaxSize),
		Found:    fmt.Sprintf("%d bytes", n),
	}}}
}

// displayPath makes a path safe to print: quoted when it holds anything
// that is not plain printable ASCII.
func displayPath(p string) string {
	for _, r := range p {
		if r < 0x20 || r > 0x7e {
			return strconv.QuoteToASCII(p)
		}
	}
	return p
}
