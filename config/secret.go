package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/depsync/depsync/internal/regfile"
)

// MaxSecretFileSize is the largest secret file ReadSecretFile reads. A
// token or a password is a line; anything larger is the wrong file.
const MaxSecretFileSize = 64 << 10

// MinTokenLength is the shortest API token accepted: 128 bits written as
// hex. `depsync tls init` writes 256 bits (64 hex characters).
const MinTokenLength = 32

// ReadSecretFile reads a secret (an API token, a password) from a file the
// same way everywhere: only a regular file (a FIFO, a device such as
// /dev/zero or a directory is an error, so that reading it can neither hang
// nor grow without bound), at most MaxSecretFileSize bytes, with the
// surrounding whitespace trimmed (an editor's trailing newline, or spaces
// that HTTP would strip from a header and so lock everyone out). An empty
// file is an error. Errors never contain the file's content. The type is
// checked as regfile.OpenFollowing checks it.
func ReadSecretFile(path string) (string, error) {
	f, fi, err := regfile.OpenFollowing(path)
	if err != nil {
		var pe *fs.PathError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", errors.New("file not found: create it or unset the key")
		case errors.Is(err, fs.ErrPermission):
			return "", errors.New("permission denied: make the file readable by the user depsync runs as")
		case errors.Is(err, regfile.ErrNotRegular) && errors.As(err, &pe):
			return "", fmt.Errorf("%w: name a file that holds the secret", pe.Err)
		}
		return "", fmt.Errorf("cannot open: %w", err)
	}
	defer f.Close()
	if fi.Size() > MaxSecretFileSize {
		return "", fmt.Errorf("%d bytes, more than the %d a secret file may hold: is it the right file?", fi.Size(), MaxSecretFileSize)
	}
	// The file may grow between Stat and read: the limit holds anyway.
	data, err := io.ReadAll(io.LimitReader(f, MaxSecretFileSize+1))
	if err != nil {
		return "", fmt.Errorf("cannot read: %w", err)
	}
	if len(data) > MaxSecretFileSize {
		return "", fmt.Errorf("more than the %d bytes a secret file may hold: is it the right file?", MaxSecretFileSize)
	}
	s := strings.TrimSpace(string(data))
	if s == "" {
		return "", errors.New("file is empty")
	}
	return s, nil
}

// CheckToken says what is wrong with an API token, without ever quoting it.
func CheckToken(tok string) error {
	if n := len(tok); n < MinTokenLength {
		return fmt.Errorf("the token is %d characters, fewer than %d: use a random one of at least 128 bits written as hex "+
			"(depsync tls init writes one, or: openssl rand -hex 32)", n, MinTokenLength)
	}
	return nil
}
