package poller

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/state"
)

// Run keeps both sides in sync until ctx is cancelled. Only the replica
// that holds the lease runs the schedules; the others stand by and take
// over when the lease lapses. Failed passes are logged and counted, never
// fatal; only a permanent start-up problem (bad credentials, a state bound
// to other systems) ends Run with an error.
func (p *Poller) Run(ctx context.Context) error {
	if err := p.prepareWithRetry(ctx); err != nil {
		return err
	}
	if p.o.DryRun {
		// Nothing is written, the lease included, so a dry run can watch
		// next to the real daemon without taking over.
		p.log.Info("dry run: running the schedules without the lease; plans are logged, nothing is written")
		p.health.SetStandby(false)
		s := &scheduler{log: p.log, timeout: p.o.RunTimeout, health: p.health, metrics: p.metrics, now: p.now}
		if err := s.run(ctx, p.jobs(), p.o.ShutdownTimeout); err != nil {
			p.log.Error("stop schedules", slog.String(keyError, err.Error()))
		}
		return nil
	}
	for ctx.Err() == nil {
		f, ok, err := p.st.AcquireLease(ctx, p.o.HolderID)
		switch {
		case err != nil:
			p.log.Warn("acquire lease", slog.String(keyError, err.Error()))
		case ok:
			p.log.Info("leading: running the schedules", slog.String(keyHolder, p.o.HolderID), slog.Int64("fence", f.Token))
			p.lead(ctx, f)
			continue
		}
		p.setLeader(state.Fence{}, false)
		p.health.Attempted(p.now().Add(2 * p.o.LeaseRenew))
		if httpx.Sleep(ctx, p.o.LeaseRenew) != nil {
			break
		}
	}
	return nil
}

// prepareWithRetry runs Prepare until it succeeds, retrying transient
// failures (a ServiceNow outage at start-up) and giving up on permanent
// ones.
func (p *Poller) prepareWithRetry(ctx context.Context) error {
	b := httpx.Backoff{Base: 2 * time.Second, Max: time.Minute}
	for attempt := 1; ; attempt++ {
		err := p.Prepare(ctx)
		if err == nil {
			return nil
		}
		if !classOf(err).Retryable() {
			return err
		}
		d := b.Delay(attempt)
		p.log.Warn("start-up check failed; retrying", slog.String(keyError, err.Error()), slog.Duration(keyRetryAt, d))
		p.health.Attempted(p.now().Add(d))
		if httpx.Sleep(ctx, d) != nil {
			return ctx.Err()
		}
	}
}

// lead runs the schedules while the lease holds; it returns when ctx ends
// or the lease is lost.
func (p *Poller) lead(ctx context.Context, f state.Fence) {
	p.setLeader(f, true)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	lost := make(chan struct{})
	go func() {
		defer close(lost)
		p.renewLoop(runCtx, f, cancel)
	}()
	s := &scheduler{log: p.log, timeout: p.o.RunTimeout, health: p.health, metrics: p.metrics, now: p.now}
	if err := s.run(runCtx, p.jobs(), p.o.ShutdownTimeout); err != nil {
		p.log.Error("stop schedules", slog.String(keyError, err.Error()))
	}
	cancel()
	<-lost
	p.setLeader(state.Fence{}, false)
	if ctx.Err() != nil {
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer rcancel()
		if err := p.st.ReleaseLease(rctx, f); err != nil {
			p.log.Warn("release lease", slog.String(keyError, err.Error()))
		}
	}
}

// renewLoop renews the lease every LeaseRenew; when the lease is lost it
// cancels the schedules (stop), so that a stale leader stops writing.
func (p *Poller) renewLoop(ctx context.Context, f state.Fence, stop context.CancelFunc) {
	t := time.NewTicker(p.o.LeaseRenew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := p.st.RenewLease(ctx, f)
		switch {
		case err == nil:
		case errors.Is(err, state.ErrFenced):
			p.log.Warn("lost the lease: standing by", slog.String(keyError, err.Error()))
			stop()
			return
		case ctx.Err() != nil:
			return
		default:
			// Redis hiccup: keep trying until the lease would lapse; the
			// fenced writes protect the data meanwhile.
			p.log.Warn("renew lease", slog.String(keyError, err.Error()))
		}
	}
}

// jobs are the scheduled passes, each serialized with the others.
func (p *Poller) jobs() []job {
	serial := func(f func(context.Context) error) func(context.Context) error {
		return func(ctx context.Context) error {
			if err := p.lockPass(ctx); err != nil {
				return err
			}
			defer p.unlockPass()
			err := f(ctx)
			if err == nil || errors.As(err, new(*PassError)) {
				p.health.FirstPassDone()
			}
			return err
		}
	}
	s := p.o.Schedules
	return []job{
		{name: "servicenow", spec: s.ServiceNow, run: serial(p.pollServiceNow)},
		{name: "flashduty", spec: s.Flashduty, run: serial(p.pollFlashduty)},
		{name: "retry", spec: s.Retry, run: serial(p.retryDue)},
		{name: "resync", spec: s.Resync, run: serial(p.resync)},
		{name: "prune", spec: s.Prune, run: serial(p.prune)},
	}
}

// classOf returns the failure class of an error from either client or the
// state store.
func classOf(err error) httpx.Class {
	var se *servicenow.Error
	var fe *flashduty.Error
	switch {
	case err == nil:
		return httpx.OK
	case errors.As(err, &se):
		return se.Class
	case errors.As(err, &fe) || errors.Is(err, flashduty.ErrTooShort):
		return flashduty.ClassOf(err)
	case errors.As(err, new(goneError)):
		return classGone
	case errors.As(err, new(noIdentityError)):
		return classNoIdentity
	case errors.Is(err, state.ErrFenced):
		return classFenced
	case errors.Is(err, state.ErrIdentityMismatch):
		return classIdentity
	case errors.Is(err, context.DeadlineExceeded):
		return httpx.Timeout
	}
	return classInternal
}

// Classes the poller adds to the clients' ones.
const (
	classFenced   httpx.Class = "fenced"   // this replica lost the lease mid-pass
	classIdentity httpx.Class = "identity" // the state belongs to other systems
	classInternal httpx.Class = "internal" // a bug or an unexpected error
	classGone     httpx.Class = "gone"     // the partner incident no longer exists
	// classNoIdentity: the incident's identity (its number) is unreadable,
	// so it can be neither searched for nor linked.
	classNoIdentity httpx.Class = "no_identity"
)
