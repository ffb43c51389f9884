package config

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
)

// durationFloor is the shortest value a duration key accepts. Below it a
// setting is a typo or a misreading, not a wish: a poll every few
// nanoseconds runs svn without pause, a max_age of seconds prunes every
// backup but the newest at once.
type durationFloor struct {
	min time.Duration
	// zero, when set, says what 0 means for a key that allows it.
	zero string
}

// durationFloors gives each duration key of the schema its floor. Every
// key of type time.Duration must have one (a test holds that).
func durationFloors() map[string]durationFloor {
	return map[string]durationFloor{
		// e2e runs direct mode with 500ms probes; a second is the usual.
		"svn.poll_interval":    {min: 500 * time.Millisecond},
		"sync.debounce":        {min: 10 * time.Millisecond},
		"sync.max_delay":       {min: 100 * time.Millisecond},
		"sync.rescan_interval": {min: time.Minute},
		"backups.max_age":      {min: time.Minute, zero: "no age limit"},
		"sync.approval_ttl":    {min: MinApprovalTTL, zero: "the default, 10m"},
		"sync.delete_settle":   {min: 100 * time.Millisecond, zero: "the default, 2s"},
	}
}

// checkDurations adds an error for each duration below its floor, naming
// the key, the value and the minimum.
func (c *Config) checkDurations(add func(key, val, format string, args ...any)) {
	floors := durationFloors()
	for _, d := range c.durations() {
		f, ok := floors[d.key]
		if !ok {
			f.min = 1 // at least positive, until the key gets a floor of its own
		}
		switch {
		case d.val == 0 && f.zero != "":
		case d.val < f.min && f.zero != "":
			add(d.key, shortDuration(d.val), "must be at least %s (or 0 for %s), such as %s", shortDuration(f.min), f.zero, example(d.key))
		case d.val < f.min:
			add(d.key, shortDuration(d.val), "must be a positive duration of at least %s, such as %s", shortDuration(f.min), example(d.key))
		}
	}
}

// example is a duration to suggest for key: its default.
func example(key string) string {
	if s, ok := defaults()[key].(string); ok {
		return s
	}
	return "5s"
}

// shortDuration writes d as time.Duration does, without the zero units
// it appends (1m rather than 1m0s).
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// keyDuration is a duration key of the schema with its value.
type keyDuration struct {
	key string
	val time.Duration
}

// durations lists the keys of the schema whose type is time.Duration, in
// the order of the Config struct, with their values in c.
func (c *Config) durations() []keyDuration {
	var out []keyDuration
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("mapstructure")
			if tag == "" || tag == "-" {
				continue
			}
			switch {
			case f.Type == reflect.TypeOf(time.Duration(0)):
				out = append(out, keyDuration{prefix + tag, time.Duration(v.Field(i).Int())})
			case f.Type.Kind() == reflect.Struct:
				walk(prefix+tag+".", v.Field(i))
			}
		}
	}
	walk("", reflect.ValueOf(c).Elem())
	return out
}

// durationKeys lists the keys of the schema whose type is time.Duration.
func durationKeys() []string {
	var keys []string
	for _, d := range (&Config{}).durations() {
		keys = append(keys, d.key)
	}
	return keys
}

// checkDurationUnits refuses a duration written as a bare number, which
// the decoder would take as nanoseconds (poll_interval: 5 is 5ns), from
// the file, a DEPSYNC_* variable or a flag alike. A bare 0 is the same in
// every unit and stays allowed.
func checkDurationUnits(v *viper.Viper, overrides map[string]any) error {
	var errs ValidationError
	for _, key := range durationKeys() {
		raw := v.Get(key)
		num, bare := bareNumber(raw)
		if !bare {
			continue
		}
		from := ""
		env := "DEPSYNC_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
		if _, ok := overrides[key]; ok {
			from = "(set by a flag) "
		} else if _, ok := os.LookupEnv(env); ok {
			from = "(set by " + env + ") "
		}
		errs = append(errs, FieldError{Key: key, Value: num, Msg: fmt.Sprintf(
			"%sa duration needs a unit: write %ss for %s seconds (or ms, m, h, as in %s); a bare number would be nanoseconds",
			from, num, num, example(key))})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// bareNumber reports whether a raw config value is a number other than 0
// without a unit, and returns it as written.
func bareNumber(raw any) (string, bool) {
	var s string
	switch x := raw.(type) {
	case string:
		s = strings.TrimSpace(x)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		s = fmt.Sprint(x)
	case float32:
		s = strconv.FormatFloat(float64(x), 'f', -1, 32)
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return "", false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f == 0 {
		return "", false
	}
	return s, true
}
