package deploy

import (
	"hash"
	"io"
	"os"
	"sync"
)

const (
	chunkSize = 1 << 20
	// writebackEvery: after this many bytes the Store asks the kernel to
	// start writing them to disk, so that the final fsync has little left
	// to do and the disk works while the network does. Every megabyte: a
	// 5 MB C-App is on the peer 4-5 ms sooner (8 MB left it all to the
	// fsync), and 200 MB pushes are as fast as with 8 MB.
	writebackEvery = 1 << 20
)

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// writeError is a failure to write the temporary file (a full disk, an
// I/O error), as opposed to one of reading the body.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// copyHashed copies r to f in 1 MB chunks and hashes them with h in another
// goroutine, so that hashing overlaps reading and writing. It stops after
// limit+1 bytes (the caller tells too large from exactly limit). It returns
// the bytes written. Only io.EOF ends the body: any other read error,
// io.ErrUnexpectedEOF included (net/http's for a body shorter than its
// Content-Length), is returned, and so is a failed write, as a *writeError.
func copyHashed(f *os.File, h hash.Hash, r io.Reader, limit int64) (int64, error) {
	type chunk struct {
		buf *[]byte
		n   int
	}
	const inFlight = 3
	work := make(chan chunk, inFlight)
	var hashDone sync.WaitGroup
	hashDone.Go(func() {
		for c := range work {
			h.Write((*c.buf)[:c.n])
			chunkPool.Put(c.buf)
		}
	})
	defer hashDone.Wait()
	defer close(work)

	r = io.LimitReader(r, limit+1)
	var written, synced int64
	for {
		buf := chunkPool.Get().(*[]byte)
		n, rerr := readChunk(r, *buf)
		if n > 0 {
			if _, err := f.Write((*buf)[:n]); err != nil {
				chunkPool.Put(buf)
				return written, &writeError{err}
			}
			written += int64(n)
			work <- chunk{buf, n}
			if written-synced >= writebackEvery {
				startWriteback(f, synced, written-synced)
				synced = written
			}
		} else {
			chunkPool.Put(buf)
		}
		if rerr != nil {
			if rerr == io.EOF {
				return written, nil
			}
			return written, rerr
		}
	}
}

// readChunk fills buf from r like io.ReadFull, but keeps the reader's own
// errors apart: io.EOF only when the body ended, never a made-up
// io.ErrUnexpectedEOF for a last short chunk.
func readChunk(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
