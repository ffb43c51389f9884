package syncer

import (
	"context"
	"sync"
)

// coalescer runs requests of one kind so that those that meet go together:
// a request that finds none of its key running starts at once (no wait is
// added to a lone request); requests made while one runs queue and go in
// the next run, all of them in one call of many. It is group commit,
// generalised to svn's other operations.
type coalescer[K comparable, Q, R any] struct {
	// slots bounds the runs in flight across every coalescer of a daemon.
	slots chan struct{}
	// max is the most requests one run takes.
	max int
	// one runs a request alone.
	one func(ctx context.Context, key K, req Q) (R, error)
	// many runs two or more requests in one go and returns each one's
	// result and error; a non-nil err means the run as a whole failed (or
	// could not be made), and each request then runs alone, so that every
	// tenant gets its own result and its own error.
	many func(ctx context.Context, key K, reqs []Q) (rs []R, errs []error, err error)

	mu     sync.Mutex
	queued map[K][]*request[Q, R]
}

// request is one caller's request, waiting for its run.
type request[Q, R any] struct {
	ctx  context.Context
	req  Q
	res  R
	err  error
	done chan struct{}
}

func newCoalescer[K comparable, Q, R any](slots chan struct{}, max int,
	one func(context.Context, K, Q) (R, error),
	many func(context.Context, K, []Q) ([]R, []error, error)) *coalescer[K, Q, R] {
	return &coalescer[K, Q, R]{slots: slots, max: max, one: one, many: many, queued: map[K][]*request[Q, R]{}}
}

// do runs req, with others of the same key when they meet, and returns its
// result. It returns when ctx ends, even if the run it is in goes on (the
// run is bounded by the first request's context, a svn timeout).
func (c *coalescer[K, Q, R]) do(ctx context.Context, key K, req Q) (R, error) {
	r := &request[Q, R]{ctx: ctx, req: req, done: make(chan struct{})}
	c.mu.Lock()
	q, running := c.queued[key]
	c.queued[key] = append(q, r)
	c.mu.Unlock()
	if !running {
		// This caller starts the runs of key; they go on in a goroutine
		// of their own while requests keep coming, and end with the queue.
		go c.drain(key)
	}
	select {
	case <-r.done:
		return r.res, r.err
	case <-ctx.Done():
		var zero R
		return zero, ctx.Err()
	}
}

// drain runs the queue of key until it is empty. A key is running while it
// has an entry in queued (even an empty one).
func (c *coalescer[K, Q, R]) drain(key K) {
	for {
		c.mu.Lock()
		q := c.queued[key]
		// Requests given up (their context ended) are dropped unrun.
		live := q[:0:0]
		for _, r := range q {
			if r.ctx.Err() == nil {
				live = append(live, r)
			} else {
				r.err = r.ctx.Err()
				close(r.done)
			}
		}
		if len(live) == 0 {
			delete(c.queued, key)
			c.mu.Unlock()
			return
		}
		n := min(len(live), c.max)
		batch := live[:n]
		c.queued[key] = live[n:]
		c.mu.Unlock()
		c.run(key, batch)
	}
}

// run runs one batch under a slot. A big batch is split over the slots
// free at that moment (svn's work per working copy is mostly its own: a
// hundred checkouts in four processes end sooner than in one).
func (c *coalescer[K, Q, R]) run(key K, batch []*request[Q, R]) {
	ctx := batch[0].ctx
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		for _, r := range batch {
			r.err = ctx.Err()
			close(r.done)
		}
		return
	}
	parts := 1
	for parts < cap(c.slots) && len(batch) >= (parts+1)*minSplit {
		select {
		case c.slots <- struct{}{}:
			parts++
			continue
		default:
		}
		break
	}
	var wg sync.WaitGroup
	size := (len(batch) + parts - 1) / parts
	for len(batch) > 0 {
		part := batch[:min(size, len(batch))]
		batch = batch[len(part):]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-c.slots }()
			c.runPart(key, part)
		}()
	}
	wg.Wait()
}

// minSplit is the fewest requests a part of a split batch gets.
const minSplit = 16

// runPart runs requests in one go, or alone when that fails.
func (c *coalescer[K, Q, R]) runPart(key K, batch []*request[Q, R]) {
	if len(batch) > 1 {
		reqs := make([]Q, len(batch))
		for i, r := range batch {
			reqs[i] = r.req
		}
		rs, errs, err := c.many(batch[0].ctx, key, reqs)
		if err == nil && len(rs) == len(batch) && len(errs) == len(batch) {
			for i, r := range batch {
				r.res, r.err = rs[i], errs[i]
				close(r.done)
			}
			return
		}
	}
	for _, r := range batch {
		r.res, r.err = c.one(r.ctx, key, r.req)
		close(r.done)
	}
}
