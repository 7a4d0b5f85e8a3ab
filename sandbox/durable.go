package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// A durable world: with Options.WorldFile, every reply waits until the
// world it was computed from is on disk, so a kill -9 at any moment loses
// nothing a client was told.
//
// Every change (a mutating call, a time-driven transition) bumps the
// world's generation under the sandbox lock. A reply waits until the
// generation it saw is on disk: the first waiter marshals the world as it
// is then (under the lock) and writes it, one writer at a time, so
// concurrent changes share one marshal and one write, and a read that saw
// nothing new waits for nothing. Only calls that change something pay.

// worldFile keeps the world file in step with the world.
type worldFile struct {
	path string
	// snapshot marshals the world and returns its generation; it takes
	// the sandbox lock.
	snapshot func() ([]byte, uint64, error)

	mu      sync.Mutex // one writer at a time; guards written
	written uint64     // the newest generation on disk
}

// flush returns once generation gen (or a newer one) is on disk.
func (f *worldFile) flush(gen uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.written >= gen {
		return nil
	}
	data, now, err := f.snapshot()
	if err != nil {
		return fmt.Errorf("save world to %s: %w", f.path, err)
	}
	if err := writeFileAtomic(f.path, data); err != nil {
		return fmt.Errorf("save world to %s: %w", f.path, err)
	}
	f.written = now
	return nil
}

// writeFileAtomic replaces path with data so that a crash at any moment
// leaves either the old file or the new one, complete: a temp file in the
// same directory, mode 0600, synced, renamed over path, and the directory
// synced so the rename itself survives a power cut.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
