package sandbox_test

import (
	"errors"
	"io"
)

func ioNopCloser(r io.Reader) io.ReadCloser { return io.NopCloser(r) }

func errorsAs(err error, target any) bool { return errors.As(err, target) }
