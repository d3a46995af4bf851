// Package poller is snowduty's reconciler: it reads changes from ServiceNow
// and Flashduty, merges them with the last synced state (package diff),
// writes what changed to the other side and records the new state (package
// state). RunOnce is one pass; Run keeps passes going on cron schedules
// while this replica holds the leader lease.
package poller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/state"
)

// Poller runs reconcile passes. It is safe for concurrent use; passes are
// serialized (one at a time), and the pairs within a pass are worked on
// concurrently, never two workers on one pair.
type Poller struct {
	o       Options
	log     *slog.Logger
	sn      ServiceNow
	fd      Flashduty
	st      *state.Store
	metrics *Metrics
	health  *Health
	now     func() time.Time

	// pass holds one token per running pass: one pass at a time, so reads
	// and writes of a pair never interleave. A channel rather than a mutex,
	// so a pass waiting for another gives up when its context ends.
	pass chan struct{}

	mu     sync.Mutex
	fence  state.Fence
	leader bool
	origin diff.Origin
	ready  bool // origin and identity checked
	names  map[int64]string

	// noChosenSysID is set once ServiceNow refused a client-chosen sys_id:
	// creates go without one from then on.
	noChosenSysID atomic.Bool

	// lastActive is the active-set size the last Flashduty pass counted;
	// it sizes the resync sweep's slices.
	lastActive atomic.Int64

	// journal is whether the ServiceNow journal was readable at the last
	// read (journalKnown once recorded in the state); journalLogged is set
	// once a pass has logged that it is not.
	journal       state.JournalAccess
	journalKnown  bool
	journalLogged atomic.Bool
}

// New checks the options and returns a Poller. It makes no network call;
// Prepare (called by RunOnce and Run) reads the origin marks and checks the
// state's identity.
func New(o Options) (*Poller, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(o.Registry)
	}
	p := &Poller{
		o:       o,
		log:     o.Logger.With(slog.String(keyComponent, "poller")),
		sn:      o.ServiceNow,
		fd:      o.Flashduty,
		st:      o.Store,
		metrics: o.Metrics,
		now:     o.Clock,
		names:   map[int64]string{},
		pass:    make(chan struct{}, 1),
	}
	p.health = NewHealth(o.Clock, o.HealthGrace, o.Store.Ping)
	return p, nil
}

// Metrics returns the poller's metrics, whose ObserveCall the clients
// report to.
func (p *Poller) Metrics() *Metrics { return p.metrics }

// Health returns the poller's health state.
func (p *Poller) Health() *Health { return p.health }

// Prepare reads who snowduty is on each side (the integration user's
// user_name, the app key's member id) so its own writes are never mirrored
// back, and checks that the state belongs to these systems.
//
// An account-level Flashduty key has no member: /member/info refuses it
// (flashduty.ErrAccountKey). Its identity is then the account principal,
// read from /account/info: its writes carry the account id as their actor,
// so the account id is both origin ids.
func (p *Poller) Prepare(ctx context.Context) error {
	p.mu.Lock()
	done := p.ready
	p.mu.Unlock()
	if done {
		return nil
	}
	user, err := p.sn.CurrentUser(ctx)
	if err != nil {
		return fmt.Errorf("read servicenow integration user: %w", err)
	}
	member, err := p.fd.MemberInfo(ctx)
	accountKey := false
	if errors.Is(err, flashduty.ErrAccountKey) {
		acct, aerr := p.fd.AccountInfo(ctx)
		if aerr != nil {
			return fmt.Errorf("read flashduty app key account (the key is account-level): %w", aerr)
		}
		if acct.AccountID == 0 {
			return errors.New("read flashduty app key account (the key is account-level): /account/info gave no account_id")
		}
		accountKey = true
		// The account principal acts with the account id as its person id.
		member = flashduty.Member{MemberID: acct.AccountID, MemberName: acct.AccountName, Email: acct.Email,
			AccountID: acct.AccountID, AccountName: acct.AccountName, AccountTimeZone: acct.TimeZone, TimeZone: acct.TimeZone}
	} else if err != nil {
		return fmt.Errorf("read flashduty app key member: %w", err)
	}
	id := p.o.Identity
	if id.FlashdutyAccount == "" {
		id.FlashdutyAccount = fmt.Sprint(member.AccountID)
	}
	if err := p.st.CheckIdentity(ctx, id, p.o.IdentityOverride); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.origin = diff.Origin{ServiceNowUser: user.UserName, FlashdutyMemberID: member.MemberID, FlashdutyAccountID: member.AccountID}
	if member.MemberID == 0 {
		// A key owned by the account principal acts as the account.
		p.origin.FlashdutyMemberID = member.AccountID
	}
	p.names[member.MemberID] = member.MemberName
	if accountKey {
		p.log.Warn("the flashduty app key is account-level: snowduty acts as the account principal, and recognises its own writes by the account id",
			slog.Int64("account_id", member.AccountID), slog.String("account_name", member.AccountName),
			slog.String(keyHint, "issue the key from a dedicated Flashduty member (e.g. \"ServiceNow Sync\") instead: with this key, what people do in Flashduty through the account principal (the account owner) is taken for snowduty's own writes and is not mirrored to ServiceNow"))
	}
	p.ready = true
	return nil
}

