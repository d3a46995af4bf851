// Package fdsim is an in-memory simulator of the Flashduty Open API subset
// snowduty uses (reference/flashduty-open-api.md), including its unpleasant
// parts: required 31-day start-time windows, cursor paging, total capped at
// 1000, envelopes on every answer (errors even on HTTP 200), ResourceNotFound
// as HTTP 400, length limits, state rules, millisecond feed times, and
// comments that do not bump updated_at.
//
// A *Server is an http.Handler. Tests and the demo drive it through its Go
// methods (act as a human member, move the clock, inject faults, count
// calls) or through the same control API over HTTP under /_sim/. It is
// deterministic (seeded ids, injectable clock) and safe for concurrent use.
package fdsim

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultAppKey    = "fdsim-app-key"
	DefaultAccountID = int64(2451002751131)
	// DefaultKeyMemberID is the member that owns the default app key: the
	// sync's own identity. Its writes carry this creator_id.
	DefaultKeyMemberID = int64(4000000000131)
	// Alice and Bob are human members the control API can act as.
	AliceID = int64(2476444212131)
	BobID   = int64(3790925372131)
	// The default channels.
	OpsChannelID  = int64(2551105804131)
	ProdChannelID = int64(1001)
)

// ControlPrefix is where the control API lives; the Open API never uses it.
const ControlPrefix = "/_sim/"

// Options configures a Server. The zero value is usable.
type Options struct {
	// AppKey is the only key accepted; empty means DefaultAppKey.
	AppKey string
	// KeyMember owns AppKey. Zero means {DefaultKeyMemberID, "snowduty sync"}.
	KeyMember Member
	// Members are the human members the control API may act as; nil means
	// Alice and Bob.
	Members []Member
	// AccountID and AccountName identify the simulated account.
	AccountID   int64
	AccountName string
	// Channels and Fields; nil means a default set (see DefaultChannels,
	// DefaultFields).
	Channels []Channel
	Fields   []Field
	// Seed makes ids and request ids reproducible.
	Seed uint64
	// Start freezes the clock at this time. Zero means the clock follows
	// Now (live), still movable with Advance.
	Start time.Time
	// Now is the live clock; nil means time.Now.
	Now func() time.Time
	// CommentsBumpUpdatedAt makes comments change updated_at. The real
	// behaviour is unknown (reference §13.1); the default, false, is the
	// harder case for a poller.
	CommentsBumpUpdatedAt bool
	// RateLimit enforces 50 requests/s and 1,000/min per account with real
	// 429 answers, measured on the real (or synctest) clock.
	RateLimit bool
	// InfoUnknownAsNull makes /incident/info answer an unknown id with
	// data: null instead of ResourceNotFound (both are possible, §5).
	InfoUnknownAsNull bool
	// ConsoleURL is the prefix of detail_url; empty means
	// https://app.flashcat.cloud.
	ConsoleURL string
}

// DefaultChannels are the channels of a Server created without any.
func DefaultChannels() []Channel {
	return []Channel{
		{ChannelID: OpsChannelID, ChannelName: "Ops Channel", Status: "enabled", TeamID: 10},
		{ChannelID: ProdChannelID, ChannelName: "Production Alerts", Status: "enabled", TeamID: 10},
	}
}

// DefaultFields are the custom fields of a Server created without any: one
// of each type.
func DefaultFields() []Field {
	return []Field{
		{FieldID: "6a0000000000000000000001", FieldName: "affected_service", DisplayName: "Affected service", FieldType: "text", ValueType: "string", Status: "enabled"},
		{FieldID: "6a0000000000000000000002", FieldName: "environment", DisplayName: "Environment", FieldType: "single_select", ValueType: "string", Options: []string{"production", "staging"}, Status: "enabled"},
		{FieldID: "6a0000000000000000000003", FieldName: "tags", DisplayName: "Tags", FieldType: "multi_select", ValueType: "string", Options: []string{"db", "network", "app"}, Status: "enabled"},
		{FieldID: "6a0000000000000000000004", FieldName: "sync_to_servicenow", DisplayName: "Sync to ServiceNow", FieldType: "checkbox", ValueType: "bool", DefaultValue: false, Status: "enabled"},
	}
}

// Server is the simulator. Create it with New.
type Server struct {
	opts Options

	ctlOnce sync.Once
	ctl     *http.ServeMux

	mu          sync.Mutex
	rng         *rand.Rand
	idCounter   uint32
	frozen      bool
	frozenAt    time.Time
	offset      time.Duration
	bumpComment bool
	rateLimit   bool
	incidents   map[string]*incident
	byStart     []*incident // ordered by (StartTime, IncidentID)
	members     map[int64]Member
	channels    []Channel
	fields      []Field
	audit       []AuditDoc
	faults      []*Fault
	calls       map[string]int
	window      []time.Time // request times for the rate limit, oldest first
}

