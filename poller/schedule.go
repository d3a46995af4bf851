package poller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// cronParser parses the schedule specs: five fields with optional seconds,
// or descriptors such as "@every 30s".
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron spec. robfig/cron panics on some malformed
// specs (such as "TZ="); that panic becomes an error here.
func ParseSchedule(spec string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("parse cron spec %q: malformed (%v)", spec, r)
		}
	}()
	return cronParser.Parse(spec)
}

// job is one scheduled piece of work.
type job struct {
	name string
	spec string
	run  func(ctx context.Context) error
}

// scheduler runs jobs on their cron specs while the context lives: each once
// at start-up, then on schedule, never two runs of one job at once, panics
// recovered, each run bounded by timeout.
type scheduler struct {
	log     *slog.Logger
	timeout time.Duration
	health  *Health
	metrics *Metrics
	now     func() time.Time
}

// run blocks until ctx is done, then stops the cron and waits for running
// jobs for at most grace.
func (s *scheduler) run(ctx context.Context, jobs []job, grace time.Duration) error {
	cl := cronLogger{s.log}
	c := cron.New(cron.WithParser(cronParser), cron.WithLogger(cl))
	// Skip outside Recover: a recovered panic must give the "running"
	// token back (cron's SkipIfStillRunning does not defer it), and the
	// start-up run goes through the same wrappers as the ticks, so it is
	// recovered too and a tick during it is skipped, not queued.
	chain := cron.NewChain(cron.SkipIfStillRunning(cl), cron.Recover(cl))
	scheds := make(map[string]cron.Schedule, len(jobs))
	for _, j := range jobs {
		sched, err := ParseSchedule(j.spec)
		if err != nil {
			return fmt.Errorf("parse schedule of %s: %w", j.name, err)
		}
		scheds[j.name] = sched
	}
	var startup sync.WaitGroup
	for _, j := range jobs {
		sched := scheds[j.name]
		wrapped := chain.Then(cron.FuncJob(func() { s.runJob(ctx, j, sched) }))
		c.Schedule(sched, wrapped)
		startup.Go(wrapped.Run)
	}
	c.Start()
	<-ctx.Done()
	stopped := c.Stop()
	done := make(chan struct{})
	go func() { startup.Wait(); <-stopped.Done(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(grace):
		return errors.New("stop scheduler: running passes did not finish within the shutdown timeout")
	}
}

// runJob runs one job once with a timeout, recording health and metrics.
func (s *scheduler) runJob(ctx context.Context, j job, sched cron.Schedule) {
	if ctx.Err() != nil {
		return
	}
	start := s.now()
	s.health.Attempted(sched.Next(start).Add(s.timeout))
	s.metrics.lastAttempt.WithLabelValues(j.name).Set(float64(start.Unix()))
	rctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := j.run(rctx)
	d := s.now().Sub(start)
	s.metrics.passDuration.WithLabelValues(j.name).Observe(d.Seconds())
	switch {
	case err == nil:
		s.metrics.passes.WithLabelValues(j.name, "ok").Inc()
		s.metrics.lastSuccess.WithLabelValues(j.name).Set(float64(s.now().Unix()))
		s.log.Debug("pass done", slog.String(keyJob, j.name), slog.Duration(keyDuration, d))
	case errors.As(err, new(*PassError)):
		s.metrics.passes.WithLabelValues(j.name, "partial").Inc()
		s.log.Warn("pass done with failures", slog.String(keyJob, j.name), slog.Duration(keyDuration, d), slog.String(keyError, err.Error()))
	default:
		s.metrics.passes.WithLabelValues(j.name, "failed").Inc()
		s.log.Error("pass failed", slog.String(keyJob, j.name), slog.Duration(keyDuration, d), slog.String(keyError, err.Error()))
	}
}
