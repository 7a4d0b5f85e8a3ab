package handoff

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestWriteReadFile(t *testing.T) {
	dir := t.TempDir()
	for _, b := range []Bundle{testOffer(), testRequest()} {
		path := filepath.Join(dir, string(b.Kind())+".json")
		// Write twice: the second write replaces the first.
		for range 2 {
			if err := WriteFile(path, b); err != nil {
				t.Fatalf("WriteFile: %v", err)
			}
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", path, mode)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, mustJSON(t, b)) {
			t.Errorf("file holds:\n%s\nwant the pretty JSON:\n%s", data, mustJSON(t, b))
		}
		got, err := ReadFile(path, testNow)
		if err != nil {
			t.Fatalf("ReadFile: %v", err)
		}
		if !reflect.DeepEqual(got, b) {
			t.Errorf("ReadFile = %#v, want %#v", got, b)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "offer.json request.json" {
		t.Errorf("directory holds %v; temporary files were left behind", names)
	}
}

// A saved token is a valid bundle file too.
func TestReadFileToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offer.txt")
	if err := os.WriteFile(path, []byte(mustToken(t, testOffer())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path, testNow)
	if err != nil || !reflect.DeepEqual(got, testOffer()) {
		t.Errorf("ReadFile(token file) = %#v, %v", got, err)
	}
}

func TestWriteFileInvalid(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "offer.json")
	o := testOffer()
	o.Region = "moon-1"
	err := WriteFile(path, o)
	wantErr(t, err, "write "+path+": offer: region: expected a region like us-east-1, found \"moon-1\"")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused write left %d files behind", len(entries))
	}

	inMissing := filepath.Join(dir, "missing", "offer.json")
	err = WriteFile(inMissing, testOffer())
	wantErr(t, err, "write "+inMissing+": no such file or directory")
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()

	missing := filepath.Join(dir, "nope.json")
	_, err := ReadFile(missing, testNow)
	wantErr(t, err, "read "+missing+": no such file or directory")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v is not fs.ErrNotExist", err)
	}

	_, err = ReadFile(dir, testNow)
	wantErr(t, err, "read "+dir+": not a regular file")

	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, bytes.Repeat([]byte(" "), MaxSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(big, testNow)
	wantErr(t, err, "read "+big+": handoff: expected at most 65536 bytes, found 65537 bytes")

	bad := filepath.Join(dir, "bad\x1b.json")
	o := string(mustJSON(t, testOffer()))
	if err := os.WriteFile(bad, []byte(strings.Replace(o, `"ports": [`+"\n    443", `"ports": [0`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(bad, testNow)
	wantErr(t, err, `read "`+strings.ReplaceAll(bad, "\x1b", `\x1b`)+`": offer: ports[0]: expected a port from 1 to 65535, found 0`)
}