type incident struct {
	Incident
	feed    []FeedItem
	expired bool // the current snooze has already run out
}

// New returns a Server with the given options.
func New(o Options) *Server {
	if o.AppKey == "" {
		o.AppKey = DefaultAppKey
	}
	if o.KeyMember.MemberID == 0 {
		o.KeyMember = Member{MemberID: DefaultKeyMemberID, Name: "snowduty sync", Email: "snowduty@example.com"}
	}
	if o.Members == nil {
		o.Members = []Member{
			{MemberID: AliceID, Name: "Alice", Email: "alice@example.com"},
			{MemberID: BobID, Name: "Bob", Email: "bob@example.com"},
		}
	}
	if o.AccountID == 0 {
		o.AccountID = DefaultAccountID
	}
	if o.AccountName == "" {
		o.AccountName = "Acme Corp"
	}
	if o.Channels == nil {
		o.Channels = DefaultChannels()
	}
	if o.Fields == nil {
		o.Fields = DefaultFields()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ConsoleURL == "" {
		o.ConsoleURL = "https://app.flashcat.cloud"
	}
	o.ConsoleURL = strings.TrimRight(o.ConsoleURL, "/")
	s := &Server{opts: o}
	s.reset()
	return s
}

// reset restores the state New built. The caller holds s.mu (or owns s).
func (s *Server) reset() {
	o := s.opts
	s.rng = rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed))
	s.idCounter = s.rng.Uint32() & 0xffffff
	s.frozen, s.frozenAt, s.offset = !o.Start.IsZero(), o.Start, 0
	s.bumpComment, s.rateLimit = o.CommentsBumpUpdatedAt, o.RateLimit
	s.incidents = map[string]*incident{}
	s.byStart = nil
	s.members = map[int64]Member{o.KeyMember.MemberID: o.KeyMember}
	for _, m := range o.Members {
		s.members[m.MemberID] = m
	}
	s.channels = slices.Clone(o.Channels)
	s.fields = slices.Clone(o.Fields)
	s.audit = nil
	s.faults = nil
	s.calls = map[string]int{}
	s.window = nil
}

// AppKey returns the app key the server accepts.
func (s *Server) AppKey() string { return s.opts.AppKey }

// KeyMember returns the member that owns the app key.
func (s *Server) KeyMember() Member { return s.opts.KeyMember }

// now is the simulated time. The caller holds s.mu.
func (s *Server) now() time.Time {
	if s.frozen {
		return s.frozenAt
	}
	return s.opts.Now().Add(s.offset)
}

// Now returns the simulated time.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// SetClock freezes the simulated clock at t.
func (s *Server) SetClock(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frozen, s.frozenAt = true, t
}

// Advance moves the simulated clock forward by d (frozen or live).
func (s *Server) Advance(d time.Duration) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frozen {
		s.frozenAt = s.frozenAt.Add(d)
	} else {
		s.offset += d
	}
	return s.now()
}

// newID returns a 24-hex ObjectID: 4 bytes of seconds, 5 seeded random
// bytes, a 3-byte counter (so num, its last 6 hex digits, is unique until the
// counter wraps). The caller holds s.mu.
func (s *Server) newID(at time.Time) string {
	s.idCounter = (s.idCounter + 1) & 0xffffff
	return fmt.Sprintf("%08x%010x%06x", uint32(at.Unix()), s.rng.Uint64()&0xffffffffff, s.idCounter)
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newRequestID returns a ULID-shaped request id. The caller holds s.mu.
func (s *Server) newRequestID() string {
	var b [26]byte
	for i := range b {
		b[i] = crockford[s.rng.IntN(len(crockford))]
	}
	return string(b[:])
}

// insert adds inc to the maps and the start-time index. The caller holds s.mu.
func (s *Server) insert(inc *incident) {
	s.incidents[inc.IncidentID] = inc
	i := sort.Search(len(s.byStart), func(i int) bool { return !less(s.byStart[i], inc) })
	s.byStart = slices.Insert(s.byStart, i, inc)
}

func less(a, b *incident) bool {
	if a.StartTime != b.StartTime {
		return a.StartTime < b.StartTime
	}
	return a.IncidentID < b.IncidentID
}

// ServeHTTP serves the Open API and, under ControlPrefix, the control API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, ControlPrefix) {
		s.serveControl(w, r)
		return
	}
	s.serveAPI(w, r)
}
