package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxDelete is the default of sync.max_delete: half of the synced
// files. Together with MinHeldDeletions it never stops an operator who
// deletes one or two C-Apps by hand, yet holds the loss of a whole folder.
const DefaultMaxDelete = "50%"

// MinHeldDeletions is the smallest number of deletions that sync.max_delete
// can hold: one or two deletions in a pass always go through (the other
// guards, such as an emptied carbonapps, still apply).
const MinHeldDeletions = 3

// DeleteLimit is a parsed sync.max_delete: a share of the synced files
// (Percent > 0) or a count.
type DeleteLimit struct {
	Percent float64
	Count   int
}

// ParseDeleteLimit parses "50%" or "10".
func ParseDeleteLimit(s string) (DeleteLimit, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f <= 0 || f > 100 || math.IsNaN(f) {
			return DeleteLimit{}, fmt.Errorf("a share must be more than 0%% and at most 100%%, such as 50%%")
		}
		return DeleteLimit{Percent: f}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return DeleteLimit{}, fmt.Errorf("must be a share of the synced files such as 50%% or a count such as 10")
	}
	return DeleteLimit{Count: n}, nil
}

// Exceeded reports whether deleting n of total synced files in one pass goes
// beyond the limit. Fewer than MinHeldDeletions never does.
func (l DeleteLimit) Exceeded(n, total int) bool {
	if n < MinHeldDeletions {
		return false
	}
	if l.Percent > 0 {
		return total > 0 && float64(n)*100 > l.Percent*float64(total)
	}
	return n > l.Count
}

// DeleteLimit returns sync.max_delete parsed; Validate has checked it, so
// a bad value falls back to the default.
func (s Sync) DeleteLimit() DeleteLimit {
	l, err := ParseDeleteLimit(s.MaxDelete)
	if err != nil {
		l, _ = ParseDeleteLimit(DefaultMaxDelete)
	}
	return l
}

// DefaultApprovalTTL is sync.approval_ttl's default.
const DefaultApprovalTTL = 10 * time.Minute

// MinApprovalTTL is the shortest sync.approval_ttl: an approval must live
// long enough for the pass it wakes to use it.
const MinApprovalTTL = time.Second

// ApprovalTimeout returns sync.approval_ttl, DefaultApprovalTTL when unset.
func (s Sync) ApprovalTimeout() time.Duration {
	if s.ApprovalTTL <= 0 {
		return DefaultApprovalTTL
	}
	return s.ApprovalTTL
}

// DefaultDeleteSettle is the default of sync.delete_settle: longer than the
// pauses of an rm -rf that is still running, short enough that a C-App
// deleted by hand leaves within seconds.
const DefaultDeleteSettle = 2 * time.Second

// SettleWindow returns sync.delete_settle, or its default when unset (a
// Config built in code).
func (s Sync) SettleWindow() time.Duration {
	if s.DeleteSettle <= 0 {
		return DefaultDeleteSettle
	}
	return s.DeleteSettle
}

// ByteSize is a number of bytes written in a config as 1GiB, 500MB, 64KiB
// or a plain number.
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

// ParseByteSize parses "1GiB", "500MB", "10M" or "1048576".
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	num := s
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || math.IsNaN(f) || f*float64(mult) > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not a size such as 1GiB, 500MB or 1048576", s)
	}
	return ByteSize(f * float64(mult)), nil
}

// String writes the size in the largest binary unit that divides it.
func (b ByteSize) String() string {
	for _, u := range []struct {
		s string
		m int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.m == 0 {
			return strconv.FormatInt(int64(b)/u.m, 10) + u.s
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// MarshalYAML writes the size as config check shows it.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

// byteSizeHook decodes strings and numbers into ByteSize.
func byteSizeHook(f, t reflect.Type, data any) (any, error) {
	if t != reflect.TypeOf(ByteSize(0)) {
		return data, nil
	}
	switch v := data.(type) {
	case string:
		return ParseByteSize(v)
	case int:
		return ByteSize(v), nil
	case int64:
		return ByteSize(v), nil
	case float64:
		return ByteSize(v), nil
	}
	return data, nil
}
