package deploy

import (
	"errors"
	"io/fs"

	"github.com/depsync/depsync/deploy/cappname"
)

// arrivedLocked records that the store itself left file with the bytes of
// digest sha, or removed it (sha ""): a write through the API, which a
// worker watching its directory must not take for a person's hand (see
// FromAPI). s.mu is held.
func (s *Store) arrivedLocked(file, sha string) {
	if s.arrived == nil {
		s.arrived = map[string]string{}
	}
	s.arrived[file] = sha
}

// FromAPI reports whether file is as the store's last Put or Delete of it
// left it (since the store was opened): present with the bytes written, or
// absent after a delete. A file a person copied in, edited or removed by
// hand since is not.
func (s *Store) FromAPI(file string) bool {
	if !cappname.Valid(file) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sha, ok := s.arrived[file]
	if !ok {
		return false
	}
	e, err := s.entryLocked(file)
	if errors.Is(err, fs.ErrNotExist) {
		return sha == ""
	}
	return err == nil && sha != "" && e.Error == "" && e.SHA256 == sha
}
