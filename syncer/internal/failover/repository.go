package failover

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/depsync/depsync/config"
)

// Answer is what one server said when asked for the repository's UUID.
type Answer struct {
	URL  string
	UUID string
	Err  error
}

// Ask asks every URL at once for its repository's UUID (ask bounds each
// question with its own deadline), in the order given.
func Ask(ctx context.Context, urls []string, ask func(ctx context.Context, url string) (string, error)) []Answer {
	out := make([]Answer, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			uuid, err := ask(ctx, u)
			out[i] = Answer{URL: u, UUID: uuid, Err: err}
		}()
	}
	wg.Wait()
	return out
}

// SameRepository judges the answers of svn.url (first) and the fallback
// URLs: each that answered must serve the repository of the first that
// did, or err names both URLs and both UUIDs. One that did not answer is a
// warning: it may come back, and it is checked again before it is used.
func SameRepository(answers []Answer) (warnings []string, err error) {
	var ref *Answer
	var errs []error
	for i := range answers {
		a := &answers[i]
		switch {
		case a.Err != nil:
			warnings = append(warnings, fmt.Sprintf("%s does not answer (%v): whether it serves the repository "+
				"is checked again before it is used", config.RedactURL(a.URL), a.Err))
		case ref == nil:
			ref = a
		case a.UUID != ref.UUID:
			errs = append(errs, fmt.Errorf("%s serves another repository (UUID %s) than %s (UUID %s): "+
				"svn.fallback_urls lists other servers of svn.url's repository only (a replica made with svnsync, "+
				"given the master's UUID with svnadmin setuuid)",
				config.RedactURL(a.URL), a.UUID, config.RedactURL(ref.URL), ref.UUID))
		}
	}
	if len(errs) > 0 {
		return warnings, fmt.Errorf("svn.fallback_urls: %w", errors.Join(errs...))
	}
	return warnings, nil
}
