package printer

import "io"

// multi writes to every writer: the buffers of iostreams.Test and a builder the test reads.
type multi []io.Writer

func (m multi) Write(p []byte) (int, error) {
	for _, w := range m {
		w.Write(p)
	}
	return len(p), nil
}
