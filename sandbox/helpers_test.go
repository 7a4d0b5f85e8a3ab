package sandbox_test

import "io"

func ioNopCloser(r io.Reader) io.ReadCloser { return io.NopCloser(r) }
