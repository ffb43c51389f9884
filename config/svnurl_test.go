package config

import (
	"errors"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckSVNURL(t *testing.T) {
	for _, tc := range []struct {
		url     string
		want    string // "" = valid
		creds   bool
		urlFail bool
	}{
		{"file:///srv/svn/repo", "", false, false},
		{"svn://host/repo", "", false, false},
		{"svn+ssh://host/repo", "", false, false},
		{"http://host/svn/repo", "", false, false},
		{"https://host/svn/repo", "", false, false},
		{"ftp://host/repo", "must be file://, svn://, svn+ssh://, http:// or https://", false, false},
		{"/srv/svn/repo", "must be file://", false, false},
		{"http://u:p@host/repo", "must not carry credentials", true, false},
		{"http://u@host/repo", "must not carry credentials", true, false},
		{"http://host/%zz", "not a URL", false, true},
	} {
		t.Run(tc.url, func(t *testing.T) {
			err := CheckSVNURL(tc.url)
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.want)
			assert.Equal(t, tc.creds, errors.Is(err, ErrSVNURLCredentials))
			var ue *url.Error
			assert.Equal(t, tc.urlFail, errors.As(err, &ue))
		})
	}
}
