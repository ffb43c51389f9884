package carbonlog

import (
	"bytes"
	"io"
)

// maxLine caps how much of one line is looked at; the rest of a longer line
// is skipped, so one huge line (or record) costs no more memory than this.
// Every header and message Carbon writes for a C-App is far shorter.
const maxLine = 16 << 10

// chunkSize is how much is read from the file at a time.
const chunkSize = 64 << 10

// splitter cuts a byte stream into lines of at most maxLine bytes, keeping
// an unfinished last line until the rest of it arrives.
type splitter struct {
	buf      []byte // reused read buffer
	partial  []byte // the unfinished line, at most maxLine bytes
	skipping bool   // the current line passed maxLine: drop until '\n'
}

func newSplitter() *splitter {
	return &splitter{buf: make([]byte, chunkSize), partial: make([]byte, 0, maxLine)}
}

// reset forgets an unfinished line (after truncation).
func (s *splitter) reset() {
	s.partial = s.partial[:0]
	s.skipping = false
}

// readFrom reads r to EOF, calling line for each complete line (without
// its line end). It returns the bytes read.
func (s *splitter) readFrom(r io.Reader, line func([]byte)) (int64, error) {
	var n int64
	for {
		k, err := r.Read(s.buf)
		if k > 0 {
			n += int64(k)
			s.write(s.buf[:k], line)
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if k == 0 {
			return n, nil
		}
	}
}

func (s *splitter) write(b []byte, line func([]byte)) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			s.keep(b)
			return
		}
		s.keep(b[:i])
		l := bytes.TrimSuffix(s.partial, []byte{'\r'})
		line(l)
		s.reset()
		b = b[i+1:]
	}
}

// keep appends to the unfinished line up to maxLine bytes.
func (s *splitter) keep(b []byte) {
	if s.skipping {
		return
	}
	if room := maxLine - len(s.partial); len(b) > room {
		b = b[:room]
		s.skipping = true
	}
	s.partial = append(s.partial, b...)
}

// flush hands over an unfinished last line: the file it belongs to will not
// grow any more (it was rolled over).
func (s *splitter) flush(line func([]byte)) {
	if len(s.partial) > 0 {
		line(bytes.TrimSuffix(s.partial, []byte{'\r'}))
	}
	s.reset()
}
