package failover

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSameRepository(t *testing.T) {
	down := errors.New("svn info: server unreachable")
	for _, tc := range []struct {
		name     string
		answers  []Answer
		warnings int
		err      []string
	}{
		{"one repository", []Answer{{URL: "http://r/x", UUID: "u1"}, {URL: "http://m/x", UUID: "u1"}}, 0, nil},
		{"another repository", []Answer{{URL: "http://r/x", UUID: "u1"}, {URL: "http://m/x", UUID: "u2"}}, 0,
			[]string{"http://m/x serves another repository (UUID u2) than http://r/x (UUID u1)"}},
		{"a fallback down", []Answer{{URL: "http://r/x", UUID: "u1"}, {URL: "http://m/x", Err: down}}, 1, nil},
		{"svn.url down, the fallbacks compared", []Answer{{URL: "http://r/x", Err: down}, {URL: "http://m/x", UUID: "u1"},
			{URL: "http://d/x", UUID: "u3"}}, 1, []string{"http://d/x", "UUID u3", "http://m/x", "UUID u1"}},
		{"two others", []Answer{{URL: "http://r/x", UUID: "u1"}, {URL: "http://m/x", UUID: "u2"}, {URL: "http://d/x", UUID: "u3"}}, 0,
			[]string{"UUID u2", "UUID u3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warnings, err := SameRepository(tc.answers)
			assert.Len(t, warnings, tc.warnings)
			if tc.err == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, s := range tc.err {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestAsk(t *testing.T) {
	answers := Ask(t.Context(), []string{"a", "b"}, func(_ context.Context, u string) (string, error) {
		if u == "b" {
			return "", errors.New("down")
		}
		return "uuid-" + u, nil
	})
	assert.Equal(t, Answer{URL: "a", UUID: "uuid-a"}, answers[0])
	assert.Equal(t, "b", answers[1].URL)
	assert.Error(t, answers[1].Err)
}