// policy returns the merge policy for a pass at now.
func (p *Poller) policy(now time.Time) diff.Policy {
	p.mu.Lock()
	defer p.mu.Unlock()
	pol := p.o.Policy
	pol.Origin = p.origin
	pol.Now = now
	return pol
}

// currentFence returns the fence of the lease this replica holds.
func (p *Poller) currentFence() (state.Fence, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fence, p.leader
}

// RunOnce runs one full pass: ServiceNow changes, Flashduty changes and the
// due retries. Without the lease, it acquires it for the pass and releases
// it after. It returns a *PassError when the pass ran but some pairs
// failed (they are queued for retry).
func (p *Poller) RunOnce(ctx context.Context) error {
	return p.runPass(ctx, p.pollServiceNow, p.pollFlashduty, p.retryDue)
}

// RunOnceWithResync is the pass of `snowduty once`: RunOnce with the resync
// sweep as the daemon runs it. A sweep is started when one is due on the
// resync schedule (as the resync job does), and the Flashduty pass carries
// its next slice, sized as for the daemon's Flashduty schedule. So a
// deployment that runs `once` from cron also repairs drift that no change
// feed shows: edits that do not bump sys_updated_on, a deleted partner.
func (p *Poller) RunOnceWithResync(ctx context.Context) error {
	return p.runPass(ctx, p.pollServiceNow, p.resync, p.pollFlashduty, p.retryDue)
}

// runPass runs steps as one pass under the pass lock and the lease.
func (p *Poller) runPass(ctx context.Context, steps ...func(context.Context) error) error {
	if err := p.Prepare(ctx); err != nil {
		return err
	}
	if err := p.lockPass(ctx); err != nil {
		return err
	}
	defer p.unlockPass()
	release, err := p.ensureLease(ctx)
	if err != nil {
		return err
	}
	defer release()
	var failures []PairFailure
	for _, step := range steps {
		err := step(ctx)
		var pe *PassError
		switch {
		case errors.As(err, &pe):
			failures = append(failures, pe.Failures...)
		case err != nil:
			return err
		}
	}
	p.health.FirstPassDone()
	if len(failures) > 0 {
		return &PassError{Failures: failures}
	}
	return nil
}

// lockPass waits until no other pass runs, or ctx ends.
func (p *Poller) lockPass(ctx context.Context) error {
	select {
	case p.pass <- struct{}{}:
		p.journalLogged.Store(false) // a new pass logs an unreadable journal again
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for the running pass: %w", ctx.Err())
	}
}

func (p *Poller) unlockPass() { <-p.pass }

// ensureLease makes sure this replica holds the lease; when it had to take
// it, release gives it back.
func (p *Poller) ensureLease(ctx context.Context) (release func(), err error) {
	if _, ok := p.currentFence(); ok || p.o.DryRun {
		// A dry run writes nothing, the lease included: it must never
		// keep the real daemon from leading.
		return func() {}, nil
	}
	f, ok, err := p.st.AcquireLease(ctx, p.o.HolderID)
	if err != nil {
		return nil, fmt.Errorf("acquire lease: %w", err)
	}
	if !ok {
		return nil, errors.New("acquire lease: another snowduty replica holds it; stop it or wait for its lease to expire")
	}
	p.setLeader(f, true)
	// Keep the lease for as long as the pass takes (a first pass over a
	// large backlog can outlast the TTL).
	renewCtx, stopRenew := context.WithCancel(context.WithoutCancel(ctx))
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		p.renewLoop(renewCtx, f, func() {})
	}()
	return func() {
		stopRenew()
		<-renewed
		p.setLeader(state.Fence{}, false)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := p.st.ReleaseLease(ctx, f); err != nil {
			p.log.Warn("release lease", slog.String(keyError, err.Error()))
		}
	}, nil
}

func (p *Poller) setLeader(f state.Fence, leader bool) {
	p.mu.Lock()
	p.fence, p.leader = f, leader
	p.mu.Unlock()
	v := 0.0
	if leader {
		v = 1
	}
	p.metrics.leader.Set(v)
	p.health.SetStandby(!leader)
}
