package svnbatch

import (
	"context"
	"slices"
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
	ctx context.Context
	req Q
	// taken: a run took it (or its caller gave it up); set under mu.
	taken bool
	res   R
	err   error
	done  chan struct{}
}

func newCoalescer[K comparable, Q, R any](slots chan struct{}, max int,
	one func(context.Context, K, Q) (R, error),
	many func(context.Context, K, []Q) ([]R, []error, error)) *coalescer[K, Q, R] {
	return &coalescer[K, Q, R]{slots: slots, max: max, one: one, many: many, queued: map[K][]*request[Q, R]{}}
}

// do runs req, with others of the same key when they meet, and returns its
// result. When ctx ends before a run took the request, it is given up; once
// taken, do waits for the run (bounded by svn's own timeouts), so that what
// the caller holds for it (a C-App's lease) is kept until svn is done.
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
	}
	c.mu.Lock()
	if !r.taken {
		r.taken = true
		c.queued[key] = slices.DeleteFunc(c.queued[key], func(x *request[Q, R]) bool { return x == r })
		c.mu.Unlock()
		var zero R
		return zero, ctx.Err()
	}
	c.mu.Unlock()
	<-r.done
	return r.res, r.err
}

// drain runs the queue of key until it is empty. A key is running while it
// has an entry in queued (even an empty one).
func (c *coalescer[K, Q, R]) drain(key K) {
	for {
		// A slot first, then the queue as it is by then: what came
		// meanwhile goes in this run.
		c.slots <- struct{}{}
		c.mu.Lock()
		q := c.queued[key]
		if len(q) == 0 {
			delete(c.queued, key)
			c.mu.Unlock()
			<-c.slots
			return
		}
		n := min(len(q), c.max)
		batch := q[:n:n]
		c.queued[key] = q[n:]
		for _, r := range batch {
			r.taken = true
		}
		c.mu.Unlock()
		c.run(key, batch)
	}
}

// run runs one batch under the slot drain took. A big batch is split over
// the slots free at that moment (svn's work per working copy is mostly its
// own: a hundred checkouts in four processes end sooner than in one).
func (c *coalescer[K, Q, R]) run(key K, batch []*request[Q, R]) {
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
	size := (len(batch) + parts - 1) / parts
	var wg sync.WaitGroup
	launched := 0
	for len(batch) > 0 {
		part := batch[:min(size, len(batch))]
		batch = batch[len(part):]
		launched++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-c.slots }()
			c.runPart(key, part)
		}()
	}
	for ; launched < parts; launched++ {
		<-c.slots // taken for a part that was not needed
	}
	wg.Wait()
}

// minSplit is the fewest requests a part of a split batch gets.
const minSplit = 16

// runPart runs requests in one go, or alone when that fails. The run's
// context ends only when every request's has: one tenant giving up (or
// removed) does not cut the svn run the others share.
func (c *coalescer[K, Q, R]) runPart(key K, batch []*request[Q, R]) {
	if len(batch) > 1 {
		ctx, cancel := allDone(batch)
		reqs := make([]Q, len(batch))
		for i, r := range batch {
			reqs[i] = r.req
		}
		rs, errs, err := c.many(ctx, key, reqs)
		cancel()
		if err == nil && len(rs) == len(batch) && len(errs) == len(batch) {
			for i, r := range batch {
				r.res, r.err = rs[i], errs[i]
				close(r.done)
			}
			return
		}
	}
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
		} else {
			r.res, r.err = c.one(r.ctx, key, r.req)
		}
		close(r.done)
	}
}

// allDone returns a context that ends when the contexts of all of batch
// have ended (or cancel is called), keeping the first one's values.
func allDone[Q, R any](batch []*request[Q, R]) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(batch[0].ctx))
	go func() {
		defer cancel()
		for _, r := range batch {
			select {
			case <-r.ctx.Done():
			case <-ctx.Done():
				return
			}
		}
	}()
	return ctx, cancel
}
